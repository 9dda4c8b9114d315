import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoShippedRobot, createMujocoUrdfRobot, type MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { MujocoStepState } from '../../sim/mujoco/MujocoStepState.ts';
import { MujocoViews } from '../../sim/mujoco/MujocoViews.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { ROBOTIQ_CLOSE } from '../helpers/gripperClose.ts';
import { BOOM_LOAD, runCommand, TURRET_INERTIA, WRIST_EFFORT, writeSaturationWrist, type StepRunResult } from '../helpers/saturation.ts';
import { writeArmWithFingers } from '../helpers/mimicChain.ts';
import { ROBOTIQ_MIMICS, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

/**
 * A PD law whose torque passes the joint's effort limit, in MuJoCo (sim/mujoco/MujocoActuators.ts:
 * saturated only when the force the implicit step will apply passes the limit) against cannon-es
 * (a drive row with a bounded impulse), 200 Hz, implicit PD, 20 ms ticks under the state watchdog.
 * The figures docs/mujoco.md quotes: `npx tsx tests/bench/saturationFigures.ts`.
 */

const HZ = 200;
const RUN = { tick: 0.02, physicsDt: 1 / HZ };
/** How far MuJoCo's peak joint speed may be from cannon-es's on the same command (either way). */
const PEAK_FACTOR = 1.25;
const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-saturation-'));
const wristFile = writeSaturationWrist(dir);
const robots: MujocoRobot[] = [];
afterAll(() => robots.forEach((r) => r.dispose()));

async function mujoco(file: string): Promise<MujocoRobot> {
  const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / HZ });
  robots.push(r);
  return r;
}
const cannon = (file: string) => createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ });
const byName = (robot: SimulatedRobot, values: Record<string, number>, rest = 0) => Float64Array.from(robot.spec.joints, (j) => values[j.name] ?? rest);
const filled = (robot: SimulatedRobot, x: number) => new Float64Array(robot.spec.joints.length).fill(x);
const at = (robot: SimulatedRobot, values: ArrayLike<number>, name: string) => values[robot.spec.joints.findIndex((j) => j.name === name)];

/** The command in both engines: MuJoCo's run, and its peak speeds over cannon-es's per joint. */
async function bothEngines(file: string, cmd: (r: SimulatedRobot) => JointCommand, seconds: number): Promise<{ robot: MujocoRobot; mj: StepRunResult; ratio: Float64Array }> {
  const robot = await mujoco(file);
  const mj = runCommand(robot, cmd(robot), { ...RUN, seconds });
  const other = cannon(file);
  const ce = runCommand(other, cmd(other), { ...RUN, seconds });
  if (process.env.AXON_PRINT) console.log(JSON.stringify({ mujoco: Array.from(mj.peak), cannon: Array.from(ce.peak) }));
  return { robot, mj, ratio: mj.peak.map((p, i) => p / ce.peak[i]) };
}

describe('MuJoCo: the effort reported', () => {
  it('is what the implicit step applied (the law at the new velocity), as cannon-es reports: a light wrist stepped 0.1 rad at kp 100 reports 0.0103 N·m, not the 10 its law asks at rest', async () => {
    const efforts: number[][] = [];
    for (const robot of [await mujoco(wristFile), cannon(wristFile)]) {
      const w = robot.spec.joints.findIndex((j) => j.name === 'wrist');
      const cmd: JointCommand = { mode: 'position', target: byName(robot, { wrist: 0.1 }), kp: byName(robot, { boom: 0 }, 100), kd: byName(robot, { boom: 0 }, 2.5) };
      const e: number[] = [];
      for (let k = 0; k < 4; k++) {
        robot.command(cmd);
        robot.step(1 / HZ);
        e.push(robot.observe().jointEffort[w]);
      }
      efforts.push(e);
    }
    const [mj, ce] = efforts;
    expect(mj[0]).toBeCloseTo(0.0103, 4);
    for (let k = 0; k < 4; k++) expect(Math.abs(mj[k] - ce[k])).toBeLessThan(1e-4);
  });
});

describe('MuJoCo: PD commands over the effort limit on light links', () => {
  it('a step on the turret-and-wrist fixture (kp 100): the light wrist and jaw reach their targets at cannon-es speeds, no effort over a limit', async () => {
    const { robot, mj, ratio } = await bothEngines(wristFile, (r) => ({ mode: 'position', target: byName(r, { turret: 1, wrist: 1.5, jaw: -1.2 }), kp: filled(r, 100), kd: filled(r, 2.5) }), 2);
    // Before: a constant ±limit with no damping on the wrist (1e-5 kg·m²) and jaw: 7079 and 9579 rad/s, both ending past their limits.
    expect(mj.trip).toBeUndefined();
    expect(at(robot, mj.final, 'turret')).toBeCloseTo(1, 2);
    expect(at(robot, mj.final, 'wrist')).toBeCloseTo(1.5, 2);
    expect(at(robot, mj.final, 'jaw')).toBeCloseTo(-1.2, 2);
    for (const r of ratio) {
      expect(r).toBeLessThan(PEAK_FACTOR);
      expect(r).toBeGreaterThan(1 / PEAK_FACTOR);
    }
    // The effort reported is what the step applied: the saturated turret and boom at their limits, none past one.
    for (const e of mj.effortRatio) expect(e).toBeLessThanOrEqual(1 + 1e-6);
    expect(at(robot, mj.effortRatio, 'turret')).toBeCloseTo(1, 6);
  });

  it('the saturated turret (0.5 N·m on 4e-3 kg·m²) accelerates at limit / inertia, as in cannon-es', async () => {
    for (const robot of [await mujoco(wristFile), cannon(wristFile)]) {
      const r = runCommand(robot, { mode: 'position', target: byName(robot, { turret: 1 }), kp: filled(robot, 100), kd: filled(robot, 2.5) }, { ...RUN, seconds: 0.1 });
      const n = robot.spec.joints.length;
      const v = r.trajectory[(2 * 4 + 1) * n + robot.spec.joints.findIndex((j) => j.name === 'turret')]; // after the 5th tick: 0.1 s
      expect(v / ((WRIST_EFFORT.turret / TURRET_INERTIA) * 0.1)).toBeCloseTo(1, 2);
    }
  });

  it('velocity mode: the 1e-6 kg·m² jaw reaches −5 rad/s in a step, no chatter', async () => {
    const { robot, mj, ratio } = await bothEngines(wristFile, (r) => ({ mode: 'velocity', target: byName(r, { turret: 2, wrist: 5, jaw: -5 }), kd: filled(r, 2.5) }), 0.2);
    // Before: kd·5 = 12.5 N·m over the jaw's 0.5 applied as ±0.5 with no damping: 2505 rad/s, the watchdog at the first tick.
    expect(mj.trip).toBeUndefined();
    expect(at(robot, mj.peak, 'jaw')).toBeCloseTo(5, 3);
    for (const r of ratio) expect(r).toBeLessThan(PEAK_FACTOR);
    for (const e of mj.effortRatio) expect(e).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('the Robotiq 2F-85 (<mimic>) on the default gain rule (kp 10000) stepped to 0.8 rad: its group moves at cannon-es speeds and tracks', async () => {
    const file = writeRobotiq2f85(dir);
    const g = defaultGains(1000);
    const { robot, mj, ratio } = await bothEngines(file, (r) => ({ mode: 'position', target: byName(r, { finger_joint: 0.8 }), kp: filled(r, g.kp), kd: filled(r, g.kd) }), 1);
    // Before: 8000 N·m asked at rest, so 1000 applied with no damping on the light group: 20,660 rad/s, the fingers at 44 rad.
    expect(mj.trip).toBeUndefined();
    for (const r of ratio) {
      expect(r).toBeLessThan(PEAK_FACTOR);
      expect(r).toBeGreaterThan(1 / PEAK_FACTOR);
    }
    const q = robot.observe().jointPosition;
    const names = robot.spec.joints.map((j) => j.name);
    expect(q[names.indexOf(ROBOTIQ_CLOSE.leader)]).toBeCloseTo(0.8, 3);
    for (const p of ROBOTIQ_MIMICS) expect(Math.abs(q[names.indexOf(p.follower)] - (p.multiplier * q[names.indexOf(p.leader)] + p.offset))).toBeLessThan(1e-4);
  });

  it(`a motor weaker than its load lets it fall: the boom (${BOOM_LOAD.toFixed(3)} N·m on ${WRIST_EFFORT.boom}) ends hanging, its effort never over the limit`, async () => {
    // The implicit law holds a light link with a tiny error, so the force it would apply comes from the load (gravity, the last step's), not the error.
    const robot = await mujoco(wristFile);
    const r = runCommand(robot, { mode: 'position', target: filled(robot, 0), kp: filled(robot, 100), kd: filled(robot, 2.5) }, { ...RUN, seconds: 2 });
    expect(r.trip).toBeUndefined();
    expect(at(robot, r.final, 'boom')).toBeLessThan(-0.8); // cos q = 0.02 / 0.049 at q = −1.15 rad
    expect(at(robot, r.effortRatio, 'boom')).toBeCloseTo(1, 6);
  });

  it('chains: a step of every joint of the shipped arm (±1.5 rad, spec gains, 200 Hz) and humanoid (±1.5 rad, 500 Hz) applies no more than the limits', async () => {
    // Before: each joint judged alone with the rest of the robot free (1 / (M⁻¹)ᵢᵢ), ignoring the other laws through M's
    // off-diagonal terms: the arm's elbow applied 2.12 × its limit, the humanoid's ankle roll 2.37 ×.
    for (const [name, dt, sign, bound] of [['arm', 1 / 200, 1, 1 + 1e-6], ['arm', 1 / 200, -1, 1 + 1e-6], ['humanoid', 1 / 500, 1, 1 + 1e-6], ['humanoid', 1 / 500, -1, 1 + 1e-6]] as const) {
      const robot = await createMujocoShippedRobot(name, { physicsDt: dt, seed: 1 });
      robots.push(robot);
      const target = Float64Array.from(robot.spec.joints, (j) => j.defaultPosition + sign * 1.5);
      const r = runCommand(robot, { mode: 'position', target }, { seconds: 1, tick: 0.02, physicsDt: dt });
      for (const e of r.effortRatio) expect(e, `${name} ${sign}`).toBeLessThanOrEqual(bound);
    }
  });

  it('the effort guard: the shipped humanoid (500 Hz) and arm (200 Hz) on kp 300 kd 10, every joint stepped ±1.5 rad into its stops and the ground, never report an effort over a limit on any physics step', async () => {
    // Before: the saturation test takes the last step's constraint forces, so on the step a stop or a foot contact engaged a law ran past
    // its limit: the humanoid 6.52 × (right_shoulder_pitch, +1.5 rad) and 3.62 × (right_elbow, −1.5 rad), the arm 1.021 × (waist) and 1.062 ×
    // (elbow). Now such a step is taken again with those joints at ±limit.
    for (const [name, dt] of [['humanoid', 1 / 500], ['arm', 1 / 200]] as const) {
      let taken = 0;
      for (const sign of [1, -1]) {
        const robot = await createMujocoShippedRobot(name, { physicsDt: dt, seed: 1 });
        robots.push(robot);
        const n = robot.spec.joints.length;
        const target = Float64Array.from(robot.spec.joints, (j) => j.defaultPosition + sign * 1.5);
        const r = runCommand(robot, { mode: 'position', target, kp: filled(robot, 300), kd: filled(robot, 10) }, { seconds: 1, tick: 0.02, physicsDt: dt });
        for (let i = 0; i < n; i++) expect(r.effortRatio[i], `${name} ${robot.spec.joints[i].name} ${sign}`).toBeLessThanOrEqual(1 + 1e-6);
        taken += robot.guardStepCount;
      }
      expect(taken, name).toBeGreaterThan(0); // the guard acted: these runs pass the limits without it
    }
  });

  it('a robot with a mimic group is judged by the whole-robot solve, the group one coordinate: the arm with a finger pair, stepped ±1.5 rad (kp 100 and 300), needs the effort guard on at most 2 of its 200 steps', async () => {
    // Before: such a robot's joints were judged one by one with the rest of the robot free (a leader's group with it locked), and the arm's
    // chain passed its limits: without the guard up to 3.99 × (elbow, kp 300, −1.5 rad), with it 4 to 13 steps of 200 taken again; the
    // whole-robot solve's largest without the guard is 1.06 ×, as the arm alone's 1.04 (one-off runs of this command with the guard switched off).
    const file = writeArmWithFingers(dir);
    for (const [kp, kd] of [[100, 5], [300, 10]]) {
      for (const sign of [1, -1]) {
        const robot = await mujoco(file);
        const target = Float64Array.from(robot.spec.joints, (j) => (j.name.startsWith('finger') ? 0.02 : sign * 1.5));
        const r = runCommand(robot, { mode: 'position', target, kp: filled(robot, kp), kd: filled(robot, kd) }, { ...RUN, seconds: 1 });
        for (const e of r.effortRatio) expect(e).toBeLessThanOrEqual(1 + 1e-6);
        expect(robot.guardStepCount, `kp ${kp}, ${sign * 1.5} rad`).toBeLessThanOrEqual(2);
        expect(at(robot, r.final, 'finger_a')).toBeCloseTo(0.02, 3);
        expect(at(robot, r.final, 'finger_b')).toBeCloseTo(-0.02, 3);
      }
    }
  });

  it('the effort guard takes a step again from the state it began in, bit for bit (MujocoStepState)', async () => {
    const robot = await createMujocoShippedRobot('humanoid', { physicsDt: 1 / 500, seed: 1 });
    robots.push(robot);
    robot.command({ mode: 'position', target: Float64Array.from(robot.spec.joints, (j) => j.defaultPosition - 1.5), kp: filled(robot, 300), kd: filled(robot, 10) });
    robot.step(0.1);
    const state = new MujocoStepState(robot.model);
    const views = new MujocoViews(robot.model, robot.data);
    state.save(views, robot.data);
    robot.mj.mj_step(robot.model, robot.data);
    const once = [Float64Array.from(views.qpos), Float64Array.from(views.qvel), Float64Array.from(views.qaccWarmstart), Float64Array.of(robot.data.time)];
    views.qvel.fill(1); // garbage that restore() must undo
    state.restore(views, robot.data);
    robot.mj.mj_step(robot.model, robot.data);
    expect([Float64Array.from(views.qpos), Float64Array.from(views.qvel), Float64Array.from(views.qaccWarmstart), Float64Array.of(robot.data.time)]).toEqual(once);
  });

  it('a non-finite force on the joint in the last step (r NaN) does not let an over-limit law through: the law itself is judged', async () => {
    const robot = await mujoco(wristFile);
    const t = robot.jointIndex('turret');
    robot.command({ mode: 'position', target: byName(robot, { turret: 1 }), kp: filled(robot, 100), kd: filled(robot, 2.5) });
    robot.step(1 / HZ);
    (robot.data.qfrc_constraint as Float64Array)[robot.model.jnt_dofadr[robot.model.actuator_trnid[2 * t]]] = Number.NaN;
    robot.step(1 / HZ);
    // Before: the NaN force made every comparison false and the law's 100 N·m went to the 0.5 N·m turret.
    expect(robot.data.ctrl[t]).toBe(WRIST_EFFORT.turret);
  });

  it('a run that never reaches a limit is bit-identical to the same run with no limit (the saturation test changes nothing there)', async () => {
    const cases: [string, (r: SimulatedRobot, k: number) => JointCommand][] = [
      [wristFile, (r) => ({ mode: 'position', target: byName(r, { turret: 0.02, wrist: 0.05, jaw: -0.05 }), kp: byName(r, { boom: 0 }, 10), kd: byName(r, { boom: 0 }, 0.25) })],
      [writeRobotiq2f85(dir), (r, k) => ({ mode: 'position', target: byName(r, { finger_joint: Math.min(0.8, 2 * (k + 1) * RUN.tick) }, 0.37), kp: filled(r, 100), kd: filled(r, 2.5) })],
    ];
    for (const [file, cmd] of cases) {
      const runs: Float64Array[] = [];
      for (const scale of [1, Infinity]) {
        const robot = await mujoco(file);
        robot.setActuatorScale(1, 1, scale);
        const out: number[] = [];
        for (let k = 0; k < 40; k++) {
          robot.command(cmd(robot, k));
          robot.step(RUN.tick);
          const o = robot.observe();
          out.push(...o.jointPosition, ...o.jointVelocity);
        }
        runs.push(Float64Array.from(out));
      }
      expect(runs[0]).toEqual(runs[1]);
    }
  });
});
