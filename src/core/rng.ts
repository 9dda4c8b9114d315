/**
 * Deterministic seeded random number generator (mulberry32).
 *
 * The same seed gives the same sequence on every platform: all arithmetic is 32-bit integer
 * (`Math.imul`, `>>> 0`), so training runs are reproducible bit for bit.
 * Not cryptographic. Allocation-free after construction.
 */
export class Rng {
  private _state: number;
  /** Second Box–Muller variate, kept for the next `normal()` call. */
  private _spare = 0;
  private _hasSpare = false;

  /** @param seed any number; only its low 32 bits are used. */
  constructor(seed: number) {
    this._state = seed >>> 0;
  }

  /** Uniform float in [0, 1), 32 bits of resolution. */
  next(): number {
    this._state = (this._state + 0x6d2b79f5) >>> 0;
    let t = this._state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform float in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** Standard normal variate (mean 0, standard deviation 1), Box–Muller transform. */
  normal(): number {
    if (this._hasSpare) {
      this._hasSpare = false;
      return this._spare;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.next();
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this._spare = r * Math.sin(theta);
    this._hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Uniform integer in [0, n). `n` must be a positive integer. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle of `a` in place; returns `a`. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}
