import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mlp } from '../../../models/train/mlp.ts';
import { mlpToOnnx } from '../../../models/train/onnx/writeOnnx.ts';
import { Rng } from '../../../src/core/rng.ts';
import { loadModelFolder, validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import { loadPolicy } from '../../../src/policy/loadPolicy.ts';
import { openSyncSession, ortVersion, SYNC_VERSIONS } from '../../../src/policy/ortSync.ts';
import { accumulatorPolicy, countingChunkPolicy, gruPolicy } from '../../helpers/onnxFixtures.ts';

/** Bit patterns, so that -0/+0 and NaN payloads count as different. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function syncAndAsync(dir: string) {
  const folder = loadModelFolder(dir);
  const sync = await OnnxPolicy.load(folder);
  const async = await OnnxPolicy.load(folder, { mode: 'async' });
  return { sync, async };
}

/** Runs both policies on the same inputs; returns each call's outputs as bit patterns. */
async function compare(dir: string, steps: number, rng: Rng) {
  const { sync, async } = await syncAndAsync(dir);
  expect(sync.mode).toBe('sync');
  expect(async.mode).toBe('async');
  const a: number[][] = [];
  const b: number[][] = [];
  const x = new Float32Array(sync.inputSize);
  for (let k = 0; k < steps; k++) {
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-3, 3);
    const s = sync.act(x);
    expect(s).toBeInstanceOf(Float32Array); // returned at once, not a promise
    a.push(bits(s as Float32Array));
    const p = async.act(x);
    expect(p).toBeInstanceOf(Promise);
    b.push(bits(await p));
  }
  await sync.close();
  await async.close();
  return { a, b };
}

const onnxRun = SYNC_VERSIONS.test(ortVersion() ?? '') ? describe : describe.skip;
if (!SYNC_VERSIONS.test(ortVersion() ?? '')) console.warn(`onnxruntime-node ${ortVersion()} is not checked for synchronous runs: skipping the sync tests`);

onnxRun('OnnxPolicy, synchronous native session', () => {
  it.each(['models/cartpole-balance', 'models/humanoid-balance'])('%s: the same outputs bit for bit as onnxruntime run(), returned synchronously', async (dir) => {
    const { a, b } = await compare(dir, 300, new Rng(7));
    expect(a).toEqual(b);
  });

  it('a GRU policy: recurrent state carried the same way, bit for bit, over 50 ticks and a reset', async () => {
    const H = 4;
    const rng = new Rng(3);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-0.8, 0.8));
    const m = validateManifest({
      schema: 'axon.model/1', name: 'gru', kind: 'policy', robot: 'fake', joints: ['a', 'b'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', joints: ['a'] },
      recurrent: [{ input: 'h_in', output: 'h_out', shape: [1, 1, H] }],
    });
    const dir = gruPolicy(m, 2, H, 1, { w: rand(3 * H * 2), r: rand(3 * H * H), b: rand(6 * H), wo: rand(H) });
    const { sync, async } = await syncAndAsync(dir);
    const x = new Float32Array(2);
    const run = async (p: OnnxPolicy) => {
      const out: number[][] = [];
      const r = new Rng(11);
      for (let k = 0; k < 50; k++) {
        if (k === 30) p.reset();
        x[0] = r.uniform(-1, 1);
        x[1] = r.uniform(-1, 1);
        out.push(bits(await p.act(x)));
      }
      return out;
    };
    const s = await run(sync);
    expect(s).toEqual(await run(async));
    expect(s[29]).not.toEqual(s[0]); // the state did change the answer
    await sync.close();
    await async.close();
  });

  it('a recurrent state that turns NaN is not fed back (the previous one is kept): the next call is finite again', async () => {
    const m = validateManifest({
      schema: 'axon.model/1', name: 'sum', kind: 'policy', robot: 'fake', joints: ['a', 'b'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', joints: ['a', 'b'] },
      recurrent: [{ input: 'h_in', output: 'h_out', shape: [1, 2] }],
    });
    const dir = accumulatorPolicy(m, 2);
    for (const mode of ['sync', 'async'] as const) {
      const p = await OnnxPolicy.load(loadModelFolder(dir), { mode });
      expect(Array.from(await p.act(Float32Array.of(1, 2)))).toEqual([1, 2]);
      expect(Number.isNaN((await p.act(Float32Array.of(Number.NaN, 0)))[0])).toBe(true);
      expect(p.badStates).toBe(1);
      // The state is still [1, 2]: without the guard it would be [NaN, 2] for good.
      expect(Array.from(await p.act(Float32Array.of(1, 1)))).toEqual([2, 3]);
      await p.close();
    }
  });

  it('prewarm() runs the model without touching the action act() returned or the recurrent state', async () => {
    const m = validateManifest({
      schema: 'axon.model/1', name: 'sum', kind: 'policy', robot: 'fake', joints: ['a', 'b'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', joints: ['a', 'b'] },
      recurrent: [{ input: 'h_in', output: 'h_out', shape: [1, 2] }],
    });
    const p = await OnnxPolicy.load(loadModelFolder(accumulatorPolicy(m, 2)));
    const a = p.act(Float32Array.of(1, 2)) as Float32Array;
    expect(Array.from(a)).toEqual([1, 2]);
    // The warm-up computes state + last input = [2, 4] into outputs of its own.
    p.prewarm();
    p.prewarm();
    expect(p.prewarms).toBe(2);
    expect(Array.from(a)).toEqual([1, 2]);
    // The state is still [1, 2]: the warm-ups did not advance it.
    expect(Array.from(p.act(Float32Array.of(1, 1)) as Float32Array)).toEqual([2, 3]);
    await p.close();
    // An asynchronous session has nothing to warm on the loop's thread.
    const q = await OnnxPolicy.load(loadModelFolder(accumulatorPolicy(m, 2)), { mode: 'async' });
    q.prewarm();
    expect(q.prewarms).toBe(0);
    await q.close();
  });

  it('a chunked policy ([1, L, n] output): the whole chunk, bit for bit', async () => {
    const m = validateManifest({
      schema: 'axon.model/1', name: 'chunk', kind: 'policy', robot: 'fake', joints: ['a', 'b'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', joints: ['a', 'b'], chunk: { length: 4 } },
    });
    const dir = countingChunkPolicy(m, 2, 4, 2);
    const { a, b } = await compare(dir, 20, new Rng(5));
    expect(a).toEqual(b);
    expect(a[0]).toHaveLength(8);
  });

  it('matches the TypeScript forward pass of the net it was written from (1e-5)', async () => {
    const rng = new Rng(17);
    const net = new Mlp([6, 16, 12, 3], 'tanh', 'tanh', rng);
    for (let k = 0; k < net.numParams; k++) net.params[k] += 0.05 * rng.normal();
    const m: ModelManifest = validateManifest({
      schema: 'axon.model/1', name: 'mlp', kind: 'policy', robot: 'fake', joints: ['a', 'b', 'c'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
      action: { type: 'joint_effort', joints: ['a', 'b', 'c'] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'axon-sync-'));
    writeFileSync(join(dir, 'model.onnx'), mlpToOnnx(net, { inputName: 'obs', outputName: 'action' }));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const policy = await loadPolicy(loadModelFolder(dir));
    expect((policy as OnnxPolicy).mode).toBe('sync');
    const x = new Float32Array(6);
    const y = new Float32Array(3);
    let worst = 0;
    for (let k = 0; k < 100; k++) {
      for (let i = 0; i < 6; i++) x[i] = rng.uniform(-3, 3);
      const got = policy.act(x) as Float32Array;
      net.forward(x, y);
      for (let o = 0; o < 3; o++) worst = Math.max(worst, Math.abs(got[o] - y[o]));
    }
    expect(worst).toBeLessThan(1e-5);
    await policy.close();
  });

  it('writes the action into one buffer of its own (no allocation of the output per tick)', async () => {
    const policy = await OnnxPolicy.load(loadModelFolder('models/cartpole-balance'));
    const x = new Float32Array(policy.inputSize);
    const first = policy.act(x);
    x[0] = 0.5;
    expect(policy.act(x)).toBe(first);
    await policy.close();
  });
});

describe('OnnxPolicy fallback', () => {
  it('an onnxruntime-node version not checked for sync runs is refused with a note naming it', () => {
    const r = openSyncSession('models/cartpole-balance/model.onnx', {}, '9.1.0');
    expect('note' in r && r.note).toMatch(/onnxruntime-node 9\.1\.0 .*asynchronous run\(\)/);
  });

  it("mode 'async' awaits onnxruntime's public run()", async () => {
    const p = await OnnxPolicy.load(loadModelFolder('models/cartpole-balance'), { mode: 'async' });
    expect(p.mode).toBe('async');
    expect(p.note).toBeUndefined();
    const out = p.act(new Float32Array(p.inputSize));
    expect(out).toBeInstanceOf(Promise);
    await out;
    await p.close();
  });

  it('a file that is not a model is a typed ONNX_LOAD error in either mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bad-'));
    writeFileSync(join(dir, 'model.onnx'), 'not onnx');
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(JSON.parse(
      (await import('node:fs')).readFileSync('models/cartpole-balance/manifest.json', 'utf8'))));
    for (const mode of ['sync', 'async'] as const)
      await expect(OnnxPolicy.load(loadModelFolder(dir), { mode })).rejects.toMatchObject({ code: 'ONNX_LOAD' });
  });
});
