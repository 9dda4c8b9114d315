import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { trainCartpole, cartpoleManifest } from '../../models/train/cartpole.ts';
import { mlpToOnnx, sha256Hex } from '../../models/train/onnx/writeOnnx.ts';
import { parsePhysics } from '../../sim/session/index.ts';
import { UsageError } from '../../src/core/errors.ts';

describe('cartpole training', () => {
  it('is deterministic under the seed and learns: more iterations, longer survival', async () => {
    const lines: string[][] = [[], []];
    const a = await trainCartpole({ seed: 7, iterations: 12, episodesPerEval: 1, episodeS: 3, log: (l) => lines[0].push(l) });
    const b = await trainCartpole({ seed: 7, iterations: 12, episodesPerEval: 1, episodeS: 3, log: (l) => lines[1].push(l) });
    expect(sha256Hex(mlpToOnnx(a.mlp))).toBe(sha256Hex(mlpToOnnx(b.mlp)));
    expect(lines[0]).toEqual(lines[1]);
    const c = await trainCartpole({ seed: 8, iterations: 2, episodesPerEval: 1, episodeS: 3 });
    expect(sha256Hex(mlpToOnnx(c.mlp))).not.toBe(sha256Hex(mlpToOnnx(a.mlp)));
    const ret = (l: string) => Number(/mean return ([\d.]+)/.exec(l)![1]);
    expect(ret(lines[0].at(-1)!)).toBeGreaterThan(ret(lines[0][0]));
  });

  it('trains in MuJoCo (--physics mujoco), deterministically under the seed, on different rollouts than cannon-es', async () => {
    const o = { seed: 7, iterations: 3, episodesPerEval: 1, episodeS: 1, physics: 'mujoco' as const };
    const lines: string[][] = [[], []];
    const a = await trainCartpole({ ...o, log: (l) => lines[0].push(l) });
    const b = await trainCartpole({ ...o, log: (l) => lines[1].push(l) });
    const cannon = await trainCartpole({ ...o, physics: 'cannon' });
    const sha = (m: typeof a) => sha256Hex(mlpToOnnx(m.mlp, { inputName: 'obs', outputName: 'action' }));
    expect(sha(a)).toBe(sha(b));
    expect(lines[0]).toEqual(lines[1]);
    expect(lines[0].length).toBeGreaterThan(0);
    // The same seed draws the same episodes; the engines agree closely on the cartpole (docs/mujoco.md),
    // not to the bit, so the parameters differ: the rollouts ran in MuJoCo.
    expect(sha(a)).not.toBe(sha(cannon));
    expect(a.manifest.provenance?.command).toBe('npx tsx models/train/cartpole.ts --seed 7 --physics mujoco');
    expect(cannon.manifest).toEqual(cartpoleManifest(7));
  });

  it('refuses an unknown --physics with a usage error naming the flag and the engines', () => {
    expect(() => parsePhysics('bullet')).toThrow(UsageError);
    expect(() => parsePhysics('bullet')).toThrow(/--physics: unknown physics engine "bullet" \(expected one of cannon, mujoco\)/);
    expect(parsePhysics('mujoco')).toBe('mujoco');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'models/train/cartpole.ts', '--physics', 'bullet', '--out', '/nonexistent/never-written'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('cartpole.ts: error [CLI_USAGE]: --physics: unknown physics engine "bullet" (expected one of cannon, mujoco)');
  });
});
