/**
 * Small URDFs with the less common <mimic> forms, for the simulators' tests: a chain (f2 mimics
 * f1, which mimics the driven joint `drive`), a prismatic follower of a revolute joint, and a
 * follower of a fixed joint (writeMimicChain); a leader downstream of its own follower
 * (writeLeaderBelowFollower). Fixed to `world`, joints about x (gravity does not load them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulatedRobot } from '../../src/core/robot.ts';

/** q_f1 = −0.5·q_drive + 0.1; q_f2 = 2·q_f1 + 0.05 = −q_drive + 0.25; q_slide = 0.02·q_drive; q_held = 0.3. */
export const CHAIN = {
  f1: (q: number) => -0.5 * q + 0.1,
  f2: (q: number) => -q + 0.25,
  slide: (q: number) => 0.02 * q,
  held: 0.3,
} as const;

const inertial = (m: number, i: number) => `<inertial><origin xyz="0 0 0.02"/><mass value="${m}"/><inertia ixx="${i}" ixy="0" ixz="0" iyy="${i}" iyz="0" izz="${i}"/></inertial>`;
const box = '<collision><origin xyz="0 0 0.02"/><geometry><box size="0.02 0.02 0.04"/></geometry></collision>';

/** Writes DIR/mimic_chain.urdf and returns its path. */
export function writeMimicChain(dir: string): string {
  const file = join(dir, 'mimic_chain.urdf');
  const link = (name: string) => `<link name="${name}">${inertial(0.05, 2e-5)}${box}</link>`;
  const rev = (name: string, parent: string, child: string, z: number, extra = '') =>
    `<joint name="${name}" type="revolute"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 ${z}"/><axis xyz="1 0 0"/><limit lower="-1.5" upper="1.5" effort="20" velocity="3"/>${extra}</joint>`;
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
  const link = (name: string) => `<link name="${name}">${inertial(0.05, 2e-5)}${box}</link>`;
  const rev = (name: string, parent: string, child: string, z: number, extra = '') =>
    `<joint name="${name}" type="revolute"><parent link="${parent}"/><child link="${child}"/><origin xyz="0 0 ${z}"/><axis xyz="1 0 0"/><limit lower="-1.5" upper="1.5" effort="20" velocity="3"/>${extra}</joint>`;
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
