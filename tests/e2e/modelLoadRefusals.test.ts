/**
 * R27 F1-F3 as a user meets them on the command line: each is one typed line on stderr and exit 2
 * before anything runs (no robot armed, stdout empty under --json), not a crash on the first tick
 * (exit 1) or a run on part of the model's output.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';
import { actionChunkExport, failsToRunExport } from '../helpers/actionChunkExports.ts';

const axon = (...args: string[]) => runAxon(args, 60_000);
const ARM6 = ['--config', 'hardware/robots/arm6-xm430.json', '--port', 'emu://'];

describe('an action-chunk export whose manifest lacks action.chunk (R27 F1)', () => {
  const cartpole = actionChunkExport('models/cartpole-balance', 10);
  const says = /^axon: error \[MODEL_SHAPE\]: .*model\.onnx output "action": has shape \[1, 10, 1\]: .*manifest\.json#\/action\/chunk \{"length": 10\}/m;

  it('sim --json: exit 2, the output, its shape and the field to set; stdout empty', () => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', cartpole, '--duration', '1', '--fast', '--json');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).toBe('');
  });

  it('inspect --robot: exit 2 with the same line, not "ok" on the tensor shapes', () => {
    const r = axon('inspect', cartpole, '--robot', 'cartpole');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).not.toContain(': ok (');
  });

  it('run --async on a 6-joint arm ([1, 20, 6]): exit 2 before the robot is armed', () => {
    const r = axon('run', ...ARM6, '--policy', actionChunkExport('models/arm6-pose', 20), '--duration', '2', '--async');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/\[MODEL_SHAPE\]: .*has shape \[1, 20, 6\]: 120 values per call/);
    expect(r.stdout + r.stderr).not.toContain('armed');
  });

  it('inspect X.onnx --draft writes action.chunk with the output\'s chunk length', () => {
    const dir = actionChunkExport('models/arm6-pose', 20);
    const draft = join(mkdtempSync(join(tmpdir(), 'axon-draft-')), 'manifest.json');
    const r = axon('inspect', join(dir, 'model.onnx'), '--draft', draft);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(draft, 'utf8'));
    expect(m.action.chunk).toEqual({ length: 20 });
    expect(m.joints).toHaveLength(6);
  });
});

describe('a model onnxruntime loads but cannot run (R27 F3)', () => {
  it('sim: ONNX_LOAD naming the file, exit 2, no onnxruntime log lines on stderr', () => {
    const dir = failsToRunExport('models/cartpole-balance');
    const r = axon('sim', '--robot', 'cartpole', '--policy', dir, '--duration', '1', '--fast', '--json');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^axon: error \\[ONNX_LOAD\\]: ${join(dir, 'model.onnx')}: its first inference on zeros failed: .*Gather`))]);
    expect(r.stderr).not.toContain('\x1b[');
    expect(r.stdout).toBe('');
  });
});

describe('--robot ws://... that is not a usable address (R27 F2)', () => {
  it.each(['ws://host:port', 'ws://127.0.0.1:99999'])('%s: BRIDGE_CONNECT, exit 2 (not a TypeError, exit 1)', (url) => {
    const r = axon('sim', '--robot', url, '--policy', 'models/cartpole-balance', '--duration', '1');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`axon: error [BRIDGE_CONNECT]: ${url}: is not a usable address`);
  });
});
