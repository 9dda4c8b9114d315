/**
 * A guarded onnxruntime session (src/policy/guardedSession.ts): the same answers as the inline
 * native call, bit for bit, for the shipped policies and a world model (batches past the block it
 * was sized for); a call that never returns throws InferenceTimeout at its deadline and every call
 * after it at once; an onnxruntime error comes back as an error and the session goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import { OnnxWorldModel } from '../../../src/worldmodel/OnnxWorldModel.ts';
import { openGuardedSession, stuckInferenceWorkers, type GuardedSession } from '../../../src/policy/guardedSession.ts';
import { InferenceTimeout } from '../../../src/policy/InferenceTimeout.ts';
import { Rng } from '../../../src/core/rng.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../../models/train/onnx/OnnxGraphBuilder.ts';
import { encodeModel } from '../../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../../models/train/onnx/writeOnnx.ts';
import { openSyncSession } from '../../../src/policy/ortSync.ts';

/** Writes a graph as model.onnx in a fresh folder; returns the folder. */
function writeGraph(g: OnnxGraphBuilder): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-guarded-'));
  writeFileSync(join(dir, 'model.onnx'), encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-test', graph: g.build() }));
  return dir;
}

const OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
});

describe('guarded onnxruntime session', () => {
  for (const name of ['cartpole-balance', 'humanoid-balance', 'arm6-pose']) {
    it(`answers ${name} as the inline call does, bit for bit`, async () => {
      const folder = loadModelFolder(`models/${name}`);
      const inline = await OnnxPolicy.load(folder, { mode: 'sync' });
      const guarded = await OnnxPolicy.load(folder, { mode: 'guarded', guard: { timeoutS: 5 } });
      closing.push(() => inline.close(), () => guarded.close());
      expect(guarded.mode).toBe('guarded');
      const rng = new Rng(7);
      const x = new Float32Array(inline.inputSize);
      for (let k = 0; k < 50; k++) {
        for (let i = 0; i < x.length; i++) x[i] = rng.normal();
        const a = Array.from(inline.act(x) as Float32Array);
        expect(Array.from(guarded.act(x) as Float32Array)).toEqual(a);
      }
    });
  }

  it('predicts a world model batch as the inline call does, batches larger than its block included', async () => {
    const folder = loadModelFolder('models/arm-wm');
    const inline = await OnnxWorldModel.load(folder, { maxBatch: 8 });
    const guarded = await OnnxWorldModel.load(folder, { maxBatch: 8, onnxRun: 'guarded', guard: { timeoutS: 5 } });
    closing.push(() => inline.close(), () => guarded.close());
    const rng = new Rng(3);
    for (const B of [1, 8, 300, 5]) {
      const s = Float32Array.from({ length: B * inline.stateSize }, () => rng.normal() * 0.5);
      const a = Float32Array.from({ length: B * inline.actionSize }, () => rng.normal() * 0.5);
      const want = Array.from((await inline.predict(s, a, B)).nextStates);
      expect(Array.from((await guarded.predict(s, a, B)).nextStates)).toEqual(want);
    }
  });

  it('throws InferenceTimeout for a call that never returns, then at once while it still has not', async () => {
    const folder = loadModelFolder('models/cartpole-balance');
    const g: GuardedSession = await openGuardedSession(folder.onnxPath, OPTIONS, { timeoutS: 0.5, hangFromCall: 2 });
    closing.push(() => g.close());
    const shape = g.inputMetadata[0].isTensor ? (g.inputMetadata[0].shape as number[]).map((d) => (typeof d === 'number' ? d : 1)) : [];
    const feeds = { [g.inputNames[0]]: new ort.Tensor('float32', new Float32Array(shape.reduce((p, d) => p * d, 1)), shape) };
    const fetches = { [g.outputNames[0]]: null };
    expect(g.run(feeds, fetches)[g.outputNames[0]].data.length).toBeGreaterThan(0);
    expect(() => g.run(feeds, fetches)).toThrow(InferenceTimeout);
    expect(g.stuck).toBe(true);
    let second: unknown;
    try {
      g.run(feeds, fetches);
    } catch (e) {
      second = e;
    }
    expect(second).toBeInstanceOf(InferenceTimeout);
    expect((second as Error).message).toMatch(/has not answered a call made/);
    await g.close(); // the test hook's hang is one terminate() ends
    expect(stuckInferenceWorkers()).toBe(0);
  });

  it("returns onnxruntime's error for a bad call and answers the next good one", async () => {
    const folder = loadModelFolder('models/cartpole-balance');
    const g = await openGuardedSession(folder.onnxPath, OPTIONS, { timeoutS: 5 });
    closing.push(() => g.close());
    const md = g.inputMetadata[0];
    const shape = md.isTensor ? (md.shape as number[]).map((d) => (typeof d === 'number' ? d : 1)) : [];
    const n = shape.reduce((p, d) => p * d, 1);
    const fetches = { [g.outputNames[0]]: null };
    const bad = { [g.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n + 3), [n + 3]) };
    expect(() => g.run(bad, fetches)).toThrow(/input|dimension|shape|rank/i);
    const good = { [g.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n), shape) };
    expect(g.run(good, fetches)[g.outputNames[0]].data.length).toBeGreaterThan(0);
  });

  // Review R22 F2, F3: outputs whose size the graph does not declare, larger than the room guessed
  // for them, and an output the caller does not ask for that is not float32.
  it('answers two undeclared outputs larger than its guess, and ignores an int64 output nobody asked for', async () => {
    const rng = new Rng(5);
    const g = new OnnxGraphBuilder('two');
    const x = g.input('x', 'float32', ['batch', 4]);
    g.node('MatMul', [x, g.initializer('W1', 'float32', [4, 3000], Float32Array.from({ length: 12000 }, () => rng.normal()))], ['y1']);
    g.node('MatMul', [x, g.initializer('W2', 'float32', [4, 3000], Float32Array.from({ length: 12000 }, () => rng.normal()))], ['y2']);
    g.node('ArgMax', [x], ['best'], {});
    g.output('y1', 'float32', ['batch', 3000]);
    g.output('y2', 'float32', ['batch', 3000]);
    g.output('best', 'int64', ['batch', 4]);
    const file = join(writeGraph(g), 'model.onnx');
    const inline = openSyncSession(file, OPTIONS);
    if (!('session' in inline)) throw new Error(inline.note);
    const guarded = await openGuardedSession(file, OPTIONS, { timeoutS: 5 });
    closing.push(() => guarded.close(), async () => inline.session.dispose());
    for (const B of [1, 3]) {
      const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 4 * B }, () => rng.normal()), [B, 4]) };
      const want = inline.session.run(feeds, { y1: null, y2: null });
      const got = guarded.run(feeds, { y1: null, y2: null });
      expect(got.y1.dims).toEqual([B, 3000]);
      expect(Array.from(got.y1.data as Float32Array)).toEqual(Array.from(want.y1.data as Float32Array));
      expect(Array.from(got.y2.data as Float32Array)).toEqual(Array.from(want.y2.data as Float32Array));
    }
  });

  // Review R22 F1: onnxruntime's first run is many times a steady one; under a tick's budget it failed the load.
  it("gives a policy's first call, at load, its own deadline rather than the tick's", async () => {
    const folder = loadModelFolder('models/cartpole-balance');
    const p = await OnnxPolicy.load(folder, { mode: 'guarded', guard: { timeoutS: 1e-6 } });
    closing.push(() => p.close());
    expect(p.mode).toBe('guarded');
    expect(() => p.act(new Float32Array(p.inputSize))).toThrow(InferenceTimeout);
  });

  it('refuses at open a model its shared header cannot describe (a rank-7 input), naming the bound', async () => {
    const g = new OnnxGraphBuilder('rank7');
    const x = g.input('x', 'float32', [1, 1, 1, 1, 1, 1, 2]);
    g.node('Identity', [x], ['y']);
    g.output('y', 'float32', [1, 1, 1, 1, 1, 1, 2]);
    await expect(openGuardedSession(join(writeGraph(g), 'model.onnx'), OPTIONS, { timeoutS: 5 })).rejects.toThrow(/rank up to 6; this model has 1 inputs and 1 outputs, ranks up to 7/);
    expect(stuckInferenceWorkers()).toBe(0);
  });
});
