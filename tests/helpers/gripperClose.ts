/**
 * A gripper closing as a pick policy closes it, for the mimic tests in both engines: only the
 * leader is commanded (position mode), its target moving from open to closed at the joint's
 * velocity limit (as the safety supervisor's per-tick step limit lets a policy's "close" through),
 * then held; every follower's entry of the command is garbage, which the robot must ignore. The
 * tracking error is |q_follower − (m·q_leader + o)|, read from observe() after every 50 Hz tick.
 */
import type { SimulatedRobot } from '../../src/core/robot.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { linearPolicy } from './onnxFixtures.ts';
import type { MimicPair } from './vendorGrippers.ts';

export interface GripperCase {
  readonly leader: string;
  readonly mimics: readonly MimicPair[];
  /** Leader positions (rad | m) open and closed, its velocity limit, and PD gains. */
  readonly open: number;
  readonly closed: number;
  readonly velocity: number;
  readonly kp: number;
  readonly kd: number;
}

export const FRANKA_CLOSE: Omit<GripperCase, 'mimics'> = { leader: 'panda_finger_joint1', open: 0.04, closed: 0, velocity: 0.2, kp: 1000, kd: 25 };
export const ROBOTIQ_CLOSE: Omit<GripperCase, 'mimics'> = { leader: 'finger_joint', open: 0, closed: 0.8, velocity: 2, kp: 100, kd: 2.5 };

export interface CloseResult {
  /** Largest tracking error over the run and at its end (rad | m), and the follower with the largest. */
  readonly worst: number;
  readonly final: number;
  readonly worstJoint: string;
  /** The leader's position at the end. */
  readonly leaderEnd: number;
  /** Largest |effort| any follower reported. */
  readonly followerEffort: number;
}

/** Closes the gripper over `seconds` (ramp, then hold) at 50 Hz ticks. The robot must start open. */
export function closeGripper(robot: SimulatedRobot, c: GripperCase, seconds = 0.6): CloseResult {
  const joints = robot.spec.joints.map((j) => j.name);
  const li = joints.indexOf(c.leader);
  const pairs = c.mimics.map((p) => ({ ...p, f: joints.indexOf(p.follower), l: joints.indexOf(p.leader) }));
  const target = new Float64Array(joints.length).fill(0.37); // followers' entries: ignored
  const kp = new Float64Array(joints.length).fill(c.kp);
  const kd = new Float64Array(joints.length).fill(c.kd);
  const dt = 0.02;
  const dir = Math.sign(c.closed - c.open);
  let worst = 0;
  let worstJoint = '';
  let final = 0;
  let followerEffort = 0;
  let obs = robot.observe();
  for (let k = 1; k <= Math.round(seconds / dt); k++) {
    target[li] = c.open + dir * Math.min(Math.abs(c.closed - c.open), c.velocity * k * dt);
    robot.command({ mode: 'position', target, kp, kd });
    robot.step(dt);
    obs = robot.observe();
    final = 0;
    for (const p of pairs) {
      const e = Math.abs(obs.jointPosition[p.f] - (p.multiplier * obs.jointPosition[p.l] + p.offset));
      if (e > worst) {
        worst = e;
        worstJoint = p.follower;
      }
      if (e > final) final = e;
      followerEffort = Math.max(followerEffort, Math.abs(obs.jointEffort[p.f]));
    }
  }
  return { worst, final, worstJoint, leaderEnd: obs.jointPosition[li], followerEffort };
}

/**
 * A policy folder whose action is a constant offset from the default pose on `joints`
 * (joint_position, scale 1, 50 Hz, pd kp and kp/40): "close" for `axon sim --policy`, the
 * manifest naming the joints it drives, followers or not.
 */
export function closePolicy(joints: string[], offsets: number[], kp: number): string {
  const m: ModelManifest = {
    schema: 'axon.model/1',
    name: 'close',
    kind: 'policy',
    robot: 'gripper',
    joints,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
    observation: { terms: [{ term: 'joint_pos_rel' }] },
    action: { type: 'joint_position', scale: 1 },
    pd: { kp: joints.map(() => kp), kd: joints.map(() => kp / 40) },
  };
  return linearPolicy(m, joints.length, joints.length, new Float32Array(joints.length * joints.length), Float32Array.from(offsets));
}

/**
 * The leader commanded straight to `target` (position mode) for `ticks` 50 Hz ticks, for the
 * follower-limited-inside-its-leader's-range case in both engines: the leader's highest position,
 * the fastest joint speed seen, and where the leader and `follower` end (rad | m).
 */
export function pressLeader(robot: SimulatedRobot, leader: string, follower: string, target: number, ticks = 150): { peak: number; fastest: number; leader: number; follower: number } {
  const names = robot.spec.joints.map((j) => j.name);
  const l = names.indexOf(leader);
  const cmd = new Float64Array(names.length);
  cmd[l] = target;
  let peak = 0;
  let fastest = 0;
  let q = robot.observe().jointPosition;
  for (let k = 0; k < ticks; k++) {
    robot.command({ mode: 'position', target: cmd });
    robot.step(0.02);
    const o = robot.observe();
    q = o.jointPosition;
    peak = Math.max(peak, q[l]);
    for (const v of o.jointVelocity) fastest = Math.max(fastest, Math.abs(v));
  }
  return { peak, fastest, leader: q[l], follower: q[names.indexOf(follower)] };
}
