import type { WorldModelConstraintSpec } from '../model/worldModelManifest.ts';

/** Bounds on predicted state elements, checked over a batch without allocating. */
export class Constraints {
  readonly names: readonly string[];
  private readonly idx: Int32Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;

  constructor(
    readonly stateSize: number,
    specs: readonly { name: string; index: number; lower?: number; upper?: number }[],
  ) {
    this.names = specs.map((c) => c.name);
    this.idx = Int32Array.from(specs, (c) => c.index);
    this.lo = Float64Array.from(specs, (c) => c.lower ?? -Infinity);
    this.hi = Float64Array.from(specs, (c) => c.upper ?? Infinity);
  }

  static fromSpec(specs: readonly WorldModelConstraintSpec[], stateNames: readonly string[]): Constraints {
    return new Constraints(stateNames.length, specs.map((c) => ({ name: c.name, index: stateNames.indexOf(c.state), lower: c.lower, upper: c.upper })));
  }

  get size(): number {
    return this.idx.length;
  }

  /**
   * Largest violation of any constraint by row b of `states` (0 when all hold; a non-finite
   * element counts as an infinite violation). Writes the constraint index into `which[0]`.
   */
  violation(states: Float32Array, b: number, which?: Int32Array): number {
    let worst = 0;
    const o = b * this.stateSize;
    for (let c = 0; c < this.idx.length; c++) {
      const x = states[o + this.idx[c]];
      const v = Number.isFinite(x) ? Math.max(this.lo[c] - x, x - this.hi[c], 0) : Infinity;
      if (v > worst) {
        worst = v;
        if (which) which[0] = c;
      }
    }
    return worst;
  }
}
