import type { Observation } from '../../src/core/robot.ts';
import type { Rng } from '../../src/core/rng.ts';
import type { RandomizableRobot } from './RandomizableRobot.ts';
import type { SimJointDefaults, SimRobotOptions } from '../SimRobot.ts';
import type { UrdfModel } from '../urdf/parseUrdf.ts';
import { chainTo, linkPositionFk, type FkChain } from '../urdf/kinematics.ts';

/**
 * The arm (sim/robots/arm.urdf): 6 DoF, ViperX-300 class on Dynamixel X-series servos, fixed to
 * the world. Joint order: waist, shoulder, elbow, forearm_roll, wrist_pitch, wrist_roll.
 * Tool frame "ee" (a massless frame link); its world position is Observation.extras.ee_pos and
 * the episode's target extras.target_pos (m). Task: ReachTask (sim/tasks/arm.ts).
 */
export const ARM_JOINTS = ['waist', 'shoulder', 'elbow', 'forearm_roll', 'wrist_pitch', 'wrist_roll'] as const;

/**
 * Position-mode PD (N·m/rad, N·m·s/rad), servo-like: stiff enough that gravity sags the tool by
 * about 1 cm at full reach (the reach controller's integral action removes the rest), damped
 * within kd·dt/I < 2 on the wrist links (0.005 kg·m²).
 */
const GAINS: Readonly<Record<string, [number, number]>> = {
  waist: [60, 3],
  shoulder: [200, 8],
  elbow: [150, 6],
  forearm_roll: [40, 1.5],
  wrist_pitch: [40, 1.5],
  wrist_roll: [20, 0.8],
};

export const armJointDefaults: Readonly<Record<string, SimJointDefaults>> = Object.fromEntries(
  ARM_JOINTS.map((n) => [n, { defaultPosition: 0, kp: GAINS[n][0], kd: GAINS[n][1] }]),
);

export const armOptions: Partial<SimRobotOptions> = { framePositions: { ee_pos: 'ee' } };

/**
 * Where targets are drawn (cylindrical coordinates about the waist axis, world frame): radius
 * 0.25-0.50 m, azimuth ±2 rad (±115°) around +x, height 0.05-0.45 m. All of it is within reach
 * (at most 0.59 m from the shoulder axis, reach 0.68 m).
 */
export const ARM_TARGET_REGION = { radius: [0.25, 0.5], azimuth: [-2, 2], height: [0.05, 0.45] } as const;

/** Draws the episode's target from `rng` and puts it in extras.target_pos; returns it by name. */
export function drawArmTarget(robot: RandomizableRobot, rng: Rng): Record<string, number> {
  const R = ARM_TARGET_REGION;
  const r = rng.uniform(R.radius[0], R.radius[1]);
  const a = rng.uniform(R.azimuth[0], R.azimuth[1]);
  const z = rng.uniform(R.height[0], R.height[1]);
  const target = [r * Math.cos(a), r * Math.sin(a), z];
  robot.setExtra('target_pos', target);
  return { target_x: target[0], target_y: target[1], target_z: target[2] };
}

/** `--randomize` for the arm: initial joint offsets ±0.1 rad, body masses ×U(0.9, 1.1), kp/kd ×U(0.9, 1.1) per joint. */
export function randomizeArm(robot: RandomizableRobot, rng: Rng): Record<string, number> {
  const drawn: Record<string, number> = {};
  const q = Float64Array.from(robot.spec.joints, (j) => j.defaultPosition);
  robot.spec.joints.forEach((j, i) => {
    const d = rng.uniform(-0.1, 0.1);
    q[i] += d;
    drawn[`q0_offset.${j.name}`] = d;
  });
  robot.setEpisodeInitialState(q);
  for (const link of robot.bodyLinkNames()) {
    const s = rng.uniform(0.9, 1.1);
    robot.setBodyMassScale(link, s);
    drawn[`mass_scale.${link}`] = s;
  }
  const kp = robot.spec.joints.map(() => rng.uniform(0.9, 1.1));
  const kd = robot.spec.joints.map(() => rng.uniform(0.9, 1.1));
  robot.setActuatorScale(kp, kd, 1);
  robot.spec.joints.forEach((j, i) => {
    drawn[`kp_scale.${j.name}`] = kp[i];
    drawn[`kd_scale.${j.name}`] = kd[i];
  });
  return drawn;
}

/**
 * A scripted reach controller (the arm's baseline, no learning): every tick it moves its joint
 * target by damped-least-squares inverse kinematics toward the target, driven by the *measured*
 * tool error (an integral in task space: gravity sag and PD error are removed as it goes).
 * dq = Jᵀ(JJᵀ + λ²I)⁻¹·(gain·e), J by finite differences of the URDF's forward kinematics at
 * the commanded pose; |dq| ≤ maxStep per joint, targets clamped into the joint limits.
 * Allocates its buffers once; act() does not allocate.
 */
export class ArmReachController {
  /** Joint position targets (rad), robot joint order. */
  readonly target: Float64Array;
  private readonly chain: FkChain;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly J: Float64Array;
  private readonly p0 = new Float64Array(3);
  private readonly p1 = new Float64Array(3);
  private readonly qs: Float64Array;

  constructor(
    model: UrdfModel,
    limits: readonly { lower: number; upper: number }[],
    private readonly o: { gain?: number; damping?: number; maxStep?: number; eeLink?: string } = {},
  ) {
    const n = limits.length;
    this.chain = chainTo(model, o.eeLink ?? 'ee');
    this.target = new Float64Array(n);
    this.qs = new Float64Array(n);
    this.lower = Float64Array.from(limits, (l) => l.lower);
    this.upper = Float64Array.from(limits, (l) => l.upper);
    this.J = new Float64Array(3 * n);
  }

  /** Starts from the measured pose. */
  reset(obs: Observation): void {
    this.target.set(obs.jointPosition);
  }

  /** One tick: updates and returns `target`. */
  act(obs: Observation): Float64Array {
    const ee = obs.extras.ee_pos;
    const goal = obs.extras.target_pos;
    if (ee === undefined || goal === undefined) return this.target;
    const gain = this.o.gain ?? 0.3;
    const lambda = this.o.damping ?? 0.05;
    const maxStep = this.o.maxStep ?? 0.04;
    const n = this.target.length;
    const ex = gain * (goal[0] - ee[0]), ey = gain * (goal[1] - ee[1]), ez = gain * (goal[2] - ee[2]);
    // Jacobian of the tool position at the commanded pose.
    const h = 1e-5;
    this.qs.set(this.target);
    linkPositionFk(this.chain, this.qs, this.p0);
    for (let i = 0; i < n; i++) {
      this.qs[i] += h;
      linkPositionFk(this.chain, this.qs, this.p1);
      this.qs[i] -= h;
      for (let k = 0; k < 3; k++) this.J[3 * i + k] = (this.p1[k] - this.p0[k]) / h;
    }
    // A = JJᵀ + λ²I (3x3, symmetric), solve A·y = e, dq = Jᵀy.
    let a00 = lambda * lambda, a01 = 0, a02 = 0, a11 = lambda * lambda, a12 = 0, a22 = lambda * lambda;
    for (let i = 0; i < n; i++) {
      const x = this.J[3 * i], y = this.J[3 * i + 1], z = this.J[3 * i + 2];
      a00 += x * x; a01 += x * y; a02 += x * z; a11 += y * y; a12 += y * z; a22 += z * z;
    }
    const c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
    const det = a00 * c00 + a01 * c01 + a02 * c02;
    const c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
    const y0 = (c00 * ex + c01 * ey + c02 * ez) / det;
    const y1 = (c01 * ex + c11 * ey + c12 * ez) / det;
    const y2 = (c02 * ex + c12 * ey + c22 * ez) / det;
    for (let i = 0; i < n; i++) {
      let dq = this.J[3 * i] * y0 + this.J[3 * i + 1] * y1 + this.J[3 * i + 2] * y2;
      if (!(Math.abs(dq) <= maxStep)) dq = dq > 0 ? maxStep : dq < 0 ? -maxStep : 0; // NaN -> 0
      const t = this.target[i] + dq;
      this.target[i] = t < this.lower[i] ? this.lower[i] : t > this.upper[i] ? this.upper[i] : t;
    }
    return this.target;
  }
}
