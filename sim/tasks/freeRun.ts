import type { Observation } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
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
 * hinges' angles unwrapped: both engines report a continuous joint in (−π, π] (cannon-es every
 * hinge), and for a multiplier that is not whole (a wheel's half-speed follower) the wrap of the
 * leader's reading is not the wrap of its follower's. A hinge's angle is taken, at reset, as the
 * one nearest its default that it reads, then grows by the wrapped change of each tick (exact while
 * a joint turns less than π per tick); an angular follower's error is wrapped to (−π, π] at the
 * end. step() allocates nothing.
 */
export class FreeRunTask implements Task {
  readonly name = 'free-run';
  readonly episodeS: number;
  private ticks = 0;
  private bad = false;
  private readonly joints: readonly FreeRunJoint[];
  private maxOffset = 0;
  private maxJoint = -1;
  private lastOffset = 0;
  /** Followers (<mimic>): robot joint index, its leader's (−1: a fixed joint), multiplier, offset. */
  private readonly followers: { readonly i: number; readonly l: number; readonly m: number; readonly o: number }[];
  private maxMimic = 0;
  private maxMimicJoint = -1;
  private lastMimic = 0;
  /** The joints the followers read (followers and leaders), 1 for a hinge; their positions, a hinge's unwrapped (rad | m), and last readings. */
  private readonly coupled: Int32Array;
  private readonly hinge: Uint8Array;
  private readonly q: Float64Array;
  private readonly read: Float64Array;

  constructor(options: { readonly episodeS?: number; readonly joints?: readonly FreeRunJoint[] } = {}) {
    this.episodeS = options.episodeS ?? 10;
    this.joints = options.joints ?? [];
    const index = new Map(this.joints.map((j, i) => [j.name, i]));
    this.followers = this.joints.flatMap((j, i) => (j.mimic ? [{ i, l: index.get(j.mimic.joint) ?? -1, m: j.mimic.multiplier, o: j.mimic.offset }] : []));
    this.coupled = Int32Array.from(new Set(this.followers.flatMap((f) => (f.l < 0 ? [f.i] : [f.i, f.l]))));
    this.hinge = Uint8Array.from(this.joints, (j) => (j.type === 'revolute' || j.type === 'continuous' ? 1 : 0));
    this.q = new Float64Array(this.joints.length);
    this.read = new Float64Array(this.joints.length);
  }

  reset(obs: Observation): void {
    for (let k = 0; k < this.coupled.length; k++) {
      const i = this.coupled[k];
      const r = obs.jointPosition[i];
      const d = this.joints[i].defaultPosition;
      this.q[i] = this.hinge[i] === 1 ? d + wrapAngle(r - d) : r;
      this.read[i] = r;
    }
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
    const u = this.q;
    for (let k = 0; k < this.coupled.length; k++) {
      const i = this.coupled[k];
      const r = obs.jointPosition[i];
      u[i] = this.hinge[i] === 1 ? u[i] + wrapAngle(r - this.read[i]) : r;
      this.read[i] = r;
    }
    let mimic = 0;
    for (let k = 0; k < this.followers.length; k++) {
      const f = this.followers[k];
      const e = u[f.i] - f.m * (f.l < 0 ? 0 : u[f.l]) - f.o;
      const d = Math.abs(this.hinge[f.i] === 1 ? wrapAngle(e) : e);
      if (d > mimic || Number.isNaN(d)) mimic = d;
      if (d > this.maxMimic || (Number.isNaN(d) && !Number.isNaN(this.maxMimic))) {
        this.maxMimic = d;
        this.maxMimicJoint = f.i;
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
    if (this.followers.length === 0) return { pose_offset };
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
