import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { trainCartpole, cartpoleManifest, main } from '../../models/train/cartpole.ts';
import { runScript } from '../../models/train/script.ts';
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

  it('fine-tunes from a model folder (--init): zero iterations give back the shipped model byte for byte', async () => {
    const { mlp, manifest } = await trainCartpole({ seed: 1, iterations: 0, episodesPerEval: 1, episodeS: 1, physics: 'mujoco', init: 'models/cartpole-balance' });
    const bytes = mlpToOnnx(mlp, { inputName: 'obs', outputName: 'action', docString: 'axon cartpole-balance: ARS-trained MLP, see models/train/cartpole.ts' });
    expect(Buffer.from(bytes).equals(readFileSync('models/cartpole-balance/model.onnx'))).toBe(true);
    expect(manifest.provenance?.command).toBe('npx tsx models/train/cartpole.ts --seed 1 --physics mujoco --init models/cartpole-balance');
    await expect(trainCartpole({ seed: 1, iterations: 0, episodesPerEval: 1, episodeS: 1, init: 'models/humanoid-balance' })).rejects.toThrow(/--init: models\/humanoid-balance is not a cartpole-balance model/);
  });

  it('refuses an unknown --physics with a usage error naming the flag and the engines', async () => {
    expect(() => parsePhysics('bullet')).toThrow(UsageError);
    expect(() => parsePhysics('bullet')).toThrow(/--physics: unknown physics engine "bullet" \(expected one of cannon, mujoco\)/);
    expect(parsePhysics('mujoco')).toBe('mujoco');
    // The script's entry: one line naming the flag and the engines, exit code 2 (as the axon CLI), nothing written.
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      await runScript('file:///x/models/train/cartpole.ts', () => main(['--physics', 'bullet', '--out', '/nonexistent/never-written']));
      expect(process.exitCode).toBe(2);
    } finally {
      write.mockRestore();
      process.exitCode = undefined;
    }
    expect(written).toEqual(['cartpole.ts: error [CLI_USAGE]: --physics: unknown physics engine "bullet" (expected one of cannon, mujoco)\n']);
    await expect(main(['--iterations', '1e3', '--out', '/nonexistent/never-written'])).rejects.toThrow('--iterations: "1e3" is not a whole number from 0 (expected a whole number from 0 to 4294967295)');
    await expect(main(['--seed', '-1', '--out', '/nonexistent/never-written'])).rejects.toThrow(UsageError);
    await expect(main(['--seed=-1', '--out', '/nonexistent/never-written'])).rejects.toThrow('--seed: "-1" is not a whole number from 0');
    await expect(main(['--physic', 'mujoco'])).rejects.toThrow("--physic: Unknown option '--physic'");
  });
});
