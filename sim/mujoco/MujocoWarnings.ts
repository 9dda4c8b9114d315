import type { MainModule, MjData } from '@mujoco/mujoco';

/** The mjtWarning names whose warning means mj_step reset the whole simulation (mj_checkPos, mj_checkVel, mj_checkAcc). */
const RESETS = ['mjWARN_BADQPOS', 'mjWARN_BADQVEL', 'mjWARN_BADQACC'] as const;

/**
 * MuJoCo's silent reset as data: when a position, velocity or acceleration is NaN, infinite or
 * huge (mju_isBad, |x| > 1e10), mj_step calls mj_resetData, counts the warning in
 * data.warning[mjtWarning].number and goes on from the model's initial pose. A MujocoRobot calls
 * take() after every mj_step (the effort guard's retakes too) and hands the reason to the state
 * watchdog through its observation (Observation.diverged; docs/mujoco.md, "MuJoCo's reset").
 *
 * Why a view of the heap: the binding's data.warning.get(i) returns a copy as a new handle (an
 * allocation and a delete per read). The counters live in the mjData struct just after
 * solver_fwdinv (two doubles), as pairs (lastinfo, number) of int32 per mjtWarning; the view is
 * made from solver_fwdinv's view, and the layout is checked against the binding at configure time
 * (a build that keeps them elsewhere is read through the binding instead, allocating per step).
 *
 * Real-time rules: take() reads three int32 and allocates nothing unless a counter rose (the reason string).
 */
export class MujocoWarnings {
  private view!: Int32Array;
  /** The RESETS' mjtWarning values, from the binding. */
  private readonly which: Int32Array;
  /**
   * False when the heap view does not hold the counters (a build that lays mjData out otherwise):
   * take() then reads them through the binding, a handle per counter per step, rather than miss a reset.
   */
  private readonly viewed: boolean;

  constructor(
    private readonly mj: MainModule,
    private readonly data: MjData,
  ) {
    this.which = Int32Array.from(RESETS, (n) => mj.mjtWarning[n].value);
    this.refresh();
    const v = this.view;
    const nw = mj.mjtWarning.mjNWARNING.value;
    const kept = Int32Array.from(v);
    for (let w = 0; w < nw; w++) v[2 * w + 1] = 1000 + w;
    let agrees = true;
    for (let w = 0; w < nw; w++) if (this.counter(w) !== 1000 + w) agrees = false;
    v.set(kept);
    this.viewed = agrees;
  }

  /** Fetches the view again (after the heap grew: MujocoViews.refresh's rule). */
  refresh(): void {
    const f = this.data.solver_fwdinv as Float64Array;
    this.view = new Int32Array(f.buffer, f.byteOffset + 2 * 8, 2 * this.mj.mjtWarning.mjNWARNING.value);
  }

  /** Warning w's count through the binding (a copy: a handle made and deleted). */
  private counter(w: number): number | undefined {
    const s = this.data.warning.get(w); // MjData's own vector: not ours to delete, its element copy is
    const n = s?.number;
    s?.delete();
    return n;
  }

  /**
   * After an mj_step at sim time `time` (s): undefined when MuJoCo did not reset the simulation,
   * else which warning it raised and why, in MuJoCo's words. The counters read are zeroed, so that
   * a later reset is seen too (mj_resetData, at reset(), zeroes them as well).
   */
  take(time: number): string | undefined {
    if (!this.viewed) return this.takeThroughBinding(time);
    if (this.view.length === 0) this.refresh();
    const v = this.view;
    const w = this.which;
    if (v[2 * w[0] + 1] === 0 && v[2 * w[1] + 1] === 0 && v[2 * w[2] + 1] === 0) return undefined;
    let reason = '';
    for (let i = 0; i < RESETS.length; i++) {
      if (v[2 * w[i] + 1] === 0) continue;
      reason += `${reason === '' ? '' : '; '}${RESETS[i]}: ${this.mj.mju_warningText(w[i], v[2 * w[i]])}`;
      v[2 * w[i] + 1] = 0;
    }
    return `MuJoCo reset the simulation at t = ${+time.toPrecision(6)} s (${reason})`;
  }

  /** After mj_resetData (which zeroes the counters): the counts seen start again from 0. */
  cleared(): void {
    this.seen.fill(0);
  }

  /** take() where the heap view does not hold the counters: each read through the binding (the count is compared with the last one seen, as it cannot be zeroed). */
  private readonly seen = new Int32Array(RESETS.length);
  private takeThroughBinding(time: number): string | undefined {
    let reason = '';
    for (let i = 0; i < RESETS.length; i++) {
      const n = this.counter(this.which[i]) ?? 0;
      if (n > this.seen[i]) reason += `${reason === '' ? '' : '; '}${RESETS[i]}: ${this.mj.mju_warningText(this.which[i], 0)}`;
      this.seen[i] = n;
    }
    return reason === '' ? undefined : `MuJoCo reset the simulation at t = ${+time.toPrecision(6)} s (${reason})`;
  }
}
