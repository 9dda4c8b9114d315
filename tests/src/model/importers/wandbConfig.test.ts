import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { unwrapWandbConfig } from '../../../../src/model/importers/wandbConfig.ts';
import { manifestFromLeggedGym } from '../../../../src/model/importers/leggedGym.ts';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';

const go2Joints = ['FL', 'FR', 'RL', 'RR'].flatMap((leg) => ['hip', 'thigh', 'calf'].map((j) => `${leg}_${j}_joint`));
const go2 = () => parse(readFileSync('tests/fixtures/legged-gym-go2-rough.yaml', 'utf8')) as Record<string, unknown>;
/** Every top-level key wrapped as W&B keeps a run's config: {key: {desc: null, value: X}}, with its own _wandb entry. */
const wrap = (cfg: Record<string, unknown>, desc = true) => ({
  ...(desc ? { wandb_version: 1 } : {}),
  _wandb: desc ? { desc: null, value: { cli_version: '0.19.11', python_version: '3.8.10' } } : { value: { cli_version: '0.19.11' } },
  ...Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k, desc ? { desc: null, value: v } : { value: v }])),
});
const go2Import = (cfg: Record<string, unknown>, notes: string[] = []) => manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'go2', robot: 'go2', notes }, 'config.yaml');

describe('a Weights & Biases run config, read as the env config it wraps', () => {
  it('reads a legged_gym env config that W&B wrapped key by key, as its config.yaml and its API JSON hold it', () => {
    // A legged_gym fork's run config from W&B (a Go1_WMP_Cfg run of an extreme_parkour/WMP fork, published in its repository: JSON
    // as W&B's API returns it) holds each section as {"value": ...}, with W&B's own "_wandb"; read as
    // it was, the importer said "init_state.default_joint_angles: is missing".
    const direct = go2Import(go2());
    for (const desc of [true, false]) {
      const text = desc ? stringify(wrap(go2())) : JSON.stringify(wrap(go2(), false), null, 2);
      const notes: string[] = [];
      const cfg = unwrapWandbConfig(parsePythonYaml(text, 'config.yaml', 'a mapping').cfg, 'config.yaml', notes);
      expect(go2Import(cfg)).toEqual(direct);
      expect(notes).toEqual(["config.yaml: a Weights & Biases run config: each top-level entry's value is read"]);
    }
  });

  it("reads rsl_rl's WandbSummaryWriter layout: the env config under env_cfg beside the runner's", () => {
    // rsl_rl store_config: wandb.config.update({"runner_cfg": ...}), ({"policy_cfg": ...}), ({"alg_cfg": ...}), ({"env_cfg": class_to_dict(env_cfg)})
    const notes: string[] = [];
    const cfg = unwrapWandbConfig(wrap({ runner_cfg: { max_iterations: 1500 }, policy_cfg: { actor_hidden_dims: [512, 256, 128] }, alg_cfg: { gamma: 0.99 }, env_cfg: go2() }), 'config.yaml', notes);
    expect(go2Import(cfg)).toEqual(go2Import(go2()));
    expect(notes).toEqual(['config.yaml: a Weights & Biases run config: its env_cfg entry is read (not runner_cfg, policy_cfg, alg_cfg)']);
  });

  it('manifest from-legged-gym reads such a file and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-wandb-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, stringify(wrap(go2())));
    const out = join(dir, 'manifest.json');
    const r = spawnSync(process.execPath, ['bin/axon.js', 'manifest', 'from-legged-gym', file, '--joints', go2Joints.join(','), '--robot', 'go2', '--name', 'go2', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("not mapped: config.yaml: a Weights & Biases run config: each top-level entry's value is read");
    const m = JSON.parse(readFileSync(out, 'utf8'));
    expect(m.pd).toEqual(go2Import(go2()).pd);
  });

  it('leaves any other config as it is', () => {
    const notes: string[] = [];
    const cfg = go2();
    expect(unwrapWandbConfig(cfg, 'config.yaml', notes)).toBe(cfg);
    // A section that merely has a "value" key among others is not W&B's wrapper.
    const odd = { init_state: { value: 1, pos: [0, 0, 0.4] } };
    expect(unwrapWandbConfig(odd, 'config.yaml', notes)).toBe(odd);
    expect(notes).toEqual([]);
  });
});
