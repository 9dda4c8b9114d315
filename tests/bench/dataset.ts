/**
 * What recording into a LeRobotDataset costs (`npm run bench` calls benchDataset(); also
 * `npx tsx tests/bench/dataset.ts [rounds]`):
 *
 * 1. export rate: frames per second through DatasetStore (encode + write + metadata) for
 *    humanoid-sized frames (16 joints: state 32, imu 10, action 16), 1000-frame episodes.
 * 2. the loop's period error with --dataset on against off, in one process, interleaved: the
 *    humanoid (and the cartpole, whose tick fits well inside 2 ms) in real time at 500 Hz (the humanoid-balance manifest at control_hz 500 with zero
 *    actions: the loop, the physics and the writer are what is timed), two 3 s episodes back to
 *    back per set-up, so that the first episode's save runs in the writer thread while the second
 *    episode's ticks run. Period error p50/p99 over all ticks of the set-up, median over rounds;
 *    then p99 split by where the tick fell in the second episode: within its first W ms (W = the
 *    longest episode save, so with --dataset on the first episode was being saved) or after, in
 *    both set-ups, to tell a save's cost from the rest of the writer's.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSimSession, runEpisode } from '../../src/cli/wiring.ts';
import { DatasetStore, DatasetWriter, provenance, runFeatures } from '../../src/dataset/index.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

export async function benchExportRate(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-ds-'));
  const joints = Array.from({ length: 16 }, (_, i) => `j${i}`);
  const features = runFeatures({ joints, imu: true, task: true });
  const store = await DatasetStore.open(join(dir, 'ds'), { robotType: 'bench', fps: 50, features, provenance: { axon_version: '0', robot: 'bench', robot_spec_sha256: '', period_s: 0.02, robot_spec: {} } });
  const n = 1000, episodes = 6;
  const mk = (k: number) => Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.001));
  const t0 = performance.now();
  for (let e = 0; e < episodes; e++)
    store.writeEpisode({ length: n, task: 't', columns: { 'observation.state': mk(32), 'observation.imu': mk(10), action: mk(16), 'next.reward': mk(1), 'next.done': new Uint8Array(n), 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } });
  const s = (performance.now() - t0) / 1000;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const rate = (n * episodes) / s;
  line('dataset export rate (humanoid-sized frames)', `${Math.round(rate)} frames/s (${episodes} episodes of ${n}, ${((s / episodes) * 1000).toFixed(0)} ms per episode save)`);
  return rate;
}

export async function benchDatasetLoop(robot: 'humanoid' | 'cartpole', rounds = 3): Promise<{ off: { p50: number; p99: number }; on: { p50: number; p99: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-dsloop-'));
  const model = join(dir, `${robot}-500`);
  cpSync(robot === 'humanoid' ? 'models/humanoid-balance' : 'models/cartpole-balance', model, { recursive: true });
  const mf = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  mf.control_hz = 500;
  writeFileSync(join(model, 'manifest.json'), JSON.stringify(mf));
  const res: Record<'off' | 'on', { p50: number[]; p99: number[]; compute: number[] }> = { off: { p50: [], p99: [], compute: [] }, on: { p50: [], p99: [], compute: [] } };
  // The second episode's ticks: [seconds since the episode's first tick, period error µs], per set-up, all rounds.
  const second: Record<'off' | 'on', [number, number][]> = { off: [], on: [] };
  let saveMs = 0;
  for (let r = 0; r < rounds; r++)
    for (const mode of ['off', 'on'] as const) {
      const s = await openSimSession({ robot, policy: model, physicsHz: 500, zeroPolicy: true });
      const writer = mode === 'on' ? await DatasetWriter.open({ dir: join(dir, `ds-${r}`), spec: s.robot.spec, fps: 500, task: 'bench', scored: true, provenance: provenance({ spec: s.robot.spec, period: s.period, source: 'bench' }) }) : undefined;
      const errs: number[] = [];
      const compute: number[] = [];
      try {
        for (let e = 0; e < 2; e++) {
          let t0 = NaN;
          const out = await runEpisode(s, { seed: e + 1, randomize: false, durationS: 3, realtime: true, continueAfterTerminate: true }, (loop) => {
            writer?.attach(loop);
            loop.records$.subscribe((rec) => {
              errs.push(Math.abs(rec.lateness) * 1e6);
              if (Number.isNaN(t0)) t0 = rec.time;
              if (e === 1) second[mode].push([rec.time - t0, Math.abs(rec.lateness) * 1e6]);
              let c = 0;
              for (let i = 0; i < rec.stageS.length; i++) c += rec.stageS[i];
              compute.push(c * 1e6);
            });
          });
          writer?.endEpisode({ success: out.success, seed: e + 1 });
        }
        if (writer) saveMs = Math.max(saveMs, (await writer.close()).save_ms.max);
      } finally {
        await writer?.close();
        await s.close();
      }
      errs.sort((a, b) => a - b);
      res[mode].p50.push(errs[Math.floor(errs.length * 0.5)]);
      res[mode].p99.push(errs[Math.floor(errs.length * 0.99)]);
      compute.sort((a, b) => a - b);
      res[mode].compute.push(compute[Math.floor(compute.length * 0.5)]);
    }
  rmSync(dir, { recursive: true, force: true });
  const out = { off: { p50: Math.round(median(res.off.p50)), p99: Math.round(median(res.off.p99)) }, on: { p50: Math.round(median(res.on.p50)), p99: Math.round(median(res.on.p99)) } };
  line(`${robot} 500 Hz real time, period error µs`, `--dataset off p50 ${out.off.p50} p99 ${out.off.p99} | on p50 ${out.on.p50} p99 ${out.on.p99} (median of ${rounds} rounds; tick compute p50 ${Math.round(median(res.off.compute))} / ${Math.round(median(res.on.compute))} µs; episode save ${saveMs.toFixed(0)} ms max, in the writer thread)`);
  const w = saveMs / 1000;
  const p99 = (a: number[]) => (a.length === 0 ? NaN : Math.round([...a].sort((x, y) => x - y)[Math.floor(a.length * 0.99)]));
  const split = (m: 'off' | 'on') => {
    const d = second[m], inside = d.filter(([t]) => t < w).map(([, v]) => v), after = d.filter(([t]) => t >= w).map(([, v]) => v);
    return `${p99(inside)} (${inside.length} ticks) | ${p99(after)} (${after.length})`;
  };
  line(`${robot} episode 2, p99 first ${saveMs.toFixed(0)} ms | after`, `--dataset off ${split('off')}; on ${split('on')} (all rounds pooled)`);
  return out;
}

export async function benchDataset(rounds = 3): Promise<void> {
  await benchExportRate();
  await benchDatasetLoop('humanoid', rounds);
  await benchDatasetLoop('cartpole', rounds);
}

if (process.argv[1]?.endsWith('dataset.ts')) await benchDataset(Number(process.argv[2] ?? 3));
