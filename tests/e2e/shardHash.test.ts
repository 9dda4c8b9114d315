/**
 * `eval --shard` writes the contents it ran, and `eval merge` compares them (review R29 F2): the
 * shard file carries the policy's (and world model's) content hash. Before, a shard run against
 * other weights under the same path merged silently into one wrong figure, exit 0.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';
import { modelHash } from '../../src/eval/modelHash.ts';

describe('eval --shard and the model contents', () => {
  it('writes the policy and world model content hashes into the shard file', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'axon-shard-hash-')), 's0.json');
    const r = runAxon(['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--world-model', 'models/cartpole-wm', '--wm-mode', 'shield', '--episodes', '2', '--duration', '0.2', '--shard', '0/2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const f = JSON.parse(readFileSync(out, 'utf8'));
    expect(f.model_hash).toBe(modelHash('models/cartpole-balance'));
    expect(f.world_model_hash).toBe(modelHash('models/cartpole-wm'));
  }, 120_000);
});
