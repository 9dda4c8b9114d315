import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../src/core/rng.ts';
import { ManifestError, loadModelFolder, validateManifest } from '../../../src/model/manifest.ts';
import { worldModelStateNames } from '../../../src/model/worldModelManifest.ts';
import { OnnxWorldModel, wrapAngle } from '../../../src/worldmodel/OnnxWorldModel.ts';
import { manifest as policyManifest } from '../../helpers/fakes.ts';
import { wmManifest, writeRandomWorldModel } from './helpers.ts';
import { manifestErrorOf } from '../../helpers/errors.ts';

const errorOf = manifestErrorOf;

describe('world-model manifest', () => {
  it('accepts a world model and names its state elements', () => {
    const m = validateManifest(wmManifest());
    expect(worldModelStateNames(m)).toEqual(['joint_pos.a', 'joint_pos.b', 'joint_vel.a', 'joint_vel.b']);
  });

  it('still accepts the shipped policy manifest unchanged', () => {
    expect(loadModelFolder('models/cartpole-balance').manifest.kind).toBe('policy');
  });

  it('names the field and the expectation for each kind of bad world model', () => {
    const cases: [unknown, string][] = [
      [{ ...wmManifest(), world_model: undefined }, '#/world_model'],
      [wmManifest({ onnx: { file: 'model.onnx', input: 'state', output: 'delta' } }), '#/onnx/action_input'],
      [wmManifest({}, { state: { mean: [0, 0, 0], std: [1, 1, 1, 1] } }), '#/world_model/state/mean'],
      [wmManifest({}, { state: { mean: [0, 0, 0, 0], std: [1, 0, 1, 1] } }), '#/world_model/state/std/1'],
      [wmManifest({}, { output: { mean: [0, 0, 0, 0], std: [1, 1] } }), '#/world_model/output/std'],
      [wmManifest({}, { state: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1], angles: ['joint_pos.z'] } }), '#/world_model/state/angles/0'],
      [wmManifest({}, { constraints: [{ name: 'x', state: 'joint_vel.q', upper: 1 }] }), '#/world_model/constraints/0/state'],
      [wmManifest({}, { constraints: [{ name: 'x', state: 'joint_vel.a' }] }), '#/world_model/constraints/0'],
      [wmManifest({}, { cost: { terms: [{ state: 'joint_pos.nope', weight: 1 }] } }), '#/world_model/cost/terms/0/state'],
      [wmManifest({}, { dt: 0.01 }), '#/world_model/dt'],
      [wmManifest({ observation: { terms: [{ term: 'joint_pos', history: 2 }] } }), '#/observation/terms/0/history'],
      [{ ...policyManifest(), world_model: wmManifest().world_model }, '#/world_model'],
    ];
    for (const [raw, pointer] of cases) {
      const e = errorOf(() => validateManifest(raw, 'wm.json'));
      expect(e.code).toBe('MANIFEST_FIELD');
      expect(e.where).toContain(`wm.json${pointer}`);
    }
  });
});

describe('OnnxWorldModel', () => {
  it('batch predict equals per-sample predict, with the manifest normalisation and angle wrap', async () => {
    const { dir, mlp, manifest } = writeRandomWorldModel();
    const wm = await OnnxWorldModel.load(loadModelFolder(dir), { maxBatch: 64 });
    const B = 37, S = 4;
    const rng = new Rng(9);
    const states = Float32Array.from({ length: B * S }, () => rng.uniform(-3, 3));
    const actions = Float32Array.from({ length: B }, () => rng.uniform(-1, 1));
    const batch = Float32Array.from((await wm.predict(states, actions, B)).nextStates);
    const w = manifest.world_model!;
    const x = new Float32Array(5), y = new Float32Array(4);
    for (let b = 0; b < B; b++) {
      const one = await wm.predict(states.subarray(b * S, (b + 1) * S), actions.subarray(b, b + 1), 1);
      for (let i = 0; i < S; i++) expect(one.nextStates[i]).toBe(batch[b * S + i]);
      // and both equal the network by hand
      for (let i = 0; i < S; i++) x[i] = (states[b * S + i] - w.state.mean[i]) / w.state.std[i];
      x[4] = actions[b];
      mlp.forward(x, y);
      for (let i = 0; i < S; i++) {
        let v = states[b * S + i] + w.output.mean[i] + w.output.std[i] * y[i];
        if (i === 1) v = wrapAngle(v);
        expect(batch[b * S + i]).toBeCloseTo(v, 4);
      }
    }
    // a batch larger than reserved grows once and still agrees
    const big = await wm.predict(new Float32Array(100 * S), new Float32Array(100), 100);
    expect(big.nextStates.length).toBe(100 * S);
    await wm.close();
  });

  it('refuses a policy folder and a graph that does not match the manifest', async () => {
    await expect(OnnxWorldModel.load(loadModelFolder('models/cartpole-balance'))).rejects.toMatchObject({ code: 'MANIFEST_FIELD' });
    const { dir } = writeRandomWorldModel();
    const bad = mkdtempSync(join(tmpdir(), 'axon-wm-bad-'));
    copyFileSync(join(dir, 'model.onnx'), join(bad, 'model.onnx'));
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify(wmManifest({ onnx: { file: 'model.onnx', input: 'state', action_input: 'act', output: 'delta' } })));
    await expect(OnnxWorldModel.load(loadModelFolder(bad))).rejects.toMatchObject({ code: 'MODEL_SHAPE' });
  });
});

describe('OnnxWorldModel, synchronous native session', () => {
  it.each(['models/cartpole-wm', 'models/arm-wm'])('%s: predictions bit for bit the same as onnxruntime run(), at several batch sizes', async (dir) => {
    const folder = loadModelFolder(dir);
    const sync = await OnnxWorldModel.load(folder, { maxBatch: 64 });
    const async = await OnnxWorldModel.load(folder, { maxBatch: 64, onnxRun: 'async' });
    const rng = new Rng(9);
    for (const B of [1, 7, 64]) {
      const s = Float32Array.from({ length: B * sync.stateSize }, () => rng.uniform(-1, 1));
      const a = Float32Array.from({ length: B * sync.actionSize }, () => rng.uniform(-1, 1));
      const x = Array.from((await sync.predict(s, a, B)).nextStates);
      const y = Array.from((await async.predict(s, a, B)).nextStates);
      expect(x).toEqual(y);
    }
    await sync.close();
    await async.close();
  });
});
