import { Rng } from '../core/rng.ts';
import type { ModelManifest } from '../model/manifest.ts';
import type { Policy, PolicyStatus } from '../policy/Policy.ts';

/**
 * A degraded policy for shield experiments: Gaussian noise of `std` (raw action units) on every
 * output, seeded per episode (reseed) so that runs are reproducible.
 */
export class NoisyPolicy implements Policy {
  readonly manifest: ModelManifest;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: Float32Array;
  private rng = new Rng(1);
  constructor(
    private readonly inner: Policy,
    /** raw action units */
    private readonly std: number,
  ) {
    this.manifest = inner.manifest;
    this.inputSize = inner.inputSize;
    this.outputSize = inner.outputSize;
    this.out = new Float32Array(inner.outputSize);
  }
  reseed(seed: number): void {
    this.rng = new Rng(seed ^ 0x5eed);
  }
  reset(): void {
    this.inner.reset();
  }
  /** The inner policy's (an AsyncPolicy's pending and stall state must reach the loop through the noise). */
  get status(): PolicyStatus | undefined {
    return this.inner.status;
  }
  act(input: Float32Array, now?: number): Float32Array | Promise<Float32Array> {
    const r = this.inner.act(input, now);
    const add = (a: Float32Array) => {
      for (let j = 0; j < this.outputSize; j++) this.out[j] = a[j] + this.std * this.rng.normal();
      return this.out;
    };
    return r instanceof Promise ? r.then(add) : add(r);
  }
  prewarm(): void {
    this.inner.prewarm?.();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
