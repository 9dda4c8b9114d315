/**
 * The <mimic> figures docs/simulation.md and docs/mujoco.md ("Mimic joints") quote for choices in
 * the couplings' tuning, on the Robotiq 2F-85 fixture (tests/helpers/vendorGrippers.ts), 200 Hz,
 * implicit PD. Not part of `npm run bench` (no timing: deterministic simulation figures). Run alone
 * with `npx tsx tests/bench/mimicFigures.ts`.
 *
 * 1. cannon-es, MIMIC_ERP 0.2, 0.5 and 1 (sim/physics/MimicCoupling.ts): finger_joint's target
 *    stepped 0 -> 0.8 rad (kp 100, kd 2.5), 1 s; the followers' largest error after the first
 *    step, and from 0.1 s on.
 * 2. MuJoCo, the equalities' solimp: axon's 0.9999 against menagerie's gripper couplings'
 *    (0.95 0.99, written into the compiled model): the closing ramp of tests/sim/mimicMujoco.test.ts
 *    (2 rad/s to 0.8 rad, kp 100, kd 2.5, 0.6 s), the followers' largest error.
 * 3. MuJoCo, without the equalities' solref scaling (MujocoMimicGroups.scaleEqualities made a
 *    no-op on the robot): the same ramp on the default gain rule (src/cli/defaultGains.ts: kp 10000,
 *    kd 250 on finger_joint's 1000 N·m), held 1 s after it ends (1.4 s): the followers' error then.
 * 4. MuJoCo, an MJCF's <equality><joint> followers (sim/mujoco/mjcfMimic.ts; the fixtures of
 *    tests/helpers/menagerieGrippers.ts): the closing ramps of tests/sim/mujocoMjcfMimic.test.ts
 *    with the equalities as axon makes them (a URDF <mimic>'s solref and solimp), with the model's
 *    own put back (menagerie's solimp 0.95 0.99, solref 0.005; MuJoCo's defaults 0.9 0.95, 0.02 on
 *    the rotary's knuckle_r), and the model's own without the solref scaling: each follower's
 *    largest error and its error at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoMjcfRobot, createMujocoUrdfRobot, readUrdf, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { MimicEquation } from '../../sim/physics/MimicCoupling.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';
import { closeGripper, ROBOTIQ_CLOSE } from '../helpers/gripperClose.ts';
import { writeMenageriePandaHand, writeRotaryGripper } from '../helpers/menagerieGrippers.ts';
import { ROBOTIQ_MIMICS, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

const HZ = 200;
const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-figures-'));
const file = writeRobotiq2f85(dir);

/** Largest |q_f − (m·q_l + o)| over the Robotiq's followers now. */
function followerError(robot: SimulatedRobot): number {
  const names = robot.spec.joints.map((j) => j.name);
  const q = robot.observe().jointPosition;
  return Math.max(...ROBOTIQ_MIMICS.map((p) => Math.abs(q[names.indexOf(p.follower)] - (p.multiplier * q[names.indexOf(p.leader)] + p.offset))));
}

/** finger_joint stepped to 0.8 rad, physics step by physics step for `seconds`: the error after the first step, and the largest from `from` s on. */
function step(robot: SimulatedRobot, seconds: number, from: number): { first: number; after: number } {
  const target = new Float64Array(robot.spec.joints.length);
  target[robot.spec.joints.findIndex((j) => j.name === 'finger_joint')] = 0.8;
  let first = 0;
  let after = 0;
  for (let k = 1; k <= Math.round(seconds * HZ); k++) {
    robot.command({ mode: 'position', target });
    robot.step(1 / HZ);
    const e = followerError(robot);
    if (k === 1) first = e;
    if (k >= Math.round(from * HZ)) after = Math.max(after, e);
  }
  return { first, after };
}

const fmt = (x: number) => x.toExponential(2);

for (const erp of [0.2, 0.5, 1]) {
  const robot = createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ, jointDefaults: { finger_joint: { kp: 100, kd: 2.5 } } });
  for (const c of robot.world.constraints) for (const e of c.equations) if (e instanceof MimicEquation) e.erp = erp;
  const r = step(robot, 1, 0.1);
  console.log(`cannon-es MIMIC_ERP ${erp}: after the first step ${fmt(r.first)} rad, from 0.1 s on ${fmt(r.after)} rad`);
}

for (const [label, solimp] of [
  ['0.9999 (axon)', undefined],
  ['0.95 0.99 (menagerie)', [0.95, 0.99, 0.001, 0.5, 2]],
] as const) {
  const robot = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / HZ });
  if (solimp) {
    const s = robot.model.eq_solimp as Float64Array;
    for (let e = 0; e < robot.model.neq; e++) solimp.forEach((v, i) => (s[e * 5 + i] = v));
  }
  const r = closeGripper(robot, { ...ROBOTIQ_CLOSE, mimics: ROBOTIQ_MIMICS });
  console.log(`MuJoCo solimp ${label}: closing ramp, largest error ${fmt(r.worst)} rad`);
  robot.dispose();
}

const gains = defaultGains(1000);
for (const scaled of [true, false]) {
  const robot = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / HZ });
  if (!scaled) (robot as unknown as { actuators: { mimic: { scaleEqualities: () => void } } }).actuators.mimic.scaleEqualities = () => {};
  const r = closeGripper(robot, { ...ROBOTIQ_CLOSE, ...gains, mimics: ROBOTIQ_MIMICS }, 1.4);
  console.log(`MuJoCo kp ${gains.kp} kd ${gains.kd}, solref ${scaled ? 'scaled' : 'not scaled'}: largest error ${fmt(r.worst)} rad, 1 s after the ramp ${fmt(r.final)} rad`);
  robot.dispose();
}
/**
 * The model's own solref (timeconst, dampratio) and solimp put back on follower `f`'s equality `e`
 * after axon made it a URDF <mimic>'s: solimp and solref in the compiled model, and solref as the
 * time constant and damping ratio MujocoMimicGroups scales each step (MuJoCo's clamp to 2 steps kept).
 */
function modelOwn(robot: MujocoRobot, f: string, e: number, solref: readonly [number, number], solimp: readonly number[]): void {
  solimp.forEach((v, i) => ((robot.model.eq_solimp as Float64Array)[5 * e + i] = v));
  (robot.model.eq_solref as Float64Array).set(solref, 2 * e); // what MuJoCo reads where the scaling is off
  const groups = (robot as unknown as { actuators: { mimic: { eqR0: Float64Array; eqR1: Float64Array } } }).actuators.mimic;
  groups.eqR0[robot.jointIndex(f)] = Math.max(solref[0], 2 / HZ);
  groups.eqR1[robot.jointIndex(f)] = solref[1];
}
const MENAGERIE = [0.95, 0.99, 0.001, 0.5, 2];
const MUJOCO_DEFAULT = [0.9, 0.95, 0.001, 0.5, 2];
const pandaHand = writeMenageriePandaHand(dir);
const rotary = writeRotaryGripper(dir);
const mjcfCases = [
  { label: 'menagerie panda hand', file: pandaHand.file, init: undefined, close: { leader: 'finger_joint2', open: 0.04, closed: 0, velocity: 0.2, kp: 1000, kd: 25 }, mimics: pandaHand.mimics, own: [['finger_joint1', 0, [0.005, 1], MENAGERIE]] as const },
  { label: 'rotary gripper', file: rotary.file, init: { knuckle: 0 }, close: { leader: 'knuckle', open: 0, closed: 0.8, velocity: 2, kp: 100, kd: 2.5 }, mimics: rotary.mimics, own: [['inner', 0, [0.005, 1], MENAGERIE], ['knuckle_r', 1, [0.02, 1], MUJOCO_DEFAULT]] as const },
];
for (const c of mjcfCases)
  for (const mode of ["axon's (a URDF <mimic>'s)", "the model's own", "the model's own, solref not scaled"])
    for (const m of c.mimics) {
      const robot = await createMujocoMjcfRobot(c.file, { physicsDt: 1 / HZ, defaultGains: (e) => defaultGains(e), ...(c.init ? { defaultPositions: c.init } : {}) });
      if (mode !== "axon's (a URDF <mimic>'s)") for (const [f, e, solref, solimp] of c.own) modelOwn(robot, f, e, solref, solimp);
      if (mode.endsWith('not scaled')) (robot as unknown as { actuators: { mimic: { scaleEqualities: () => void } } }).actuators.mimic.scaleEqualities = () => {};
      const r = closeGripper(robot, { ...c.close, mimics: [m] });
      console.log(`MuJoCo MJCF ${c.label}, ${m.follower}, equality ${mode}: largest error ${fmt(r.worst)}, at the end ${fmt(r.final)}; ${c.close.leader} ends at ${r.leaderEnd.toFixed(4)}`);
      robot.dispose();
    }
rmSync(dir, { recursive: true, force: true });
