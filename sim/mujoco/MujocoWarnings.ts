import type { MainModule, MjData } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';

/** mjtWarning values whose warning means mj_step reset the whole simulation (mj_checkPos, mj_checkVel, mj_checkAcc). */
const RESETS = [
  ['mjWARN_BADQPOS', 3],
  ['mjWARN_BADQVEL', 4],
  ['mjWARN_BADQACC', 5],
] as const;

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
 * made from solver_fwdinv's view, and the layout is checked against the binding at configure time.
 *
 * Real-time rules: take() reads three int32 and allocates nothing unless a counter rose (the reason string).
 */
export class MujocoWarnings {
  private view!: Int32Array;

  constructor(
    private readonly mj: MainModule,
    private readonly data: MjData,
  ) {
    this.refresh();
    const v = this.view;
    const nw = mj.mjtWarning.mjNWARNING.value;
    const kept = Int32Array.from(v);
    for (let w = 0; w < nw; w++) v[2 * w + 1] = 1000 + w;
    let agrees = true;
    const vec = data.warning; // MjData's own vector: not ours to delete
    for (let w = 0; w < nw; w++) {
      const s = vec.get(w);
      if (s === undefined || s.number !== 1000 + w) agrees = false;
      s?.delete();
    }
    v.set(kept);
    if (!agrees) throw new AxonError('MUJOCO_BUILD', 'mjData.warning', 'is not where MuJoCo 3.14 keeps it (after solver_fwdinv)', 'the mjData layout of @mujoco/mujoco 3.14');
  }

  /** Fetches the view again (after the heap grew: MujocoViews.refresh's rule). */
  refresh(): void {
    const f = this.data.solver_fwdinv as Float64Array;
    this.view = new Int32Array(f.buffer, f.byteOffset + 2 * 8, 2 * this.mj.mjtWarning.mjNWARNING.value);
  }

  /**
   * After an mj_step at sim time `time` (s): undefined when MuJoCo did not reset the simulation,
   * else which warning it raised and why, in MuJoCo's words. The counters read are zeroed, so that
   * a later reset is seen too (mj_resetData, at reset(), zeroes them as well).
   */
  take(time: number): string | undefined {
    if (this.view.length === 0) this.refresh();
    const v = this.view;
    if (v[2 * 3 + 1] === 0 && v[2 * 4 + 1] === 0 && v[2 * 5 + 1] === 0) return undefined;
    let reason = '';
    for (const [name, w] of RESETS) {
      if (v[2 * w + 1] === 0) continue;
      reason += `${reason === '' ? '' : '; '}${name}: ${this.mj.mju_warningText(w, v[2 * w])}`;
      v[2 * w + 1] = 0;
    }
    return `MuJoCo reset the simulation at t = ${+time.toPrecision(6)} s (${reason})`;
  }
}
