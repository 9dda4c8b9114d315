/**
 * An eval episode the task ended (the pole fell) is `axon/ended_by: "terminated"`, one that ran to
 * its time limit `duration`, alike in `--dataset` and `axon export lerobot` of its recording, byte
 * for byte (review R17 F2; docs/dataset.md "How an episode ended").
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../../src/dataset/index.ts';
import { runAxon } from '../../helpers/cli.ts';

const EPISODES = 'meta/episodes/chunk-000/file-000.parquet';

describe('how an eval episode ended: terminated by the task, or its time limit (R17 F2)', () => {
  it('a pole that fell: terminated; a pole that stood to the limit: duration; --dataset and export byte-equal', async () => {
    const root = mkdtempSync(join(tmpdir(), 'axon-term-'));
    // --action-noise 3: the pole falls within the second (about 17 ticks of 50).
    const fell = runAxon(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '2', '--duration', '1', '--action-noise', '3', '--record', join(root, 'rec'), '--dataset', join(root, 'ds1')], 120_000);
    expect(fell.code, fell.stderr).toBe(0);
    const ex = runAxon(['export', 'lerobot', join(root, 'rec'), '--out', join(root, 'ds2')], 120_000);
    expect(ex.code, ex.stderr).toBe(0);
    const ds = await readDataset(join(root, 'ds1'));
    expect(ds.episodes.every((e) => e.length < 50), JSON.stringify(ds.episodes.map((e) => e.length))).toBe(true);
    expect(ds.episodes.map((e) => e['axon/ended_by'])).toEqual(['terminated', 'terminated']);
    expect(readFileSync(join(root, 'ds1', EPISODES)).equals(readFileSync(join(root, 'ds2', EPISODES)))).toBe(true);
    // 0.2 s of a balancing policy: the pole stands; the episode ends at the limit.
    const stood = runAxon(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '1', '--duration', '0.2', '--dataset', join(root, 'ds3')], 120_000);
    expect(stood.code, stood.stderr).toBe(0);
    const ds3 = await readDataset(join(root, 'ds3'));
    expect(ds3.episodes.map((e) => [e.length, e['axon/ended_by']])).toEqual([[10, 'duration']]);
  }, 300_000);
});
