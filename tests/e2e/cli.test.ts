import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readRecording } from '../../src/record/index.ts';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axon } from '../helpers/cli.ts';


const policy = 'models/cartpole-balance';

describe('axon CLI', () => {
  it('eval --record DIR writes one MCAP per episode, each whole and named by its episode and seed', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-evrec-')), 'runs');
    const r = axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '3', '--duration', '1', '--record', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s.record).toMatchObject({ dir, files: 3, ticks: 150, dropped: 0 });
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    for (const [k, f] of files.entries()) {
      const rec = await readRecording(join(dir, f));
      expect(rec.truncated).toBe(false);
      expect(rec.ticks).toHaveLength(50);
      expect(f).toBe(`episode-000${k}-seed-${rec.run.episode_seed}.mcap`);
      expect(rec.run).toMatchObject({ command: 'eval', episode: k });
    }
    // Not with the ways of spreading episodes over processes.
    const w = axon('eval', '--robot', 'cartpole', '--policy', policy, '--workers', '2', '--record', dir);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('--record');
  });

  it('goes on to its end when its reader closes stdout early (| head): the recording is whole', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axon-pipe-')), 'run.mcap');
    const child = spawn(process.execPath, ['bin/axon.js', 'sim', '--robot', 'cartpole', '--policy', policy, '--duration', '2', '--view', '--view-port', '0', '--record', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy()); // the first line read, the pipe closed
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
    const rec = await readRecording(file);
    expect(rec.truncated).toBe(false);
    expect(rec.ticks).toHaveLength(100);
  });

  it('lists its subcommands and documents every flag', () => {
    const top = axon('--help');
    expect(top.code).toBe(0);
    for (const c of ['sim', 'eval', 'inspect']) expect(top.stdout).toContain(c);
    const sim = axon('sim', '--help');
    for (const f of ['--robot', '--policy', '--duration', '--seed', '--fast', '--realtime', '--json', '--randomize']) expect(sim.stdout).toContain(f);
  });

  it.each([
    [['sim', '--robot', 'tractor', '--policy', policy], '--robot', 'cartpole'],
    [['sim', '--robot', 'cartpole', '--policy', 'models/nope'], 'models/nope', 'manifest.json'],
    [['sim', '--robot', 'cartpole', '--policy', policy, '--duration', '-3'], '--duration', 'positive number'],
    [['eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '2.5'], '--episodes', 'whole number'],
    [['sim', '--robot', 'cartpole', '--policy', policy, '--physics-hz', '333'], '--physics-hz', 'multiple of 50'],
    [['sim', '--robot', 'cartpole', '--policy', policy, '--warp-speed'], '--warp-speed', 'unknown option'],
    [['sim', '--robot', 'cartpole', '--policy', policy, '--sleep', 'nap'], '--sleep', 'block, timer'],
    [['sim', '--robot', 'cartpole', '--policy', policy, '--fast', '--sleep', 'timer'], '--sleep', "cannot be used with option '--fast'"],
  ])('refuses %j with one line naming the flag, exit code 2', (args, flag, expected) => {
    const r = axon(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each(['block', 'timer'])('sim in real time with --sleep %s paces the simulation to the wall clock and balances the cartpole', (sleep) => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '1', '--sleep', sleep, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(s.realtime).toBe(true);
    expect(s.ticks).toBe(50);
    expect(s.episode.success).toBe(true);
    // Paced, not run as fast as possible: the deadlines are on a 50 Hz grid, so the loop cannot tick
    // faster than that (a busy host can only make it slower); --fast runs at thousands of Hz.
    expect(s.loop.rate_hz).toBeLessThanOrEqual(51);
    expect(s.loop.rate_hz).toBeGreaterThan(0);
    expect(Number.isFinite(s.loop.period_error_us.p99)).toBe(true);
  });

  it('sim --json prints one summary object on the last line with loop, episode and safety', () => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '4', '--fast', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s).toMatchObject({ command: 'sim', robot: 'cartpole', policy, seed: 3, ticks: 200, duration_s: 4 });
    expect(s.loop.rate_hz).toBeGreaterThan(0);
    expect(Object.keys(s.loop.stage_us)).toEqual(['observe', 'build', 'policy', 'world_model', 'map', 'safety', 'command']);
    expect(s.loop.period_error_us).toHaveProperty('p99');
    expect(s.episode).toMatchObject({ steps: 200, success: true, terminated: false });
    expect(s.safety.state).toBe('running');
  });

  it('eval --json reports success rate and mean return of the shipped policy and of the zero baseline', () => {
    const good = JSON.parse(axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '4', '--randomize', '--seed', '5', '--json').lastLine);
    expect(good).toMatchObject({ command: 'eval', robot: 'cartpole', episodes: 4, seed: 5 });
    expect(good.success_rate).toBe(1);
    const zero = JSON.parse(axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '4', '--randomize', '--seed', '5', '--zero-policy', '--json').lastLine);
    expect(zero.success_rate).toBe(0);
    expect(zero.mean_return).toBeLessThan(good.mean_return);
  });

  it('inspect shows the observation layout, the ONNX inputs/outputs and the robot check', () => {
    const r = axon('inspect', policy);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('input  obs float32 [batch, 4]');
    expect(r.stdout).toContain('output action float32 [batch, 1]');
    expect(r.stdout).toContain('check against cartpole: ok');
  });

  it('manifest from-isaaclab writes a manifest from env.yaml; a model that does not fit is refused with a diff, exit 2', () => {
    const joints = ['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint', 'FL_thigh_joint', 'FR_thigh_joint', 'RL_thigh_joint', 'RR_thigh_joint', 'FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];
    const r = axon('manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-env.yaml', '--joints', joints.join(','));
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.control_hz).toBe(50);
    const bad = axon('manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-env.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--joints');
    const dir = mkdtempSync(join(tmpdir(), 'axon-cli-'));
    cpSync(policy, dir, { recursive: true });
    const man = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    man.joints = ['slider', 'pole_hinge'];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(man));
    const refused = axon('inspect', dir, '--robot', 'cartpole');
    expect(refused.code).toBe(1); // a check that failed, with its report; 2 is kept for bad input
    expect(refused.stderr).toContain('does not fit robot "cartpole"');
    expect(refused.stdout).toContain('model pole_hinge | robot no such joint');
  });

  it('eval --shard K/N slices cover every episode once and eval merge equals the local summary; --workers 2 too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shards-'));
    const common = ['eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '7', '--randomize', '--seed', '4', '--duration', '1.5', '--json'];
    const local = JSON.parse(axon(...common).lastLine);
    const files = [0, 1, 2].map((k) => join(dir, `shard-${k}.json`));
    files.forEach((f, k) => expect(axon(...common, '--shard', `${k}/3`, '--out', f).code).toBe(0));
    const indices = files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).outcomes.map((o: { index: number }) => o.index)).sort((a: number, b: number) => a - b);
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const merged = JSON.parse(axon('eval', 'merge', ...files, '--json').lastLine);
    expect(merged).toEqual(local);
    const { workers: _w, episodes_per_s: _e, ...parallel } = JSON.parse(axon(...common, '--workers', '2').lastLine);
    expect(parallel).toEqual(local);
    expect(axon(...common, '--shard', '3/3', '--out', files[0]).code).toBe(2);
  });
});
