import type { DoubleBuffer, MainModule, MjData, MjModel } from '@mujoco/mujoco';
import { cholesky, solve } from './denseCholesky.ts';

/**
 * Squarings of G in the fallback's gain bound ‖G^k‖_F^(1/k), k = 2^10: an upper bound of G's
 * spectral radius for every k, within (√na·κ)^(1/k) of it (κ: G's eigenvector condition), a few
 * tenths of a percent. The active set is a few dofs: na³ per squaring.
 */
const SQUARINGS = 10;
/** The largest reference scale scale() writes; beyond it (a reference near 0 at rest) the fallback decides. */
const MAX_SCALE = 1e6;

/**
 * Several hard limits active at once (sim/mujoco/MujocoHardLimits.ts): the scale of each one's
 * reference that makes MuJoCo's limit forces the ones its implicit step needs.
 *
 * Why: MuJoCo sizes the forces λ of the active limits A with the mass matrix M (their dofs'
 * accelerations meet the references: [M⁻¹(F + λ)]_A = S·aref, F the other forces, S the scales
 * written into solref) and its implicit step then moves the robot by (M + h·D)⁻¹(F + λ) (D: each
 * dof's law damping plus its joint damping). For one limit the scale s = 1 + h·(b + d)/m undoes
 * that exactly (Sherman–Morrison, with its own damping alone). For several on one chain it does not:
 * their forces act on each other's dofs through M, the reference reaches them times
 * G = [(M + h·D)⁻¹]_AA · ([M⁻¹]_AA)⁻¹ · S, not 1, and a damped joint's large λ (its s) reaches an
 * undamped neighbour (a saturated motor) undivided: on tests/helpers/limitStops.ts's heavy arm at
 * 50 Hz G's largest eigenvalue was 1.65, its stops threw the elbow 1.2 rad in one step and the arm
 * diverged; at 100 Hz it chattered (docs/mujoco.md, "Joint limits").
 *
 * So scale() solves for the forces the implicit step needs, λ* = P⁻¹(aref − [K⁻¹F]_A) with
 * K = M + h·D, P = [K⁻¹]_AA, Q = [M⁻¹]_AA (the active dofs then accelerate at the compiled
 * reference aref exactly), and gives each limit the scale that makes MuJoCo produce it:
 * X = Q·λ* + [M⁻¹F]_A, s = X / aref. Where one s comes out negative or huge (a reference near 0,
 * the joint at rest on its stop, against the error of F, the last step's forces), every s is the
 * one-limit one shrunk by an upper bound of G's spectral radius where that passes 1 (G ≤ 1: never stiffer
 * than the 2-step stop). M is the last step's (mj_fullM), as the saturation solve's.
 *
 * Real-time rules: scale() allocates nothing (buffers sized from the model at construction).
 */
export class MujocoLimitCoupling {
  private readonly nv: number;
  private readonly full: DoubleBuffer;
  private fullView: Float64Array = new Float64Array(0);
  /** Cholesky factors (lower triangles) of M and of K = M + h·D. */
  private readonly lm: Float64Array;
  private readonly lk: Float64Array;
  /** Q = [M⁻¹]_AA and P = [K⁻¹]_AA (na × na, row stride nv), and P's factor. */
  private readonly q: Float64Array;
  private readonly p: Float64Array;
  private readonly lp: Float64Array;
  /** Scratch, block()'s columns L⁻¹·e (na × nv). */
  private readonly z: Float64Array;
  /** Scratch vectors, nv long. */
  private readonly col: Float64Array;
  private readonly u: Float64Array;
  private readonly w: Float64Array;
  /** The fallback's G and its square (na × na, row stride nv). */
  private readonly g: Float64Array;
  private readonly g2: Float64Array;

  constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
  ) {
    const nv = (this.nv = model.nv);
    this.full = new mj.DoubleBuffer(nv * nv);
    this.lm = new Float64Array(nv * nv);
    this.lk = new Float64Array(nv * nv);
    this.q = new Float64Array(nv * nv);
    this.p = new Float64Array(nv * nv);
    this.lp = new Float64Array(nv * nv);
    this.z = new Float64Array(nv * nv);
    this.col = new Float64Array(nv);
    this.u = new Float64Array(nv);
    this.w = new Float64Array(nv);
    this.g = new Float64Array(nv * nv);
    this.g2 = new Float64Array(nv * nv);
  }

  /**
   * Each of the `na` active limits' reference scale into `s` (in: the one-limit scales; out: the
   * scales to write), for the dofs `dofs`, whose compiled references (MujocoHardLimits
   * stopAcceleration, rad/s² | m/s²) are `aref`; `force` per dof the forces besides the limits
   * (N·m | N: the last step's without constraints, the laws at the step's start), `damp` per dof
   * the implicit step's damping (N·m·s/rad | N·s/m), `h` the step (s). `exact` false: the
   * fallback alone (a robot whose actuators are not each on its own joint). Returns 'exact',
   * 'shrunk', 'kept' (the fallback found G ≤ 1) or 'none' (M or K not positive definite: `s` kept).
   */
  scale(dofs: Int32Array, aref: Float64Array, force: Float64Array, na: number, damp: Float64Array, h: number, s: Float64Array, exact: boolean): 'exact' | 'shrunk' | 'kept' | 'none' {
    const n = this.nv;
    this.mj.mj_fullM(this.model, this.data, this.full);
    if (this.fullView.length === 0) this.fullView = this.full.GetView() as Float64Array;
    const M = this.fullView;
    const lm = this.lm;
    const lk = this.lk;
    for (let k = 0; k < n * n; k++) lm[k] = lk[k] = M[k];
    for (let k = 0; k < n; k++) lk[k * n + k] += h * damp[k];
    if (!cholesky(lm, n) || !cholesky(lk, n)) return 'none';
    this.block(lm, dofs, na, this.q);
    this.block(lk, dofs, na, this.p);
    if (exact && this.exact(dofs, aref, force, na, s)) return 'exact';
    const g = this.largestGain(s, na);
    if (!(g >= 0)) return 'none';
    if (g <= 1) return 'kept';
    for (let a = 0; a < na; a++) s[a] /= g;
    return 'shrunk';
  }

  /** The scales that make MuJoCo's λ the implicit step's λ* (see the class), into `s` only where every one is positive and at most MAX_SCALE. */
  private exact(dofs: Int32Array, aref: Float64Array, force: Float64Array, na: number, s: Float64Array): boolean {
    const n = this.nv;
    const u = this.u;
    const w = this.w;
    const col = this.col;
    u.set(force);
    solve(this.lk, n, u); // K⁻¹F
    w.set(force);
    solve(this.lm, n, w); // M⁻¹F
    const lp = this.lp;
    for (let a = 0; a < na; a++) for (let b = 0; b <= a; b++) lp[a * n + b] = this.p[a * n + b];
    if (!cholesky(lp, na, n)) return false;
    for (let a = 0; a < na; a++) col[a] = aref[a] - u[dofs[a]];
    solve(lp, na, col, n); // λ*
    for (let a = 0; a < na; a++) {
      let x = w[dofs[a]];
      for (let b = 0; b < na; b++) x += this.q[a * n + b] * col[b];
      const r = x / aref[a];
      if (!(r > 0 && r <= MAX_SCALE)) return false;
      u[a] = r; // u is free again: the scales, kept until all are known good
    }
    for (let a = 0; a < na; a++) s[a] = u[a];
    return true;
  }

  /**
   * An upper bound of G = P·Q⁻¹·diag(s)'s spectral radius, ‖G^k‖_F^(1/k) by repeated squaring
   * (SQUARINGS); NaN where Q is not positive definite or G's norm is not finite. Not power
   * iteration: G is not symmetric, its leading eigenvalues may be close or complex, and 40
   * iterations from a fixed start fell up to 9.4 % short of the radius on the humanoid (review
   * finding 2, docs/mujoco.md "Joint limits"), so "G ≤ 1" did not hold after 'kept' or 'shrunk'.
   */
  private largestGain(s: Float64Array, na: number): number {
    const n = this.nv;
    const lq = this.lp;
    for (let a = 0; a < na; a++) for (let b = 0; b <= a; b++) lq[a * n + b] = this.q[a * n + b];
    if (!cholesky(lq, na, n)) return Number.NaN;
    const g = this.g;
    const y = this.w;
    for (let b = 0; b < na; b++) {
      for (let a = 0; a < na; a++) y[a] = a === b ? s[b] : 0;
      solve(lq, na, y, n); // Q⁻¹·s_b·e_b
      for (let a = 0; a < na; a++) {
        let v = 0;
        for (let c = 0; c < na; c++) v += this.p[a * n + c] * y[c];
        g[a * n + b] = v;
      }
    }
    // G^(2^m) = exp(logs)·A with ‖A‖_F = 1.
    let logs = normalize(g, na, n);
    for (let m = 0; m < SQUARINGS; m++) {
      const t = this.g2;
      for (let a = 0; a < na; a++)
        for (let b = 0; b < na; b++) {
          let v = 0;
          for (let c = 0; c < na; c++) v += g[a * n + c] * g[c * n + b];
          t[a * n + b] = v;
        }
      for (let a = 0; a < na; a++) for (let b = 0; b < na; b++) g[a * n + b] = t[a * n + b];
      logs = 2 * logs + normalize(g, na, n);
    }
    const bound = Math.exp(logs / 2 ** SQUARINGS);
    return bound > 0 && bound < Infinity ? bound : Number.NaN;
  }

  /**
   * `out` (row stride nv) ← the rows and columns at `dofs` of (L·Lᵀ)⁻¹, `l` a cholesky() factor of
   * an nv × nv matrix: Zᵀ·Z with the columns z = L⁻¹·e_d, zero above d (a forward solve from d on).
   */
  private block(l: Float64Array, dofs: Int32Array, na: number, out: Float64Array): void {
    const n = this.nv;
    const z = this.z;
    for (let b = 0; b < na; b++) {
      const d = dofs[b];
      const o = b * n;
      for (let i = 0; i < d; i++) z[o + i] = 0;
      for (let i = d; i < n; i++) {
        let v = i === d ? 1 : 0;
        for (let k = d; k < i; k++) v -= l[i * n + k] * z[o + k];
        z[o + i] = v / l[i * n + i];
      }
    }
    for (let a = 0; a < na; a++)
      for (let b = 0; b <= a; b++) {
        let v = 0;
        for (let k = Math.max(dofs[a], dofs[b]); k < n; k++) v += z[a * n + k] * z[b * n + k];
        out[a * n + b] = out[b * n + a] = v;
      }
  }

  /** Frees the buffer M is read into. */
  dispose(): void {
    this.full.delete();
  }
}

/** In place: the na × na block (row stride `stride`) of `a` divided by its Frobenius norm; returns the norm's log (NaN where it is 0 or not finite). */
function normalize(a: Float64Array, na: number, stride: number): number {
  let f = 0;
  for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) f += a[i * stride + j] * a[i * stride + j];
  f = Math.sqrt(f);
  if (!(f > 0 && f < Infinity)) return Number.NaN;
  for (let i = 0; i < na; i++) for (let j = 0; j < na; j++) a[i * stride + j] /= f;
  return Math.log(f);
}
