/**
 * The effort-limit figures docs/mujoco.md ("Actuators: which, and why") quotes: MuJoCo against
 * cannon-es on commands that saturate the PD law's torque, 200 Hz physics, implicit PD, ticks of
 * 20 ms (the state watchdog judges each, as `axon sim` does). Not part of `npm run bench` (no
 * timing: deterministic simulation figures). Run alone with `npx tsx tests/bench/saturationFigures.ts`;
 * at an older commit the same command gives the figures before a change (the script and its
 * fixtures use only the Robot API).
 *
 * 1. tests/helpers/saturation.ts's turret-and-wrist fixture, kp 100, kd 2.5 on every joint, targets
 *    turret 1, wrist 1.5, jaw −1.2 rad, boom held at 0; 2 s: each joint's peak speed (read after
 *    every physics step), largest |effort| / limit, the watchdog, final positions.
 * 2. The same fixture in velocity mode (kd 2.5): turret 2, wrist 5, jaw −5 rad/s, boom 0; 0.2 s.
 * 3. The Robotiq 2F-85 (<mimic>, tests/helpers/vendorGrippers.ts) on axon's default gain rule
 *    (src/cli/defaultGains.ts: kp 10000, kd 250 for finger_joint's 1000 N·m), finger_joint stepped
 *    0 → 0.8 rad; 1 s.
 * 4. Runs that never reach an effort limit, as a digest of the joint trajectory (positions and
 *    velocities at every tick), to compare commits bit for bit: the Robotiq closing ramp at kp 100,
 *    the Franka hand closing, the fixture on small steps at kp 10, the shipped humanoid standing 2 s.
 *    The first three touch a joint limit (the Robotiq's finger_joint at 0.8 rad, the Franka finger
 *    at 0 m, the fixture's falling boom at −3 rad), so hard joint limits changed their digests
 *    (docs/mujoco.md, "Joint limits"); the humanoid's touches none and kept its own.
 * 5. The fixture's jaw in velocity mode at −5 rad/s (kd 2.5) for 1 s, against its −2.5 rad limit
 *    (docs/mujoco.md, "Joint limits": MuJoCo's default soft limit let it through to −4.99 rad; a
 *    URDF's limits are now as hard as MuJoCo allows, and it ends at −2.5 as in cannon-es).
 * 6. Chains: the shipped arm (200 Hz) and humanoid (500 Hz), every joint stepped +1.5 and −1.5 rad
 *    from its default on the spec gains and on kp 300 kd 10, 1 s: each joint's largest
 *    |effort| / limit (over 1: a step applied more than the limit), with the effort guard on (MuJoCo
 *    robots always have it), and how many of the run's physics steps it took again.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoShippedRobot, createMujocoUrdfRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { closeGripper, FRANKA_CLOSE, ROBOTIQ_CLOSE } from '../helpers/gripperClose.ts';
import { runCommand, writeSaturationWrist } from '../helpers/saturation.ts';
import { FRANKA_MIMICS, writeFrankaHand, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

const HZ = 200;
const RUN = { tick: 0.02, physicsDt: 1 / HZ };
const dir = mkdtempSync(join(tmpdir(), 'axon-saturation-figures-'));
const wrist = writeSaturationWrist(dir);
const robotiq = writeRobotiq2f85(dir);

const fmt = (x: number) => (Number.isFinite(x) ? String(+x.toPrecision(4)) : String(x));
const list = (robot: SimulatedRobot, a: ArrayLike<number>) => robot.spec.joints.map((j, i) => `${j.name} ${fmt(a[i])}`).join(', ');
const byName = (robot: SimulatedRobot, values: Record<string, number>, rest = 0) => Float64Array.from(robot.spec.joints, (j) => values[j.name] ?? rest);

async function both(file: string, label: string, cmd: (robot: SimulatedRobot) => JointCommand, seconds: number): Promise<void> {
  const engines: [string, SimulatedRobot][] = [
    ['mujoco', await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / HZ })],
    ['cannon-es', createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ })],
  ];
  for (const [engine, robot] of engines) {
    const r = runCommand(robot, cmd(robot), { ...RUN, seconds });
    console.log(`${label}, ${engine}: peak speed (rad/s) ${list(robot, r.peak)}; largest |effort|/limit ${list(robot, r.effortRatio)}; watchdog ${r.trip === undefined ? 'quiet' : `at ${r.tripAt} s: ${r.trip}`}; final ${list(robot, r.final)}`);
    (robot as { dispose?: () => void }).dispose?.();
  }
}

await both(wrist, '1. fixture, position step, kp 100 kd 2.5', (r) => {
  const n = r.spec.joints.length;
  return { mode: 'position', target: byName(r, { turret: 1, wrist: 1.5, jaw: -1.2 }), kp: new Float64Array(n).fill(100), kd: new Float64Array(n).fill(2.5) };
}, 2);
await both(wrist, '2. fixture, velocity mode, kd 2.5', (r) => ({ mode: 'velocity', target: byName(r, { turret: 2, wrist: 5, jaw: -5 }), kd: new Float64Array(r.spec.joints.length).fill(2.5) }), 0.2);
const g = defaultGains(1000);
await both(robotiq, `3. Robotiq 2F-85, finger_joint 0 -> 0.8 rad, kp ${g.kp} kd ${g.kd}`, (r) => {
  const n = r.spec.joints.length;
  return { mode: 'position', target: byName(r, { finger_joint: 0.8 }), kp: new Float64Array(n).fill(g.kp), kd: new Float64Array(n).fill(g.kd) };
}, 1);

/** Digest of positions and velocities after every tick. */
function digest(robot: SimulatedRobot, ticks: number, cmd: (k: number) => JointCommand | undefined): string {
  const h = createHash('sha256');
  for (let k = 0; k < ticks; k++) {
    const c = cmd(k);
    if (c) robot.command(c);
    robot.step(RUN.tick);
    const o = robot.observe();
    h.update(new Uint8Array(Float64Array.from(o.jointPosition).buffer));
    h.update(new Uint8Array(Float64Array.from(o.jointVelocity).buffer));
  }
  return h.digest('hex').slice(0, 16);
}
const rq = await createMujocoUrdfRobot(robotiq, readUrdf(robotiq), { pd: 'implicit', physicsDt: 1 / HZ });
const rqJoints = rq.spec.joints.map((j) => j.name);
const ramp = (k: number): JointCommand => {
  const t = new Float64Array(rqJoints.length).fill(0.37);
  t[rqJoints.indexOf('finger_joint')] = Math.min(0.8, ROBOTIQ_CLOSE.velocity * (k + 1) * RUN.tick);
  return { mode: 'position', target: t, kp: new Float64Array(rqJoints.length).fill(ROBOTIQ_CLOSE.kp), kd: new Float64Array(rqJoints.length).fill(ROBOTIQ_CLOSE.kd) };
};
console.log(`4. never saturated, MuJoCo trajectory digests: Robotiq ramp ${digest(rq, 30, ramp)}`);
const franka = writeFrankaHand(dir);
const fr = await createMujocoUrdfRobot(franka, readUrdf(franka), { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { panda_finger_joint1: { defaultPosition: 0.04 } } });
const fClose = closeGripper(fr, { ...FRANKA_CLOSE, mimics: FRANKA_MIMICS });
console.log(`   Franka hand closing: leader ends at ${fmt(fClose.leaderEnd)} m, ${digest(fr, 10, () => ({ mode: 'position', target: Float64Array.of(0.02, 0) }))}`);
const wr = await createMujocoUrdfRobot(wrist, readUrdf(wrist), { pd: 'implicit', physicsDt: 1 / HZ });
const small = byName(wr, { turret: 0.02, wrist: 0.05, jaw: -0.05 });
console.log(`   fixture, small steps kp 10 kd 0.25 (boom passive): ${digest(wr, 50, () => ({ mode: 'position', target: small, kp: byName(wr, { boom: 0 }, 10), kd: byName(wr, { boom: 0 }, 0.25) }))}`);
const hum = await createMujocoShippedRobot('humanoid', { physicsDt: 0.002 });
hum.reset(1);
const pose = Float64Array.from(hum.spec.joints, (j) => j.defaultPosition);
console.log(`   shipped humanoid standing 2 s (500 Hz): ${digest(hum, 100, () => ({ mode: 'position', target: pose }))}`);
for (const r of [rq, fr, wr, hum]) r.dispose();
await both(wrist, '5. fixture, velocity mode, kd 2.5, jaw at -5 rad/s', (r) => ({ mode: 'velocity', target: byName(r, { jaw: -5 }), kd: new Float64Array(r.spec.joints.length).fill(2.5) }), 1);

// 6. Chains (see the header): docs/mujoco.md quotes the ratios.
for (const [name, dt] of [['arm', 1 / 200], ['humanoid', 1 / 500]] as const) {
  for (const gains of ['spec', 'kp 300 kd 10'] as const) {
    for (const sign of [1, -1]) {
      const r = await createMujocoShippedRobot(name, { physicsDt: dt, seed: 1 });
      const n = r.spec.joints.length;
      const target = Float64Array.from(r.spec.joints, (j) => j.defaultPosition + sign * 1.5);
      const cmd: JointCommand = gains === 'spec' ? { mode: 'position', target } : { mode: 'position', target, kp: new Float64Array(n).fill(300), kd: new Float64Array(n).fill(10) };
      const res = runCommand(r, cmd, { seconds: 1, tick: 0.02, physicsDt: dt });
      let worst = 0;
      for (let i = 1; i < n; i++) if (res.effortRatio[i] > res.effortRatio[worst]) worst = i;
      console.log(`6. shipped ${name}, ${gains}, step ${sign > 0 ? '+' : '-'}1.5 rad: largest |effort|/limit ${fmt(res.effortRatio[worst])} (${r.spec.joints[worst].name}); per joint ${list(r, res.effortRatio)}; physics steps taken again by the effort guard ${r.guardStepCount} of ${Math.round(1 / dt)}`);
      r.dispose();
    }
  }
}
rmSync(dir, { recursive: true, force: true });
