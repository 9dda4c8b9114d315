/**
 * Small URDFs with the less common <mimic> forms, for the simulators' tests: a chain (f2 mimics
 * f1, which mimics the driven joint `drive`), a prismatic follower of a revolute joint, and a
 * follower of a fixed joint (writeMimicChain); a leader downstream of its own follower
 * (writeLeaderBelowFollower); a continuous wheel with a half-speed follower (writeHalfSpeedWheel).
 * Fixed to `world`, joints about x (gravity does not load them). And the shipped arm with a mimic
 * finger pair on its gripper (writeArmWithFingers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, SimulatedRobot } from '../../src/core/robot.ts';
import { wrapAngle } from '../../sim/physics/frames.ts';

/** q_f1 = −0.5·q_drive + 0.1; q_f2 = 2·q_f1 + 0.05 = −q_drive + 0.25; q_slide = 0.02·q_drive; q_held = 0.3. */
export const CHAIN = {
  f1: (q: number) => -0.5 * q + 0.1,
  f2: (q: number) => -q + 0.25,
  slide: (q: number) => 0.02 * q,
  held: 0.3,
} as const;

const inertial = (m: number, i: number) => `<inertial><origin xyz="0 0 0.02"/><mass value="${m}"/><inertia ixx="${i}" ixy="0" ixz="0" iyy="${i}" iyz="0" izz="${i}"/></inertial>`;
const box = '<collision><origin xyz="0 0 0.02"/><geometry><box size="0.02 0.02 0.04"/></geometry></collision>';
/** A light link (50 g, 2e-5 kg·m²) and a revolute joint about x, as the chain fixtures below use them. */
const link = (name: string) => `<link name="${name}">${inertial(0.05, 2e-5)}${box}</link>`;
const rev = (name: string, parent: string, child: string, z: number, extra = '') =>
  `<joint name="${name}" type="revolute"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 ${z}"/><axis xyz="1 0 0"/><limit lower="-1.5" upper="1.5" effort="20" velocity="3"/>${extra}</joint>`;

/** Writes DIR/mimic_chain.urdf and returns its path. */
export function writeMimicChain(dir: string): string {
  const file = join(dir, 'mimic_chain.urdf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<robot name="mimic_chain">
  <link name="world"/>
  <joint name="base_joint" type="fixed"><parent link="world"/><child link="base"/><origin xyz="0 0 0.5"/></joint>
  <link name="base">${inertial(0.5, 1e-3)}</link>
  ${link('l1')}${link('l2')}${link('l3')}${link('carriage')}${link('lock_link')}${link('held_link')}
  ${rev('f2', 'l2', 'l3', 0.04, '<mimic joint="f1" multiplier="2" offset="0.05"/>')}
  ${rev('drive', 'base', 'l1', 0.02)}
  ${rev('f1', 'l1', 'l2', 0.04, '<mimic joint="drive" multiplier="-0.5" offset="0.1"/>')}
  <joint name="slide" type="prismatic"><parent link="base"/><child link="carriage"/><origin xyz="0.05 0 0"/><axis xyz="0 1 0"/><limit lower="-0.05" upper="0.05" effort="50" velocity="0.2"/><mimic joint="drive" multiplier="0.02"/></joint>
  <joint name="lock" type="fixed"><parent link="base"/><child link="lock_link"/><origin xyz="-0.05 0 0"/></joint>
  ${rev('held', 'lock_link', 'held_link', 0.02, '<mimic joint="lock" multiplier="4" offset="0.3"/>')}
</robot>
`,
  );
  return file;
}

/** q_f1 = 0.5·q_drive (f1 carries drive: the leader rides on its follower); q_tip = −q_drive (tip rides on both). */
export const LEADER_BELOW = {
  f1: (q: number) => 0.5 * q,
  tip: (q: number) => -q,
} as const;

/**
 * Writes DIR/mimic_leader_below.urdf (or mimic_leader_below_2.urdf without `tip`) and returns its
 * path: a leader downstream of one of its own followers (base -f1-> l1 -drive-> l2 [-tip-> l3]; f1
 * mimics drive at 0.5, tip at −1), a linkage whose driven joint sits on a coupled link. Light links
 * (50 g, 2e-5 kg·m²), the followers declared before the leader, joints about x.
 */
export function writeLeaderBelowFollower(dir: string, tip = true): string {
  const file = join(dir, tip ? 'mimic_leader_below.urdf' : 'mimic_leader_below_2.urdf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<robot name="mimic_leader_below">
  <link name="world"/>
  <joint name="base_joint" type="fixed"><parent link="world"/><child link="base"/><origin xyz="0 0 0.5"/></joint>
  <link name="base">${inertial(0.5, 1e-3)}</link>
  ${link('l1')}${link('l2')}${tip ? link('l3') : ''}
  ${rev('f1', 'base', 'l1', 0.02, '<mimic joint="drive" multiplier="0.5"/>')}
  ${tip ? rev('tip', 'l2', 'l3', 0.04, '<mimic joint="drive" multiplier="-1"/>') : ''}
  ${rev('drive', 'l1', 'l2', 0.04)}
</robot>
`,
  );
  return file;
}

/** What driveLeaderBelow saw: fastest joint rate (rad/s), worst tracking error (rad), final positions by name. */
export interface LeaderBelowRun {
  readonly fastest: number;
  readonly worst: number;
  readonly final: Readonly<Record<string, number>>;
}

/**
 * Drives writeLeaderBelowFollower's `drive` to 0.8 rad (inside its ±1.5 limit) for 2 s at 50 Hz
 * ticks (kp 20, kd 0.5 set by the caller), reading the followers' error from LEADER_BELOW after
 * each tick.
 */
export function driveLeaderBelow(robot: SimulatedRobot): LeaderBelowRun {
  const names = robot.spec.joints.map((j) => j.name);
  const target = new Float64Array(names.length);
  target[names.indexOf('drive')] = 0.8;
  let fastest = 0;
  let worst = 0;
  for (let k = 0; k < 100; k++) {
    robot.command({ mode: 'position', target });
    robot.step(0.02);
    const o = robot.observe();
    for (const v of o.jointVelocity) fastest = Math.max(fastest, Math.abs(v));
    const d = o.jointPosition[names.indexOf('drive')];
    for (const [n, f] of Object.entries(LEADER_BELOW)) if (names.includes(n)) worst = Math.max(worst, Math.abs(o.jointPosition[names.indexOf(n)] - f(d)));
  }
  const q = robot.observe().jointPosition;
  return { fastest, worst, final: Object.fromEntries(names.map((n, i) => [n, q[i]])) };
}

/**
 * Writes DIR/mimic_wheel.urdf and returns its path: a continuous `wheel` and a continuous `half`
 * that mimics it at multiplier 0.5 (a follower at half speed: its angle wraps at a different time
 * from its leader's), both about x on a fixed base, light wheels (200 g, 1e-3 kg·m²).
 */
export function writeHalfSpeedWheel(dir: string): string {
  const file = join(dir, 'mimic_wheel.urdf');
  const wheel = (name: string, x: number, extra = '') =>
    `<link name="${name}_link"><inertial><mass value="0.2"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link><joint name="${name}" type="continuous"><parent link="base"/><child link="${name}_link"/><origin xyz="${x} 0 0"/><axis xyz="1 0 0"/><limit effort="20" velocity="10"/>${extra}</joint>`;
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<robot name="mimic_wheel">
  <link name="world"/>
  <joint name="base_joint" type="fixed"><parent link="world"/><child link="base"/><origin xyz="0 0 0.5"/></joint>
  <link name="base"><inertial><mass value="1"/><inertia ixx="1e-2" ixy="0" ixz="0" iyy="1e-2" iyz="0" izz="1e-2"/></inertial></link>
  ${wheel('wheel', 0)}
  ${wheel('half', 0.1, '<mimic joint="wheel" multiplier="0.5"/>')}
</robot>
`,
  );
  return file;
}

/** What spinWheel saw, on angles unwrapped from the readings (rad, rad/s). */
export interface WheelRun {
  /** Largest |half − 0.5·wheel| over the run. */
  readonly worst: number;
  /** The wheel's slowest rate after its first 0.2 s, and its angle at the end. */
  readonly slowest: number;
  readonly wheelEnd: number;
}

/**
 * Spins writeHalfSpeedWheel's wheel at 3 rad/s (velocity mode; the caller gives it kd 1) for 3 s
 * (1.4 turns: the wheel's reading wraps twice, its follower's once) at 50 Hz ticks, unwrapping
 * both readings tick by tick (0.06 rad a tick, far from π). Each observation also goes to `each`.
 */
export function spinWheel(robot: SimulatedRobot, each?: (o: Observation) => void): WheelRun {
  const names = robot.spec.joints.map((j) => j.name);
  const w = names.indexOf('wheel');
  const h = names.indexOf('half');
  const target = new Float64Array(names.length);
  target[w] = 3;
  let o = robot.observe();
  const u = [o.jointPosition[w], o.jointPosition[h]];
  const last = [...u];
  let worst = 0;
  let slowest = Infinity;
  for (let k = 1; k <= 150; k++) {
    robot.command({ mode: 'velocity', target });
    robot.step(0.02);
    o = robot.observe();
    each?.(o);
    [w, h].forEach((i, n) => {
      const r = o.jointPosition[i];
      u[n] += wrapAngle(r - last[n]);
      last[n] = r;
    });
    worst = Math.max(worst, Math.abs(u[1] - 0.5 * u[0]));
    if (k > 10) slowest = Math.min(slowest, o.jointVelocity[w]);
  }
  return { worst, slowest, wheelEnd: u[0] };
}

/**
 * Writes DIR/arm_fingers.urdf and returns its path: the shipped arm (sim/robots/arm.urdf) with two
 * prismatic fingers on its `gripper` link, `finger_b` mimicking `finger_a` at −1 and declared before
 * it (a vendor's export order), each 30 g with 1e-6 kg·m² (a tiny inertia), 10 N, ±30 mm. A
 * robot with a mimic group whose other joints form a chain that saturates.
 */
export function writeArmWithFingers(dir: string): string {
  const arm = readFileSync(new URL('../../sim/robots/arm.urdf', import.meta.url), 'utf8');
  const finger = (name: string, y: number, mimic = '') =>
    `<joint name="${name}" type="prismatic"><parent link="gripper"/><child link="${name}_link"/><origin xyz="0.08 ${y} 0"/><axis xyz="0 1 0"/><limit lower="-0.03" upper="0.03" effort="10" velocity="0.5"/>${mimic}</joint>` +
    `<link name="${name}_link"><inertial><mass value="0.03"/><inertia ixx="1e-6" ixy="0" ixz="0" iyy="1e-6" iyz="0" izz="1e-6"/></inertial></link>`;
  const file = join(dir, 'arm_fingers.urdf');
  writeFileSync(file, arm.replace('</robot>', `${finger('finger_b', -0.02, '<mimic joint="finger_a" multiplier="-1" offset="0"/>')}${finger('finger_a', 0.02)}\n</robot>`));
  return file;
}
