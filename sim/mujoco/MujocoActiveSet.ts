import type { JointStops } from './MujocoHardLimits.ts';
import type { MujocoImplicitSolve } from './MujocoImplicitSolve.ts';

/** The most re-solves of the active-set iteration after its first, unsaturated solve. */
const MAX_RESOLVES = 4;

/** MujocoActuators' per-joint scratch this reads and writes: the same arrays, filled by apply()'s passes (sim/mujoco/MujocoActuators.ts). */
export interface ActiveSetArrays {
  readonly n: number;
  /** Physics step (s). */
  readonly h: number;
  /** Per joint: its dof, and a follower's leader (−1: none). */
  readonly vadr: Int32Array;
  readonly leaderOf: Int32Array;
  /** Per joint, this step: how it meets its hard limit (MujocoHardLimits.press). */
  readonly stops: JointStops;
  /** Per dof: the force on it besides the actuators (N·m | N), and the same without constraint forces. */
  readonly rest: Float64Array;
  readonly free: Float64Array;
  /** Per joint: the law's force at the present velocity f and its b2 (f = c + b1·q + b2·q̇), its limit (0: no law to saturate), and out: the step's force τ. */
  readonly fOf: Float64Array;
  readonly b2Of: Float64Array;
  readonly limOf: Float64Array;
  readonly tauOf: Float64Array;
}

/**
 * The force each joint's law applies over the coming step (`tauOf`, from `fOf`, `b2Of`, `limOf`)
 * with the whole robot's implicit step, a = (M + h·D)⁻¹·F (sim/mujoco/MujocoImplicitSolve.ts): F
 * the other forces of the last step plus each law at the present velocity, or ±limit for the
 * joints saturated; D each unsaturated law's damping b plus the joint damping; τᵢ = fᵢ − h·bᵢ·aᵢ,
 * the law at the velocity the step will give. A small active-set iteration: first every law
 * unsaturated; then, until the saturated set S stops changing (at most MAX_RESOLVES re-solves,
 * allocation-free), a joint outside S whose τ passes its limit joins S at τ's sign, and one in S
 * whose τ now has the other sign leaves it (the next solve, without it, says whether it needs the
 * other side). Why: solved once and kept, a joint saturated only through the other joints'
 * over-limit laws kept that saturation once those laws were cut (tests/helpers/limitStops.ts's
 * heavy arm's wrist went the wrong way). A joint in S whose τ is back within its limit on the
 * same side stays: M and the other forces are the last step's, so a law predicted just within
 * is often just over in the step (docs/mujoco.md, "The effort limit"). A law with no damping
 * applies itself (τ = f).
 *
 * Real-time rules: solve() allocates nothing.
 */
export class MujocoActiveSet {
  private readonly n: number;
  private readonly h: number;
  private readonly vadr: Int32Array;
  private readonly leaderOf: Int32Array;
  private readonly stops: JointStops;
  private readonly rest: Float64Array;
  private readonly free: Float64Array;
  private readonly fOf: Float64Array;
  private readonly b2Of: Float64Array;
  private readonly limOf: Float64Array;
  private readonly tauOf: Float64Array;
  /** Per joint: the side it is saturated at (±1; 0: not). */
  private readonly satSign: Int8Array;

  constructor(a: ActiveSetArrays) {
    this.n = a.n;
    this.h = a.h;
    this.vadr = a.vadr;
    this.leaderOf = a.leaderOf;
    this.stops = a.stops;
    this.rest = a.rest;
    this.free = a.free;
    this.fOf = a.fOf;
    this.b2Of = a.b2Of;
    this.limOf = a.limOf;
    this.tauOf = a.tauOf;
    this.satSign = new Int8Array(a.n);
  }

  /** `tauOf` of every joint with a law not held at a hard limit (±Infinity: saturated at that side, apply() writes ±limit). False: no factor (the caller's one-joint estimate). */
  solve(s: MujocoImplicitSolve): boolean {
    s.readMass();
    const sign = this.satSign;
    sign.fill(0);
    if (!this.solveOnce(s)) return false;
    for (let pass = 0; pass < MAX_RESOLVES; pass++) {
      let changed = false;
      for (let i = 0; i < this.n; i++) {
        const lim = this.limOf[i];
        if (!(lim > 0) || this.stops.clampAt[i] < Infinity) continue;
        const tau = this.tauOf[i];
        const over = tau > lim ? 1 : tau < -lim ? -1 : 0;
        // In S: stays while its law pushes its way (within the limit too, see above), leaves when it pushes the other way.
        const side = sign[i] === 0 || over === sign[i] ? over : over === 0 && tau * sign[i] >= 0 ? sign[i] : 0;
        if (side !== sign[i]) {
          sign[i] = side;
          changed = true;
        }
      }
      if (!changed || !this.solveOnce(s)) break;
    }
    // apply() saturates exactly the joints in S, at their sides.
    for (let i = 0; i < this.n; i++) if (sign[i] !== 0) this.tauOf[i] = sign[i] * Infinity;
    return true;
  }

  /** One solve: `tauOf` of every joint with a law, the joints saturated (`satSign` ±1) at ±limit, undamped. False: no factor. */
  private solveOnce(s: MujocoImplicitSolve): boolean {
    const acc = s.acc;
    const rest = this.rest;
    const { near, stopAcc, clampAt } = this.stops;
    acc.set(rest);
    s.resetDamping();
    for (let i = 0; i < this.n; i++) {
      const lim = this.limOf[i];
      const l = this.leaderOf[i];
      if (l >= 0 && near[l] === 1) acc[this.vadr[i]] = this.free[this.vadr[i]]; // a follower of a leader next to a hard limit: its load as its leader's
      if (!(lim > 0)) continue;
      const k = this.vadr[i];
      if (stopAcc[i] === stopAcc[i]) {
        // On its hard limit, held there or moving into it: the stop moves it, whatever its law.
        s.lock[k] = 1;
        s.given[k] = stopAcc[i];
      }
      if (clampAt[i] < Infinity) continue;
      if (near[i] === 1) acc[k] = this.free[k]; // next to a hard limit: the last step's constraint force is no load
      const f = this.fOf[i];
      const b = -this.b2Of[i];
      const side = this.satSign[i];
      if (side !== 0) acc[k] += side > 0 ? lim : -lim;
      else if (b > 0) {
        acc[k] += f;
        s.damp[k] += b;
      } else acc[k] += f > lim ? lim : f < -lim ? -lim : f; // no damping: the law itself, saturated or not
    }
    if (!s.solve(this.h)) return false;
    for (let i = 0; i < this.n; i++) {
      const b = -this.b2Of[i];
      if (!(this.limOf[i] > 0) || !(b > 0) || clampAt[i] < Infinity) continue;
      const tau = this.fOf[i] - this.h * b * acc[this.vadr[i]];
      // A non-finite force on the joint last step: judged on the law itself.
      this.tauOf[i] = Math.abs(tau) < Infinity ? tau : this.fOf[i];
    }
    return true;
  }
}
