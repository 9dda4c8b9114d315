import type { DoubleBuffer, MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { cholesky, solve } from './denseCholesky.ts';

/**
 * The accelerations MuJoCo's implicit step will give the whole robot, a = (M + h·D)⁻¹·F, for the
 * saturation test of sim/mujoco/MujocoActuators.ts: M the mass matrix (MuJoCo's, from the start
 * of the last step, mj_fullM), D diagonal (each actuated dof's law damping b plus the joint damping
 * d), F per dof the last step's other forces r plus each joint's force (its law at the present
 * velocity, or ±limit where saturated). A mimic group (sim/mujoco/MujocoMimicGroups.ts) is one
 * coordinate, its leader's: the followers' dofs move as u times it (q = T·z), so the system solved
 * is Tᵀ(M + h·D)T·a = TᵀF, each follower's row and column folded into its leader's (its inertia
 * along the coupling uᵀMu, its joint damping Σ u²·d, its load Σ u·r: the equality forces cancel
 * there), with the rest of the robot free, where the one-joint estimate held it locked.
 *
 * Why: the one-joint estimate (q̈ of joint i alone, the rest of the robot free: 1 / (M⁻¹)ᵢᵢ)
 * ignores what the other joints' laws do to joint i through M's off-diagonal terms: on the shipped
 * arm the shoulder's inertia with the rest locked is 4.4 × that with the rest free (the humanoid
 * 8.7 ×), so a chain's joints were called unsaturated while their step applied up to 2.8 × their
 * limits (docs/mujoco.md, `npx tsx tests/bench/saturationFigures.ts` part 6). The dense factor
 * costs O(nv³) per step that saturates (nv 6 on the arm, 22 on the humanoid); a step whose laws and
 * loads are all within the limits does not solve at all.
 *
 * Real-time rules: solve() allocates nothing (the buffers are sized at construction).
 */
export class MujocoImplicitSolve {
  /** M + h·D (row-major, nv × nv), factored in place (its lower triangle: L of L·Lᵀ). */
  private readonly A: Float64Array;
  /** Forces per dof (N·m | N), then the accelerations (rad/s² | m/s²) of solve(). */
  readonly acc: Float64Array;
  /** Per dof: the implicit damping (N·m·s/rad | N·s/m): joint damping, plus the laws' b written by the caller. */
  readonly damp: Float64Array;
  /**
   * Per dof: 1 where its acceleration is set, not solved for (a joint on an active hard limit,
   * sim/mujoco/MujocoHardLimits.ts: the stop's), `given` that acceleration (rad/s² | m/s²).
   */
  readonly lock: Uint8Array;
  readonly given: Float64Array;
  private readonly jointDamping: Float64Array;
  /** Per dof: the dof of the leader whose coordinate it follows (−1: none; −2: a follower of no moving joint, held), and its multiplier u. */
  private readonly foldTo: Int32Array;
  private readonly foldU: Float64Array;
  private readonly folds: boolean;
  private readonly nv: number;
  private full: DoubleBuffer;
  private fullView: Float64Array = new Float64Array(0);

  constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    /** Per dof: the leader dof a mimic follower's dof moves with (−2: held) and its multiplier (absent: no groups). */
    fold?: { readonly to: Int32Array; readonly u: Float64Array },
  ) {
    const nv = (this.nv = model.nv);
    this.foldTo = fold === undefined ? new Int32Array(nv).fill(-1) : Int32Array.from(fold.to);
    this.foldU = fold === undefined ? new Float64Array(nv) : Float64Array.from(fold.u);
    this.folds = this.foldTo.some((l) => l !== -1);
    this.A = new Float64Array(nv * nv);
    this.acc = new Float64Array(nv);
    this.damp = new Float64Array(nv);
    this.lock = new Uint8Array(nv);
    this.given = new Float64Array(nv);
    this.jointDamping = Float64Array.from(model.dof_damping as Float64Array);
    this.full = new mj.DoubleBuffer(nv * nv);
  }

  /** Reads M (MuJoCo's, last computed) for the next solve()s. */
  readMass(): void {
    this.mj.mj_fullM(this.model, this.data, this.full);
    if (this.fullView.length === 0) this.fullView = this.full.GetView() as Float64Array;
  }

  /** `damp` back to the joint damping alone (the caller adds the laws' b), no dof locked. */
  resetDamping(): void {
    this.damp.set(this.jointDamping);
    this.lock.fill(0);
  }

  /**
   * `acc` ← (M + h·diag(damp))⁻¹·acc. False where M + h·D is not positive definite (no M yet, or a
   * bad one): `acc` is then meaningless.
   */
  solve(h: number): boolean {
    const n = this.nv;
    const A = this.A;
    const M = this.fullView;
    const x = this.acc;
    for (let k = 0; k < n * n; k++) A[k] = M[k];
    for (let k = 0; k < n; k++) A[k * n + k] += h * this.damp[k];
    if (this.folds) this.fold();
    // A locked dof: a = given, the rest solved with it moved so (its column to the right-hand side, its row and column out).
    for (let k = 0; k < n; k++) {
      if (this.lock[k] === 0) continue;
      const g = this.given[k];
      for (let j = 0; j < n; j++) if (this.lock[j] === 0) x[j] -= A[j * n + k] * g;
    }
    for (let k = 0; k < n; k++) {
      if (this.lock[k] === 0) continue;
      for (let j = 0; j < n; j++) A[k * n + j] = A[j * n + k] = 0;
      A[k * n + k] = 1;
      x[k] = this.given[k];
    }
    if (!cholesky(A, n)) return false;
    solve(A, n, x);
    if (this.folds) for (let f = 0; f < n; f++) if (this.foldTo[f] !== -1) x[f] = this.foldTo[f] >= 0 ? this.foldU[f] * x[this.foldTo[f]] : 0;
    return true;
  }

  /**
   * A ← PᵀAP and x ← Pᵀx for P = I + Σ u_f·e_f·e_lᵀ (each follower f's row, then column, added u_f
   * times to its leader l's), then each follower's row and column out (its acceleration is u_f times
   * its leader's, written after the solve; a held follower's 0).
   */
  private fold(): void {
    const n = this.nv;
    const A = this.A;
    const x = this.acc;
    for (let f = 0; f < n; f++) {
      const l = this.foldTo[f];
      if (l < 0) continue;
      const u = this.foldU[f];
      for (let j = 0; j < n; j++) A[l * n + j] += u * A[f * n + j];
      x[l] += u * x[f];
    }
    for (let f = 0; f < n; f++) {
      const l = this.foldTo[f];
      if (l < 0) continue;
      const u = this.foldU[f];
      for (let j = 0; j < n; j++) A[j * n + l] += u * A[j * n + f];
    }
    for (let f = 0; f < n; f++) {
      if (this.foldTo[f] === -1) continue;
      for (let j = 0; j < n; j++) A[f * n + j] = A[j * n + f] = 0;
      A[f * n + f] = 1;
      x[f] = 0;
    }
  }

  /** Frees the buffer M is read into. */
  dispose(): void {
    this.full.delete();
  }
}
