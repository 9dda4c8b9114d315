import { simGainBounds } from '../../src/safety/gainBounds.ts';
import { HingeConstraint, Quaternion, Vec3, type Body, type Constraint, type World } from 'cannon-es';
import type { JointSpec, JointType } from '../../src/core/robot.ts';
import { JointDrive } from '../physics/JointDrive.ts';
import { PrismaticConstraint } from '../physics/PrismaticConstraint.ts';
import { quatFromRpy } from '../physics/frames.ts';
import type { UrdfJoint, UrdfNote } from '../urdf/parseUrdf.ts';
import type { SimJointDefaults } from '../SimRobotOptions.ts';
import type { BodyInfo, LinkInfo } from './links.ts';
import { defaultWithinLimits } from './defaultWithinLimits.ts';
import { mimicOfJoint } from './mimicJoints.ts';

/** SPOOK parameters for every joint equation (docs/simulation.md item 1). */
const JOINT_STIFFNESS = 1e7;
const JOINT_RELAXATION = 4;
/**
 * With pd 'explicit', joint position limits are a spring-damper acting only outside [lower, upper]
 * (with 'implicit' they are hard rows in the solver, sim/physics/JointDrive.ts setLimit): natural
 * frequency 1/(20·physicsDt) Hz (25 Hz at 2 ms), critically damped, sized on the child body's
 * inertia about the joint axis (its mass for a slider). A joint hitting a limit at v overshoots about v/ω.
 */
const LIMIT_STEPS_PER_PERIOD = 20;

/** A moving joint in the simulator. */
export interface JointInfo {
  readonly urdf: UrdfJoint;
  readonly spec: JointSpec;
  readonly continuous: boolean;
  readonly prismatic: boolean;
  readonly bodyA: Body;
  readonly bodyB: Body;
  /** Anchors (m) and axes in A's and B's body frames. */
  readonly pivotA: Vec3;
  readonly pivotB: Vec3;
  readonly axisA: Vec3;
  readonly axisB: Vec3;
  /** conj(zero-pose relative rotation conj(qA)·qB). */
  readonly rel0Inv: Quaternion;
  readonly constraint: Constraint;
  /** Implicit actuator rows (pd 'implicit'), else undefined. */
  readonly drive: JointDrive | undefined;
  /** Explicit limit spring (N·m/rad | N/m) and damper (N·m·s/rad | N·s/m). */
  limitK: number;
  limitD: number;
}

/**
 * The JointSpec of a moving (not fixed) URDF joint: its limits (none for a continuous joint), the URDF's
 * velocity and effort limits unless `d` replaces them, and `d`'s default position (clamped into
 * the limits, with a note when it was outside) and gains (default 0); a mimic joint's `mimic`.
 */
export function jointSpec(joint: UrdfJoint, d: SimJointDefaults, notes: UrdfNote[]): JointSpec {
  const lower = joint.type === 'continuous' ? -Infinity : joint.lower;
  const upper = joint.type === 'continuous' ? Infinity : joint.upper;
  const defaultPosition = defaultWithinLimits(joint.name, d.defaultPosition ?? 0, lower, upper, notes);
  const velocityLimit = d.velocityLimit ?? joint.velocity;
  const effortLimit = d.effortLimit ?? joint.effort;
  const kp = d.kp ?? 0;
  const kd = d.kd ?? 0;
  return {
    name: joint.name,
    type: joint.type as JointType, // a moving joint: never 'fixed'
    lower,
    upper,
    velocityLimit,
    effortLimit,
    defaultPosition,
    kp,
    kd,
    // The gains a command may carry (src/safety/gainBounds.ts; docs/safety.md, "Gain bounds").
    ...simGainBounds({ effortLimit, velocityLimit }),
    ...(joint.mimic ? { mimic: mimicOfJoint(joint) } : {}),
  };
}

/**
 * The constraint of a moving URDF joint (HingeConstraint, or PrismaticConstraint for a slider)
 * between its parent's and child's bodies, with SPOOK parameters for the physics step, and with
 * pd 'implicit' its actuator rows (JointDrive); both added to the world. The bodies must be in
 * the zero pose (the joint's zero is read from them).
 */
export function makeJoint(
  joint: UrdfJoint,
  spec: JointSpec,
  ctx: { readonly links: readonly LinkInfo[]; readonly linkIndex: ReadonlyMap<string, number>; readonly bodies: readonly BodyInfo[]; readonly world: World; readonly physicsDt: number; readonly implicit: boolean },
): JointInfo {
  const parent = ctx.links[ctx.linkIndex.get(joint.parent)!];
  const child = ctx.links[ctx.linkIndex.get(joint.child)!];
  const A = ctx.bodies[parent.body].body;
  const B = ctx.bodies[child.body].body;
  const originQuat = quatFromRpy(joint.origin.rpy, new Quaternion());
  const axisJ = new Vec3(...joint.axis);
  const pivotA = new Vec3();
  parent.offsetQuat.vmult(new Vec3(...joint.origin.xyz), pivotA);
  pivotA.vadd(parent.offsetPos, pivotA);
  const pivotB = child.offsetPos.clone();
  const axisA = parent.offsetQuat.mult(originQuat, new Quaternion()).vmult(axisJ, new Vec3());
  const axisB = child.offsetQuat.vmult(axisJ, new Vec3());
  const rel0Inv = A.quaternion.conjugate(new Quaternion()).mult(B.quaternion, new Quaternion()).conjugate(new Quaternion());
  const prismatic = joint.type === 'prismatic';
  const constraint: Constraint = prismatic
    ? new PrismaticConstraint(A, B, { pivotA, pivotB, axisA })
    : new HingeConstraint(A, B, { pivotA, pivotB, axisA, axisB, collideConnected: false });
  for (const eq of constraint.equations) eq.setSpookParams(JOINT_STIFFNESS, JOINT_RELAXATION, ctx.physicsDt);
  ctx.world.addConstraint(constraint);
  const drive = ctx.implicit ? new JointDrive(A, B, axisA, prismatic, pivotB) : undefined;
  if (drive) ctx.world.addConstraint(drive);
  const info: JointInfo = {
    urdf: joint,
    spec,
    continuous: joint.type === 'continuous',
    prismatic,
    bodyA: A,
    bodyB: B,
    pivotA,
    pivotB,
    axisA,
    axisB,
    rel0Inv,
    constraint,
    drive,
    limitK: 0,
    limitD: 0,
  };
  updateLimitGains(info, ctx.physicsDt);
  return info;
}

/** Explicit limit spring-damper gains from the child body's inertia about the axis (or its mass). */
export function updateLimitGains(j: JointInfo, physicsDt: number): void {
  const B = j.bodyB;
  let m: number;
  if (j.prismatic) {
    m = B.mass;
  } else {
    const a = j.axisB;
    // I about the axis through the anchor: Σ I_k a_k² + m·|r⊥|², r = COM - anchor (body frame).
    const r = j.pivotB;
    const along = r.dot(a);
    const perp2 = r.dot(r) - along * along;
    m = B.inertia.x * a.x * a.x + B.inertia.y * a.y * a.y + B.inertia.z * a.z * a.z + B.mass * perp2;
  }
  const omega = (2 * Math.PI) / (LIMIT_STEPS_PER_PERIOD * physicsDt);
  j.limitK = m * omega * omega;
  j.limitD = 2 * m * omega;
}
