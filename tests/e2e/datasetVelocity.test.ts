import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../src/record/index.ts';
import { readTable, column } from '../src/dataset/independentReader.ts';
import { velocityPolicy } from '../helpers/velocityPolicy.ts';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);

describe('observation.velocity_command: the command a locomotion policy read, kept and fed back', () => {
  it('export lerobot of a run under a velocity-command policy writes it per frame; replay DATASET --policy feeds it back (agreement to float32)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-dsvel-'));
    const policy = velocityPolicy();
    const rec = join(dir, 'rec.mcap'), ds = join(dir, 'ds');
    const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--command', '0.5,0,0.2', '--duration', '0.5', '--fast', '--record', rec, '--json');
    expect(r.code, r.stderr).toBe(0);
    const e = axon('export', 'lerobot', rec, '--out', ds, '--task', 'drive', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.lastLine)).toMatchObject({ episodes_written: 1, frames_written: 25 });

    const di = JSON.parse(axon('dataset', 'info', ds, '--json').lastLine);
    expect(di.features['observation.velocity_command']).toEqual({ dtype: 'float32', shape: [3], names: ['vx', 'vy', 'wz'] });
    const cmd = column(readTable(join(ds, 'data/chunk-000/file-000.parquet')), 'observation.velocity_command') as number[][];
    const m = await readRecording(rec);
    expect(cmd).toHaveLength(25);
    m.ticks.forEach((t, i) => expect(cmd[i]).toEqual(Array.from(Float32Array.from(t.velocityCommand!))));
    expect(cmd[0]).toEqual(Array.from(Float32Array.from([0.5, 0, 0.2])));

    // The same model on the recorded observations and commands gives the recorded actions.
    const rp = axon('replay', ds, '--policy', policy, '--json');
    expect(rp.code, rp.stderr).toBe(0);
    const d = JSON.parse(rp.lastLine).policy_diff;
    expect(d).toMatchObject({ episodes: 1, ticks: 25 });
    expect(d.max).toBeLessThan(1e-6);

    // A model without the term: no such feature (cartpole-balance datasets are unchanged).
    const plain = join(dir, 'plain');
    expect(axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '0.2', '--fast', '--dataset', plain, '--json').code).toBe(0);
    expect(JSON.parse(axon('dataset', 'info', plain, '--json').lastLine).features['observation.velocity_command']).toBeUndefined();
  });
});
