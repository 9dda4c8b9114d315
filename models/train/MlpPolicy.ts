import type { Policy } from '../../src/policy/Policy.ts';
import { observationSize, actionSize, type ModelManifest } from '../../src/model/manifest.ts';
import type { Mlp } from './mlp.ts';

/** A policy evaluated by the TypeScript MLP itself: the reference the ONNX export is checked against, and what training rolls out. */
export class MlpPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: Float32Array;

  constructor(
    readonly manifest: ModelManifest,
    readonly mlp: Mlp,
  ) {
    this.inputSize = observationSize(manifest);
    this.outputSize = actionSize(manifest);
    this.out = new Float32Array(this.outputSize);
  }

  reset(): void {}

  act(input: Float32Array): Float32Array {
    this.mlp.forward(input, this.out);
    return this.out;
  }

  async close(): Promise<void> {}
}
