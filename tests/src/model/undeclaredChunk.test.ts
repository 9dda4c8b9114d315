/**
 * R27 F1 and F3: what OnnxPolicy.load (every command's policy load: sim, run, run --async's
 * worker, eval's workers, replay --policy, inspect) refuses before a first tick.
 * - An action-chunk export ([1, L, n] after [1, N], ACT / diffusion) whose manifest lacks
 *   `action.chunk` passed the load check (only the last dimension was read), then overran the action
 *   buffer on the first tick ("offset is out of bounds", exit 1, after `run` armed the robot) or,
 *   under `run --async`, drove the robot with the first n values: now MODEL_SHAPE at load naming the
 *   output, its shape and the manifest field to set. A symbolic chunk axis ([1, 'T', n]) is caught
 *   by the first call on zeros.
 * - A file onnxruntime loads but whose first inference fails gave onnxruntime's bare error (exit 1,
 *   the file not named): now ONNX_LOAD naming the file.
 */
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { OnnxPolicy, type OnnxPolicyOptions } from '../../../src/policy/OnnxPolicy.ts';
import { loadPolicy } from '../../../src/policy/loadPolicy.ts';
import { actionChunkExport, failsToRunExport } from '../../helpers/actionChunkExports.ts';
import { axonErrorOf } from '../../helpers/errors.ts';

const CARTPOLE = 'models/cartpole-balance';
const ARM6 = 'models/arm6-pose';
const modes: [string, OnnxPolicyOptions][] = [
  ['sync', { mode: 'sync' }],
  ['async', { mode: 'async' }],
  ['guarded', { mode: 'guarded', guard: { timeoutS: 5 } }],
];

describe('an action chunk output without action.chunk in the manifest: MODEL_SHAPE at load', () => {
  it.each(modes)('%s: [1, 20, 6] for a 6-joint arm names the output, its shape and action.chunk {"length": 20}', async (_, o) => {
    const e = await axonErrorOf(OnnxPolicy.load(loadModelFolder(actionChunkExport(ARM6, 20)), o));
    expect(e.code).toBe('MODEL_SHAPE');
    expect(e.where).toMatch(/model\.onnx output "action"$/);
    expect(e.message).toContain('has shape [1, 20, 6]: 120 values per call, but the manifest declares no action.chunk and 6 action values');
    expect(e.message).toContain('manifest.json#/action/chunk {"length": 20}');
  });

  it.each(modes)('%s: a symbolic chunk axis [1, "T", 1] is caught by the first call on zeros', async (_, o) => {
    const e = await axonErrorOf(OnnxPolicy.load(loadModelFolder(actionChunkExport(CARTPOLE, 10, { declared: [1, 'T', 1] })), o));
    expect(e.code).toBe('MODEL_SHAPE');
    expect(e.message).toContain('output "action": has shape [1, 10, 1]: 10 values per call');
    expect(e.message).toContain('manifest.json#/action/chunk {"length": 10}');
  });

  it('the async policy (run --async) is refused the same way, from its worker', async () => {
    const e = await axonErrorOf(loadPolicy(loadModelFolder(actionChunkExport(ARM6, 20)), { async: { stallS: 1 } }));
    expect(e.code).toBe('MODEL_SHAPE');
    expect(e.message).toContain('manifest.json#/action/chunk {"length": 20}');
  });

  it('with action.chunk declared the same file loads, one action of 1 per step', async () => {
    const p = await loadPolicy(loadModelFolder(actionChunkExport(CARTPOLE, 10, { chunk: { length: 10, execute: 5 } })));
    try {
      expect((await p.act(new Float32Array(4))).length).toBe(1);
    } finally {
      await p.close?.();
    }
  });

  it('a plain one-action output still loads in every mode', async () => {
    for (const [, o] of modes) await (await OnnxPolicy.load(loadModelFolder(CARTPOLE), o)).close();
  });
});

describe('a model onnxruntime loads but cannot run: ONNX_LOAD naming the file at load', () => {
  it.each(modes)('%s', async (_, o) => {
    const dir = failsToRunExport(CARTPOLE);
    const e = await axonErrorOf(OnnxPolicy.load(loadModelFolder(dir), o));
    expect(e.code).toBe('ONNX_LOAD');
    expect(e.where).toBe(`${dir}/model.onnx`);
    expect(e.message).toMatch(/its first inference on zeros failed: .*Gather.*out of data bounds/);
    expect(e.message).not.toContain('\n');
  });
});
