import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import { MimicErrors, MimicJoints } from '../build/mimicJoints.ts';
import { wrapAngle } from '../physics/frames.ts';

/**
 * The task of a robot that has none (a user's URDF in `axon sim --urdf`): run for episodeS,
 * reward 0, never terminates; success while every joint position and velocity has stayed finite
 * (the simulation did not blow up). Given the joints' default pose, it also measures how far the
 * joints moved from it (the largest |q − default| over the run and at the end, and which joint;
 * rad, m on a prismatic joint):
 * with no policy that is how well the robot holds its pose. For joints that follow another (a
 * URDF <mimic>: JointSpec.mimic) it measures how far each is from where its leader puts it
 * (|q − (m·q_leader + o)|, the largest over the run and at the end, and which joint), on the
 * hinges' angles unwrapped (MimicErrors, the simulator's own coupling error), each hinge's taken at
 * reset as the one nearest its default that it reads; an angular follower's error is wrapped to
 * (−π, π] at the end. step() allocates nothing.
 */
export class FreeRunTask implements Task {
  readonly name = 'free-run';
  readonly episodeS: number;
  private ticks = 0;
  private bad = false;
  private readonly joints: readonly FreeRunJoint[];
  private readonly defaults: Float64Array;
  private maxOffset = 0;
  private maxJoint = -1;
  private lastOffset = 0;
  /** The followers' (<mimic>) coupling errors. */
  private readonly mimic: MimicErrors;
  private maxMimic = 0;
  private maxMimicJoint = -1;
  private lastMimic = 0;

  constructor(options: { readonly episodeS?: number; readonly joints?: readonly FreeRunJoint[] } = {}) {
    this.episodeS = options.episodeS ?? 10;
    this.joints = options.joints ?? [];
    this.defaults = Float64Array.from(this.joints, (j) => j.defaultPosition);
    const hinge = Uint8Array.from(this.joints, (j) => (j.type === 'revolute' || j.type === 'continuous' ? 1 : 0));
    this.mimic = new MimicErrors(new MimicJoints(this.joints), hinge);
  }

  reset(obs: Observation): void {
    this.mimic.start(obs.jointPosition, this.defaults);
    this.ticks = 0;
    this.bad = false;
    this.maxOffset = 0;
    this.maxJoint = -1;
    this.lastOffset = 0;
    this.maxMimic = 0;
    this.maxMimicJoint = -1;
    this.lastMimic = 0;
  }

  step(obs: Observation, _dt: number): boolean {
    this.ticks++;
    for (let i = 0; i < obs.jointPosition.length; i++) {
      if (!(Math.abs(obs.jointPosition[i]) < 1e10 && Math.abs(obs.jointVelocity[i]) < 1e10)) this.bad = true;
    }
    let worst = 0;
    for (let i = 0; i < this.joints.length; i++) {
      const j = this.joints[i], e = obs.jointPosition[i] - j.defaultPosition;
      // A continuous joint's angle wraps (MuJoCo reports it in (−π, π]): −π + 0.001 is 0.001 from π.
      const d = Math.abs(j.type === 'continuous' ? wrapAngle(e) : e);
      if (d > worst || Number.isNaN(d)) worst = d;
      if (d > this.maxOffset || (Number.isNaN(d) && !Number.isNaN(this.maxOffset))) {
        this.maxOffset = d;
        this.maxJoint = i;
      }
    }
    this.lastOffset = worst;
    this.mimic.update(obs.jointPosition);
    let mimic = 0;
    for (let k = 0; k < this.mimic.followers.length; k++) {
      const i = this.mimic.followers[k], e = this.mimic.error[k];
      const d = Math.abs(this.mimic.hinge[i] === 1 ? wrapAngle(e) : e);
      if (d > mimic || Number.isNaN(d)) mimic = d;
      if (d > this.maxMimic || (Number.isNaN(d) && !Number.isNaN(this.maxMimic))) {
        this.maxMimic = d;
        this.maxMimicJoint = i;
      }
    }
    this.lastMimic = mimic;
    return false;
  }

  get totalReward(): number {
    return 0;
  }

  get success(): boolean {
    return this.ticks > 0 && !this.bad;
  }

  metrics(): Record<string, unknown> | undefined {
    if (this.joints.length === 0 || this.ticks === 0) return undefined;
    const r = (x: number) => Math.round(x * 1e5) / 1e5;
    const pose_offset = { max: r(this.maxOffset), final: r(this.lastOffset), joint: this.maxJoint >= 0 ? this.joints[this.maxJoint].name : null };
    if (this.mimic.followers.length === 0) return { pose_offset };
    return { pose_offset, mimic_error: { max: r(this.maxMimic), final: r(this.lastMimic), joint: this.maxMimicJoint >= 0 ? this.joints[this.maxMimicJoint].name : null } };
  }
}

/** A joint as FreeRunTask reads it (a JointSpec is one). */
export interface FreeRunJoint {
  readonly name: string;
  readonly defaultPosition: number;
  readonly type?: string;
  readonly mimic?: { readonly joint: string; readonly multiplier: number; readonly offset: number };
}
