/**
 * The joint-limit figures docs/mujoco.md ("Joint limits") quotes: how far a motor pushes a joint
 * past its limit in MuJoCo against cannon-es, whether a stiff stack chatters at its limits, and
 * which runs of the shipped robots touch a limit at all. Not part of `npm run bench` (no timing:
 * deterministic simulation figures). Run alone with `npx tsx tests/bench/limitFigures.ts`; at an
 * older commit the same command gives the figures before a change (the script and its fixtures use
 * only the Robot API, and MujocoRobot's `data` for the count of active limits).
 *
 * For each run, per engine, of the joints named: the position at the end, the worst penetration
 * past a limit over the run and over its last `settle` seconds (rad | m, read after every physics
 * step), the peak speed over those last seconds (chatter), the largest |effort| / effort limit.
 *
 * 1. tests/helpers/saturation.ts's jaw (1e-6 kg·m², 0.5 N·m, range ±2.5): velocity mode −5 rad/s
 *    (kd 2.5), and position mode target −4 rad (kp 100, kd 2.5), 1 s, 200 Hz.
 * 2. tests/helpers/limitStops.ts's strong gripper (a 5 N·m finger of 2e-7 kg·m², a 40 N slider of
 *    10 g) past its limits on axon's default gain rule, in position, velocity and effort mode, 1 s, 200 Hz.
 * 3. Its heavy arm (4, 3 and 1 kg links, 200/120/40 N·m) on the default gain rule, every joint
 *    commanded past a limit under gravity, 3 s, 200 Hz and 500 Hz.
 * 4. The shipped arm and humanoid (500 Hz): the scripted reach (seeds 1–4), standing 2 s, and the
 *    arm commanded past its limits; for each, a digest of the joint trajectory (positions and
 *    velocities after every 20 ms tick) and the physics steps at which a limit was active.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoShippedRobot, createMujocoUrdfRobot, type MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { ArmReachController } from '../../sim/robots/arm.ts';
import { robotModel } from '../../sim/robots/index.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { limitRun, type LimitRun, writeHeavyArm, writeStrongGripper } from '../helpers/limitStops.ts';
import { writeSaturationWrist } from '../helpers/saturation.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-limit-figures-'));
const fmt = (x: number) => (Number.isFinite(x) ? String(+x.toPrecision(3)) : String(x));

function print(label: string, names: readonly string[], r: LimitRun): void {
  const per = (a: number[]) => names.map((n, k) => `${n} ${fmt(a[k])}`).join(', ');
  console.log(`${label}: final ${per(r.final)}; worst past limit ${per(r.worst)}; last part: worst ${per(r.worstLate)}, peak speed ${per(r.peakLate)}; largest |effort|/limit ${per(r.effort)}`);
}

async function both(file: string, label: string, names: readonly string[], cmd: (r: SimulatedRobot) => JointCommand, o: { seconds: number; settle: number; hz: number }): Promise<void> {
  const run = { seconds: o.seconds, settle: o.settle, physicsDt: 1 / o.hz };
  const mj = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / o.hz });
  print(`${label}, mujoco`, names, limitRun(mj, cmd(mj), names, run));
  mj.dispose();
  const ce = createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / o.hz });
  print(`${label}, cannon-es`, names, limitRun(ce, cmd(ce), names, run));
}

const byName = (robot: SimulatedRobot, values: Record<string, number>, rest = 0) => Float64Array.from(robot.spec.joints, (j) => values[j.name] ?? rest);
const gains = (robot: SimulatedRobot) => {
  const g = robot.spec.joints.map((j) => defaultGains(j.effortLimit));
  return { kp: Float64Array.from(g, (x) => x.kp), kd: Float64Array.from(g, (x) => x.kd) };
};

// 1. The saturation fixture's jaw.
const wrist = writeSaturationWrist(dir);
const fill = (r: SimulatedRobot, x: number) => new Float64Array(r.spec.joints.length).fill(x);
await both(wrist, '1a. fixture jaw, velocity mode -5 rad/s, kd 2.5', ['jaw'], (r) => ({ mode: 'velocity', target: byName(r, { jaw: -5 }), kd: fill(r, 2.5) }), { seconds: 1, settle: 0.3, hz: 200 });
await both(wrist, '1b. fixture jaw, position mode target -4 rad, kp 100 kd 2.5', ['jaw'], (r) => ({ mode: 'position', target: byName(r, { jaw: -4 }), kp: fill(r, 100), kd: fill(r, 2.5) }), { seconds: 1, settle: 0.3, hz: 200 });

// 2. The strong gripper.
const gripper = writeStrongGripper(dir);
const fingers = ['finger_joint', 'slide_joint'];
await both(gripper, '2a. strong gripper, position mode past the upper limits (finger 1.0 rad, slider 0.06 m), default gains', fingers, (r) => ({ mode: 'position', target: byName(r, { finger_joint: 1.0, slide_joint: 0.06 }), ...gains(r) }), { seconds: 1, settle: 0.5, hz: 200 });
await both(gripper, '2b. strong gripper, velocity mode (finger 2 rad/s, slider 0.1 m/s), default kd', fingers, (r) => ({ mode: 'velocity', target: byName(r, { finger_joint: 2, slide_joint: 0.1 }), kd: gains(r).kd }), { seconds: 1, settle: 0.5, hz: 200 });
await both(gripper, '2c. strong gripper, effort mode at the effort limits (5 N·m, 40 N)', fingers, (r) => ({ mode: 'effort', target: byName(r, { finger_joint: 5, slide_joint: 40 }) }), { seconds: 1, settle: 0.5, hz: 200 });

// 3. The heavy arm.
const heavy = writeHeavyArm(dir);
const armJoints = ['shoulder', 'elbow', 'wrist'];
for (const hz of [200, 500])
  await both(heavy, `3. heavy arm past its limits (shoulder 1.5, elbow 2.8, wrist -1.4 rad), default gains, ${hz} Hz`, armJoints, (r) => ({ mode: 'position', target: byName(r, { shoulder: 1.5, elbow: 2.8, wrist: -1.4 }), ...gains(r) }), { seconds: 3, settle: 1, hz });

// 4. The shipped robots: digests and the steps at which a limit was active.
function digest(robot: MujocoRobot, ticks: number, cmd: (k: number) => JointCommand | undefined): string {
  const h = createHash('sha256');
  const sub = Math.round(0.02 / robot.physicsDt);
  let active = 0;
  for (let k = 0; k < ticks; k++) {
    const c = cmd(k);
    if (c) robot.command(c);
    for (let s = 0; s < sub; s++) {
      robot.step(robot.physicsDt);
      if (robot.data.nl > 0) active++;
    }
    const o = robot.observe();
    h.update(new Uint8Array(Float64Array.from(o.jointPosition).buffer));
    h.update(new Uint8Array(Float64Array.from(o.jointVelocity).buffer));
  }
  return `${h.digest('hex').slice(0, 16)} (a limit active at ${active} of ${ticks * sub} physics steps)`;
}
const arm = await createMujocoShippedRobot('arm', { physicsDt: 0.002 });
for (const seed of [1, 2, 3, 4]) {
  arm.reset(seed);
  const ctl = new ArmReachController(robotModel('arm'), arm.spec.joints);
  let obs = arm.observe();
  ctl.reset(obs);
  const target = new Float64Array(arm.spec.joints.length);
  const d = digest(arm, 200, () => {
    obs = arm.observe();
    target.set(ctl.act(obs));
    return { mode: 'position', target };
  });
  console.log(`4. shipped arm, scripted reach seed ${seed}, 4 s: ${d}`);
}
arm.reset(1);
const past = Float64Array.from(arm.spec.joints, (j) => (Number.isFinite(j.upper) ? j.upper + 0.3 : 0));
console.log(`   shipped arm, every joint commanded 0.3 rad past its upper limit, 3 s: ${digest(arm, 150, () => ({ mode: 'position', target: past }))}`);
arm.reset(1);
const names = arm.spec.joints.map((j) => j.name);
print('   shipped arm, the same, mujoco', names, limitRun(arm, { mode: 'position', target: past }, names, { seconds: 3, settle: 1, physicsDt: 0.002 }));
arm.dispose();
const hum = await createMujocoShippedRobot('humanoid', { physicsDt: 0.002 });
hum.reset(1);
const pose = Float64Array.from(hum.spec.joints, (j) => j.defaultPosition);
console.log(`   shipped humanoid standing 2 s: ${digest(hum, 100, () => ({ mode: 'position', target: pose }))}`);
hum.dispose();
rmSync(dir, { recursive: true, force: true });
