/**
 * Dense Cholesky factorisation and solve, in place and allocation-free, for the small systems the
 * MuJoCo backend solves each physics step (MujocoImplicitSolve: M + h·D of the whole robot;
 * MujocoLimitCoupling: the active limits' blocks).
 */

/** In place: the lower triangle of the n × n block (row stride `stride`) of `a` becomes L of L·Lᵀ. False: not positive definite. */
export function cholesky(a: Float64Array, n: number, stride = n): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * stride + j];
    for (let k = 0; k < j; k++) d -= a[j * stride + k] * a[j * stride + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * stride + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * stride + j];
      for (let k = 0; k < j; k++) s -= a[i * stride + k] * a[j * stride + k];
      a[i * stride + j] = s / l;
    }
  }
  return true;
}

/** In place: x ← (L·Lᵀ)⁻¹·x with cholesky()'s factor `l` (n × n, row stride `stride`). */
export function solve(l: Float64Array, n: number, x: Float64Array, stride = n): void {
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * stride + k] * x[k];
    x[i] = s / l[i * stride + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= l[k * stride + i] * x[k];
    x[i] = s / l[i * stride + i];
  }
}
