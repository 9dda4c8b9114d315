/**
 * Model folders as users bring them when the manifest and the ONNX file disagree on the action
 * output (R27 F1, F3): an action-chunk export (ACT, a diffusion policy: `[1, L, n]` after `[1, N]`)
 * whose manifest lacks `action.chunk`, and a file onnxruntime loads but cannot run. Each is a real
 * ONNX file (models/train/onnx's builder, as torch.onnx.export lays one out) beside a manifest
 * copied from a shipped model folder (models/cartpole-balance, models/arm6-pose), so that every
 * command (sim, run on emu://, eval, replay, inspect) takes it as it takes the shipped one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../models/train/onnx/OnnxGraphBuilder.ts';
import { attr, encodeModel } from '../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../models/train/onnx/writeOnnx.ts';
import { actionSize, loadModelFolder, observationSize } from '../../src/model/manifest.ts';

/**
 * A copy of the model folder `base` (its manifest, `edit` applied) with model.onnx replaced by `g`
 * built on the manifest's names and sizes: `build(g, N, n, input, output)`.
 */
function exportOf(base: string, edit: (m: { action: { chunk?: unknown } }) => void, build: (g: OnnxGraphBuilder, N: number, n: number, input: string, output: string) => void): string {
  const { manifest: m } = loadModelFolder(base);
  const dir = mkdtempSync(join(tmpdir(), 'axon-export-'));
  const raw = JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8'));
  delete raw.provenance;
  edit(raw);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(raw, null, 2));
  const g = new OnnxGraphBuilder('torch_jit');
  build(g, observationSize(m), actionSize(m), m.onnx.input, m.onnx.output);
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'pytorch', producerVersion: '2.5.0', graph: g.build() }));
  return dir;
}

/**
 * The model `base` (a shipped folder) exported as an action chunk of `length` steps: obs [1, N],
 * Gemm to [1, length·n], Reshape to [1, length, n], declared as `declared` (default
 * [1, length, n]; a symbolic axis such as [1, 'T', n] as a dynamic export declares it).
 * chunk[i][k] = (i + 10·k) / 100, so a run that reads only the first n values is visible. The
 * manifest keeps no action.chunk unless `chunk` is given (the mistake R27 F1 is about).
 */
export function actionChunkExport(base: string, length: number, o: { readonly declared?: (number | string)[]; readonly chunk?: { length: number; execute?: number } } = {}): string {
  return exportOf(
    base,
    (m) => {
      if (o.chunk) m.action.chunk = o.chunk;
    },
    (g, N, n, input, output) => {
      const x = g.input(input, 'float32', [1, N]);
      const W = g.initializer('head.weight', 'float32', [length * n, N], new Float32Array(length * n * N));
      const B = g.initializer('head.bias', 'float32', [length * n], Float32Array.from({ length: length * n }, (_, j) => (Math.floor(j / n) + 10 * (j % n)) / 100));
      g.node('Gemm', [x, W, B], ['flat'], { transB: attr.int(1) });
      g.initializer('chunk_shape', 'int64', [3], BigInt64Array.from([1n, BigInt(length), BigInt(n)]));
      g.node('Reshape', ['flat', 'chunk_shape'], [output]);
      g.output(output, 'float32', o.declared ?? [1, length, n]);
    },
  );
}

/**
 * The model `base` with a model.onnx onnxruntime loads (a valid graph, the declared shapes right)
 * but whose first inference fails: a Gather of observation index N + 5, past the input's end
 * (onnxruntime: "indices element out of data bounds").
 */
export function failsToRunExport(base: string): string {
  return exportOf(base, () => {}, (g, N, n, input, output) => {
    const x = g.input(input, 'float32', [1, N]);
    const idx = g.initializer('idx', 'int64', [n], BigInt64Array.from({ length: n }, () => BigInt(N + 5)));
    g.node('Gather', [x, idx], [output], { axis: attr.int(1) });
    g.output(output, 'float32', [1, n]);
  });
}
