/**
 * A world model that predicts NaN under `--wm-mode shield` (a blown-up network: its last bias NaN).
 * Its predictions are the hook's fault, not constraint predictions: the run holds and safe-stops
 * (exit 5) with `world_model_error` events saying why, and never sends the action-zero pose in
 * the proposal's place (docs/world-model.md, "Shield").
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInitializers } from '../../../models/train/onnx/readMlp.ts';
import { axon } from '../../helpers/cli.ts';

/** models/cartpole-wm with its last layer's bias NaN: every prediction is NaN. */
function nanCartpoleWm(): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-wm-nan-'));
  const bytes = new Uint8Array(readFileSync('models/cartpole-wm/model.onnx'));
  const inits = readInitializers(bytes);
  const last = [...inits.keys()].filter((k) => k.endsWith('bias')).at(-1)!;
  const data = inits.get(last)!.data;
  const hay = Buffer.from(bytes);
  const at = hay.indexOf(Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  if (at < 0) throw new Error('bias bytes not found');
  hay.set(new Uint8Array(new Float32Array(data.length).fill(Number.NaN).buffer), at);
  writeFileSync(join(dir, 'model.onnx'), hay);
  copyFileSync('models/cartpole-wm/manifest.json', join(dir, 'manifest.json'));
  return dir;
}

describe('a NaN world model under the shield', () => {
  it('holds and safe-stops at the 3rd tick, exit 5: no veto, no action-zero command', () => {
    const wm = nanCartpoleWm();
    const r = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--world-model', wm, '--wm-mode', 'shield', '--duration', '1', '--fast', '--json');
    expect(r.code, r.stderr).toBe(5);
    const s = JSON.parse(r.lastLine);
    expect(s.world_model.vetoes).toBe(0);
    expect(s.safety.state).toBe('safe-stop');
    expect(s.safety.events.world_model_error).toBe(3); // a failed hook, not a late one
    expect(s.safety.events.world_model_deadline ?? 0).toBe(0);
    expect(s.safety.events.shield_veto ?? 0).toBe(0);
    expect(s.safety.stop).toMatchObject({ by: 'supervisor', kind: 'world_model_error' });
    expect(s.safety.stop.reason).toMatch(/^3 consecutive world model errors: world model failed: /); // what missed, not 'deadline misses'
  });
});
