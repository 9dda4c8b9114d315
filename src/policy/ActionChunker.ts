import type { ModelManifest } from '../model/manifest.ts';
import { actionSize } from '../model/manifest.ts';
import type { Policy } from './Policy.ts';

/**
 * Serves one action per tick from a policy that outputs chunks of `length` actions.
 *
 * - queue (no `ensemble_decay`): run the model, send `execute` actions of the chunk one per tick,
 *   then run it again. Ticks served from the queue do not call the model at all.
 * - temporal ensembling (ACT, Zhao et al. 2023): run the model every tick; the action for tick t
 *   is the weighted mean over the chunks that cover t of their prediction for t, with weight
 *   exp(-decay·i) where i = 0 is the oldest chunk.
 *
 * Buffers are sized here; act() allocates nothing except the inner policy's promise.
 */
export class ActionChunker implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly length: number;
  private readonly execute: number;
  private readonly decay: number | undefined;
  /** Ring of the last `length` chunks (ensembling) or the current chunk (queue). */
  private readonly chunks: Float32Array;
  /** Tick at which each ring slot's chunk was produced (-1 = empty). */
  private readonly born: Float64Array;
  private readonly out: Float32Array;
  private tick = 0;
  private served = 0;

  constructor(
    private readonly inner: Policy,
    readonly manifest: ModelManifest = inner.manifest,
  ) {
    const c = manifest.action.chunk ?? { length: 1 };
    this.length = c.length;
    this.execute = c.execute ?? c.length;
    this.decay = c.ensemble_decay;
    this.inputSize = inner.inputSize;
    this.outputSize = actionSize(manifest);
    this.chunks = new Float32Array(this.length * this.length * this.outputSize);
    this.born = new Float64Array(this.length).fill(-1);
    this.out = new Float32Array(this.outputSize);
  }

  reset(): void {
    this.inner.reset();
    this.born.fill(-1);
    this.tick = 0;
    this.served = this.execute; // forces a model call on the first tick
  }

  act(input: Float32Array): Float32Array | Promise<Float32Array> {
    if (this.decay === undefined && this.served < this.execute) return this.fromQueue();
    const r = this.inner.act(input);
    return r instanceof Promise ? r.then((chunk) => this.accept(chunk)) : this.accept(r);
  }

  /** Warms the model only before a tick that will call it (not one served from the queue). */
  prewarm(): void {
    if (this.decay === undefined && this.served < this.execute) return;
    this.inner.prewarm?.();
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private accept(chunk: Float32Array): Float32Array {
    const n = this.outputSize;
    const chunkSize = this.length * n;
    if (this.decay === undefined) {
      this.chunks.set(chunk.subarray(0, chunkSize), 0);
      this.served = 0;
      return this.fromQueue();
    }
    const slot = this.tick % this.length;
    this.chunks.set(chunk.subarray(0, chunkSize), slot * chunkSize);
    this.born[slot] = this.tick;
    this.out.fill(0);
    let total = 0;
    // Oldest chunk first: i counts chunks from the oldest one still covering this tick.
    let i = 0;
    for (let age = this.length - 1; age >= 0; age--) {
      const s = (this.tick - age + this.length * 2) % this.length;
      if (this.born[s] !== this.tick - age || this.born[s] < 0) continue;
      const w = Math.exp(-this.decay * i++);
      const at = s * chunkSize + age * n;
      for (let k = 0; k < n; k++) this.out[k] += w * this.chunks[at + k];
      total += w;
    }
    for (let k = 0; k < n; k++) this.out[k] /= total;
    this.tick++;
    return this.out;
  }

  private fromQueue(): Float32Array {
    const n = this.outputSize;
    this.out.set(this.chunks.subarray(this.served * n, this.served * n + n));
    this.served++;
    this.tick++;
    return this.out;
  }
}
