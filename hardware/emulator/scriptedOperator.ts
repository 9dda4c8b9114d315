/**
 * An operator's hands on an emulated Feetech arm (torque off), for calibration dry runs and a
 * scripted teleoperation leader: the joints follow functions of time instead of a person.
 *
 * `mountTicks`: where each horn was mounted relative to the ideal (the encoder reading at the
 * joint's zero before any calibration), which calibration has to find and cancel.
 */
import { performance } from 'node:perf_hooks';
import { RAD_PER_TICK } from '../feetech/controlTable.ts';
import type { FeetechRobotConfig } from '../robots/feetechConfig.ts';
import type { FeetechEmulator } from './FeetechEmulator.ts';

export interface CalibrationScript {
  /** Seconds the arm stays in the calibration pose after startSweep() (default 0). */
  readonly holdS?: number;
  /** Seconds of sweeping every joint between its stops (default 2). */
  readonly sweepS?: number;
  /** How far beyond each config limit the joint's hard stop is (rad, default 0.05). */
  readonly overshootRad?: number;
  /** Joints whose upper stop is this much short of the config's upper limit (rad): a calibration that does not fit. */
  readonly short?: Readonly<Record<string, number>>;
  /** Horn mounting offsets (ticks per joint; default a fixed spread of a few hundred ticks). */
  readonly mountTicks?: readonly number[];
  readonly now?: () => number;
}

/** Encoder angle (rad from the center tick) of joint angle q on a horn mounted `mount` ticks off. */
const encoderAngle = (mount: number, dir: number, offset: number, q: number) => mount * RAD_PER_TICK + dir * (q - offset);

/**
 * The arm is held in the calibration pose until `startSweep()` (called when the pose has been
 * taken), then every joint is swept between its stops for `sweepS`, then held at the pose again.
 */
export function scriptCalibration(emu: FeetechEmulator, config: FeetechRobotConfig, s: CalibrationScript = {}): { startSweep(): void } {
  const now = s.now ?? (() => performance.now() / 1000);
  let t0 = Infinity;
  const hold = s.holdS ?? 0, sweep = s.sweepS ?? 2, over = s.overshootRad ?? 0.05;
  config.joints.forEach((j, i) => {
    const mount = s.mountTicks?.[i] ?? [310, -420, 150, -95, 600, -240][i % 6];
    const dir = j.direction ?? 1, off = j.offset ?? 0;
    const pose = config.calibration_pose?.[j.name] ?? 0;
    const lo = j.lower - over, hi = j.upper + over - (s.short?.[j.name] ?? 0);
    const servo = emu.servo(j.id);
    servo.hand = (t) => {
      const u = t - t0;
      if (u < hold) return encoderAngle(mount, dir, off, pose);
      // Twice over the sweep: pose -> upper stop (held a moment, as a hand pushes against it) ->
      // lower stop (held) -> pose; then back at the pose.
      const ph = ((u - hold) / sweep) * 2;
      if (ph >= 2) return encoderAngle(mount, dir, off, pose);
      const f = ph % 1;
      const q = f < 0.2 ? pose + (hi - pose) * (f / 0.2) : f < 0.3 ? hi : f < 0.7 ? hi + (lo - hi) * ((f - 0.3) / 0.4) : f < 0.8 ? lo : lo + (pose - lo) * ((f - 0.8) / 0.2);
      return encoderAngle(mount, dir, off, q);
    };
    servo.pos = (encoderAngle(mount, dir, off, pose) / RAD_PER_TICK + 2048) * RAD_PER_TICK;
  });
  return {
    startSweep: () => {
      t0 = now();
    },
  };
}

/** A leader arm moved along `trajectory(t)` (joint angles, rad, config order) by the operator. */
export function scriptLeader(emu: FeetechEmulator, config: FeetechRobotConfig, trajectory: (t: number, out: Float64Array) => void, now: () => number = () => performance.now() / 1000): void {
  const t0 = now();
  const q = new Float64Array(config.joints.length);
  let last = -1;
  config.joints.forEach((j, i) => {
    const dir = j.direction ?? 1, off = j.offset ?? 0, mount = j.homing_offset ?? 0;
    emu.servo(j.id).hand = (t) => {
      if (t !== last) {
        trajectory(t - t0, q);
        last = t;
      }
      return encoderAngle(mount, dir, off, q[i]);
    };
  });
}
