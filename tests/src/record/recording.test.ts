import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording, comparePolicy, recordingSummary, topics } from '../../../src/record/index.ts';
import { loadModelFolder, validateManifest } from '../../../src/model/manifest.ts';
import { loadPolicy } from '../../../src/policy/loadPolicy.ts';
import type { Policy } from '../../../src/policy/Policy.ts';
import { recordRun, type RecordedRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-'));
const file = join(dir, 'run.mcap');
const folder = loadModelFolder('models/cartpole-balance');

describe('MCAP recording of a run', () => {
  let run: RecordedRun;
  beforeAll(async () => {
    // 6 s at 50 Hz = 300 ticks; e-stop at tick 200 so that safety events are in the file.
    run = await recordRun(file, 6, { chunkSeconds: 0.5, estopAtSeq: 200 });
  });

  it('reads back every tick, in order, with the values the loop had', async () => {
    expect(run.summary).toMatchObject({ ticks: 300, dropped: 0, compression: 'zstd' });
    expect(run.summary.chunks).toBeGreaterThan(5);
    const r = await readRecording(file);
    expect(r.warnings).toEqual([]);
    expect(r.truncated).toBe(false);
    expect(r.compression).toEqual(['zstd']);
    expect(r.ticks.map((t) => t.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const [i, t] of r.ticks.entries()) {
      expect(Array.from(t.observation.jointPosition)).toEqual(run.seen[i].pos.map(Math.fround));
      expect(Array.from(t.sent.target)).toEqual(run.seen[i].sent);
    }
    for (const topic of [topics.observation, topics.jointStates, topics.policy, topics.proposed, topics.sent, topics.tick]) expect(r.channels[topic]).toBe(300);
    expect(r.spec?.name).toBe('cartpole');
    expect(r.spec?.joints[1].upper).toBe(Infinity); // continuous hinge: ±Infinity survive the metadata
    expect((r.manifest as { name: string }).name).toBe('cartpole-balance');
    expect(r.run).toMatchObject({ command: 'sim', robot: 'cartpole', period_s: 0.02 });
  });

  it('keeps the safety events, and the safety state per tick', async () => {
    const r = await readRecording(file);
    const estop = r.events.find((e) => e.kind === 'estop');
    expect(estop).toMatchObject({ seq: 200, state: 'e-stopped', reason: 'test e-stop' });
    expect(r.ticks[199].safetyState).toBe('running');
    expect(r.ticks[201].safetyState).toBe('e-stopped');
    const s = recordingSummary(r);
    expect(s).toMatchObject({ ticks: 300, gaps: 0, first_seq: 0, last_seq: 299, truncated: false, safety: { final_state: 'e-stopped' } });
    expect(s.safety.events.estop).toBe(1);
  });

  it('replays the same policy with zero difference, and a changed one with a non-zero difference', async () => {
    const r = await readRecording(file);
    const same = await loadPolicy(folder);
    const d0 = await comparePolicy(r, folder.manifest, same);
    await same.close();
    expect(d0.ticks).toBe(300);
    expect(d0.max).toBe(0);
    expect(d0.joints.map((j) => j.joint)).toEqual(['slider', 'hinge']);

    // The same network with its action scale halved: a "new model" whose commands differ.
    const changed = validateManifest({ ...folder.manifest, action: { ...folder.manifest.action, scale: 10 } });
    const p = await loadPolicy({ ...folder, manifest: changed });
    const d1 = await comparePolicy(r, changed, p);
    await p.close();
    expect(d1.joints[0].max).toBeGreaterThan(0.01);
    expect(d1.joints[0].mean).toBeGreaterThan(0);
    expect(d1.joints[1].max).toBe(0); // the passive hinge is commanded by neither

    const zero = await loadPolicy(folder, { zero: true });
    const d2 = await comparePolicy(r, folder.manifest, zero as Policy);
    expect(d2.max).toBeGreaterThan(0);
  });

  it('reads a truncated file up to its last complete chunk, with a clear warning', async () => {
    const bytes = readFileSync(file);
    const cut = join(dir, 'cut.mcap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.byteLength * 0.6)));
    const r = await readRecording(cut);
    expect(r.truncated).toBe(true);
    expect(r.warnings[0]).toMatch(/ends without its MCAP footer.*last complete chunk/);
    expect(r.ticks.length).toBeGreaterThan(50);
    expect(r.ticks.length).toBeLessThan(300);
    expect(r.ticks.map((t) => t.seq)).toEqual(Array.from({ length: r.ticks.length }, (_, i) => i));
  });

  it('records what the world-model hook reported on each tick (monitor surprise)', async () => {
    const file = join(dir, 'wm.mcap');
    const { seen } = await recordRun(file, 1, { worldModel: { dir: 'models/cartpole-wm', mode: 'monitor', planner: 'mppi', plan: {}, shield: {}, monitor: {} } });
    const r = await readRecording(file);
    expect(r.ticks).toHaveLength(seen.length);
    const withSurprise = r.ticks.filter((t) => Number.isFinite(t.worldModel?.surprise));
    expect(withSurprise.length).toBeGreaterThan(seen.length / 2);
    r.ticks.forEach((t, i) => {
      if (Number.isFinite(seen[i].surprise)) expect(t.worldModel!.surprise).toBeCloseTo(seen[i].surprise!, 9);
    });
  });

  it('records the shield’s predicted trajectory of each command sent (vetoed or not), from the state the tick saw', async () => {
    const file = join(dir, 'shield.mcap');
    // A noisy policy, so that the shield vetoes: the recorded row is then the alternative it sent.
    const { seen } = await recordRun(file, 2, { traceRows: 1, actionNoise: 0.6, worldModel: { dir: 'models/cartpole-wm', mode: 'shield', planner: 'mppi', plan: {}, shield: {}, monitor: {} } });
    const r = await readRecording(file);
    expect(r.ticks).toHaveLength(seen.length);
    const wm = r.worldModel!;
    expect(wm).toMatchObject({ mode: 'shield', horizon: 10, dt: 0.02, stateSize: 4 });
    expect(r.worldModelManifest).toMatchObject({ name: 'cartpole-wm', kind: 'world-model' });
    const vetoed = r.ticks.filter((t) => t.worldModel!.vetoed).length;
    expect(vetoed).toBeGreaterThan(10);
    expect(wm.stateNames).toEqual(['joint_pos.slider', 'joint_pos.hinge', 'joint_vel.slider', 'joint_vel.hinge']);
    expect(wm.jointSlots.map((j) => j.slot)).toEqual([0, 1]);
    expect(r.channels[topics.worldModel]).toBe(r.ticks.length);
    const S = wm.stateNames.length;
    const oneStep: number[] = [];
    r.ticks.forEach((t, i) => {
      const p = t.predicted!;
      expect(p.points).toBe(11); // start + 10 steps
      expect(p.states).toHaveLength(11 * S);
      // The start is the state the tick built: joint positions and velocities as observed.
      const o = t.observation;
      [o.jointPosition[0], o.jointPosition[1], o.jointVelocity[0], o.jointVelocity[1]].forEach((v, k) => expect(p.states[k]).toBeCloseTo(v, 5));
      expect(p.cost).toBe(t.worldModel!.cost);
      // Its first predicted step against what the next tick observed (the command sent was this row's first action).
      const n = r.ticks[i + 1]?.observation;
      if (n && t.sent.mode === r.ticks[0].sent.mode) oneStep.push(Math.abs(p.states[S + 1] - n.jointPosition[1]));
    });
    oneStep.sort((a, b) => a - b);
    // rad: the model's one-step error (measured here: median 2.6e-5, max 9.6e-5 over 99 ticks, 63 of them vetoed)
    expect(oneStep[Math.floor(oneStep.length / 2)]).toBeLessThan(2e-4);
    expect(oneStep.at(-1)!).toBeLessThan(1e-3);
    const s = recordingSummary(r);
    expect(s.world_model).toMatchObject({ mode: 'shield', horizon: 10, predicted_ticks: r.ticks.length });
  });

  it('refuses a file that is not MCAP with a named error', async () => {
    const bad = join(dir, 'bad.mcap');
    writeFileSync(bad, 'not an mcap file at all');
    await expect(readRecording(bad)).rejects.toMatchObject({ code: 'RECORD_READ' });
    await expect(readRecording(join(dir, 'missing.mcap'))).rejects.toMatchObject({ code: 'RECORD_READ' });
  });

  it('drops (and counts) ticks rather than waiting when the ring is too small to keep up', async () => {
    const small = join(dir, 'small.mcap');
    const { summary } = await recordRun(small, 20, { capacity: 4 });
    expect(summary.ticks).toBe(1000);
    const r = await readRecording(small);
    expect(r.ticks.length).toBe(1000 - summary.dropped);
    const seqs = r.ticks.map((t) => t.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('a killed run leaves a file readable up to its last chunk', async () => {
    const killed = join(dir, 'killed.mcap');
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/src/record/recordRun.ts', killed, '600'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => resolve());
      child.on('exit', (c) => reject(new Error(`recorder script exited early (${c})`)));
    });
    // Wait until a few chunks are on disk, then SIGKILL: no close(), no footer.
    const t0 = Date.now();
    while ((statSync(killed, { throwIfNoEntry: false })?.size ?? 0) < 60_000 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await readRecording(killed);
    expect(r.truncated).toBe(true);
    expect(r.ticks.length).toBeGreaterThan(20);
    expect(r.ticks.map((t) => t.seq)).toEqual(Array.from({ length: r.ticks.length }, (_, i) => i));
  });
});

describe('recordedSpec', () => {
  it("drops sensors.baseCom when the file kept no centre of mass (a dataset), so a model that reads it is refused, not fed undefined", async () => {
    const { recordedSpec } = await import('../../../src/record/index.ts');
    const spec = { name: 'r', joints: [], sensors: { imu: false, contacts: [], baseVelocity: true, baseCom: true }, controlModes: ['position' as const] };
    const base = { position: new Float32Array(3), orientation: Float32Array.of(0, 0, 0, 1), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3) };
    const rec = (b: object) => ({ file: 'x', spec, ticks: [{ observation: { base: b } }] }) as unknown as Parameters<typeof recordedSpec>[0];
    expect(recordedSpec(rec(base)).sensors.baseCom).toBe(false);
    expect(recordedSpec(rec({ ...base, comPosition: new Float32Array(3), comLinearVelocity: new Float32Array(3) })).sensors.baseCom).toBe(true);
  });
});
