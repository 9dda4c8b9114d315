import type { MjModel } from '@mujoco/mujoco';
import type { MujocoViews } from './MujocoViews.ts';

/**
 * A dof's inertia with every other dof free, 1 / (M⁻¹)ₖₖ (kg·m² | kg), from MuJoCo's factor
 * M = LᵀDL of the last step: what the effort-limit test of a <mimic> robot (sim/mujoco/MujocoActuators.ts)
 * and the hard limits' per-step stiffening (sim/mujoco/MujocoHardLimits.ts) divide by.
 *
 * Why from the factor: x = L⁻ᵀ·eₖ is nonzero on k's ancestors only, so (M⁻¹)ₖₖ = Σ xⱼ²/Dⱼ is a walk
 * up k's chain in M's sparse rows, no solve of the whole robot.
 *
 * Real-time rules: of() allocates nothing (its walk buffer is sized from the model and left zero).
 */
export class MujocoDofInertia {
  /** M's sparse rows (MuJoCo's M_rowadr, M_rownnz, M_colind: a dof's ancestors, its diagonal last) and each dof's parent dof. */
  private readonly mRowadr: Int32Array;
  private readonly mRownnz: Int32Array;
  private readonly mColind: Int32Array;
  private readonly dofParent: Int32Array;
  /** Scratch, per dof: the walk of of(), zero between calls. */
  private readonly walk: Float64Array;

  constructor(model: MjModel) {
    this.mRowadr = Int32Array.from(model.M_rowadr as Int32Array);
    this.mRownnz = Int32Array.from(model.M_rownnz as Int32Array);
    this.mColind = Int32Array.from(model.M_colind as Int32Array);
    this.dofParent = Int32Array.from(model.dof_parentid as Int32Array);
    this.walk = new Float64Array(model.nv);
  }

  /** 1 / (M⁻¹)ₖₖ of dof `k` (kg·m² | kg) from the factor in `views` (qLD, qLDiagInv). */
  of(k: number, views: MujocoViews): number {
    const L = views.qLD;
    const dInv = views.qLDiagInv;
    const x = this.walk;
    x[k] = 1;
    let s = 0;
    for (let j = k; j >= 0; j = this.dofParent[j]) {
      const xj = x[j];
      x[j] = 0; // nothing more reaches j (only its descendants on the way up did): the walk leaves x zero
      s += xj * xj * dInv[j];
      const end = this.mRowadr[j] + this.mRownnz[j] - 1; // the diagonal is the row's last
      for (let p = this.mRowadr[j]; p < end; p++) x[this.mColind[p]] -= L[p] * xj;
    }
    return 1 / s;
  }

  /** After an episode's reset: the walk buffer zero (it is left zero by every of(); kept for reset's rule that nothing of the last episode stays). */
  reset(): void {
    this.walk.fill(0);
  }
}
