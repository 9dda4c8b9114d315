/**
 * R27 F5: `axon replay DIR --episode 0` on a dataset folder missing meta/info.json said
 * `--episode: applies to a dataset` (the flag blamed); it is now what `dataset info` says of the
 * same folder: DATASET_READ naming it, "has no meta/info.json", exit 2.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';

describe('replay DIR --episode N on a folder without meta/info.json', () => {
  it('DATASET_READ naming the folder, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-noinfo-'));
    mkdirSync(join(dir, 'data', 'chunk-000'), { recursive: true });
    const r = runAxon(['replay', dir, '--episode', '0'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toBe(`axon: error [DATASET_READ]: ${dir}: has no meta/info.json (expected a LeRobotDataset v3.0 folder for --episode)`);
  });
});
