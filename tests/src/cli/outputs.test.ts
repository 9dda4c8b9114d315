/**
 * RunOutputs (src/cli/outputs.ts): what `sim` and `run` attach beside their loop (recorder,
 * viewer, dataset), ended and closed in one order, with real recorder and viewer and a dataset
 * writer that logs its calls.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { createSimRobot } from '../../../sim/index.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import { LoopStats } from '../../../src/loop/LoopStats.ts';
import { stageNames, type TickRecord } from '../../../src/loop/TickRecord.ts';
import { VelocityCommand } from '../../../src/loop/VelocityCommand.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { readRecording } from '../../../src/record/index.ts';
import type { DatasetSummary, DatasetWriter } from '../../../src/dataset/index.ts';
import { RunOutputs, type LoopOutputs } from '../../../src/cli/outputs.ts';
import { openSimSession, runEpisode } from '../../../src/cli/wiring.ts';

const spec = createSimRobot('pendulum').spec;
const manifest = loadModelFolder('models/pendulum-wm').manifest;

function loop() {
  return { records$: new Subject<TickRecord>(), stats: new LoopStats(stageNames, 16), stop: vi.fn() };
}

function parts(over: Partial<LoopOutputs> = {}): LoopOutputs {
  return {
    manifest,
    safety: { state: 'running', events$: new Subject<SafetyEvent>(), estop: () => {}, reset: () => {} },
    command: VelocityCommand.forManifest(manifest),
    recording: () => ({ spec, period: 0.02, run: { command: 'test' } }),
    view: () => ({ robot: { spec } }),
    ...over,
  };
}

/** A dataset writer that logs its calls; `dropped` frames in its summary. */
function fakeDataset(calls: string[], dropped = 0) {
  const summary = { dir: 'ds', frames_received: 10, frames_written: 10 - dropped, frames_dropped: dropped, episodes_dropped: dropped ? 1 : 0, errors: [] } as unknown as DatasetSummary;
  const writer = {
    attach: (_l: unknown, o: unknown) => calls.push(`dataset.attach ${JSON.stringify(o)}`),
    endEpisode: (m: unknown) => calls.push(`dataset.endEpisode ${JSON.stringify(m)}`),
    close: async () => {
      calls.push('dataset.close');
      return summary;
    },
  };
  return { writer: writer as unknown as DatasetWriter, summary };
}

const tmp = () => join(mkdtempSync(join(tmpdir(), 'axon-outputs-')), 'run.mcap');

let busy: Server | undefined;
afterEach(async () => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
  busy = undefined;
});

describe('RunOutputs', () => {
  it('attaches the dataset with its split rule; finish() writes the episode into the recording, then ends and saves the dataset', async () => {
    const calls: string[] = [];
    const { writer, summary } = fakeDataset(calls);
    const file = tmp();
    const out = new RunOutputs({ record: file, view: false, viewPort: 0, json: true }, writer);
    out.attach(loop(), parts({ datasetSplitAt: { armCount: 0 } }));
    expect(calls).toEqual(['dataset.attach {"splitAt":{"armCount":0}}']);
    const episode = { success: true, seed: 7, randomization: { mass: 1.1 } };
    const r = await out.finish(episode);
    expect(calls.slice(1)).toEqual([`dataset.endEpisode ${JSON.stringify(episode)}`, 'dataset.close']);
    expect(r.dataset).toBe(summary);
    expect(r.record?.file).toBe(file);
    const rec = await readRecording(file);
    expect(rec.episode).toEqual(episode);
    await out.close(); // idempotent after finish()
  });

  it('a viewer that cannot listen stops the loop; close() still closes the recorder and the dataset, then rethrows', async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy!.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const calls: string[] = [];
    const { writer } = fakeDataset(calls);
    const file = tmp();
    const l = loop();
    const out = new RunOutputs({ record: file, view: true, viewPort: port, json: true }, writer);
    out.attach(l, parts());
    await vi.waitFor(() => expect(l.stop).toHaveBeenCalled());
    await expect(out.close()).rejects.toThrow();
    expect(calls).toContain('dataset.close');
    expect((await readRecording(file)).truncated).toBe(false);
  });

  it('prints the viewer URL (stderr under --json) and closes the viewer', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => lines.push(String(s)) > 0);
    const out = new RunOutputs({ view: true, viewPort: 0, json: true });
    out.attach(loop(), parts({ view: () => ({ robot: Promise.resolve({ spec }), options: { title: 't' } }) }));
    await vi.waitFor(() => expect(lines.some((x) => /^axon viewer: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(x))).toBe(true));
    await out.close();
  });

  it('reportDrops: a dataset that dropped frames fails the run (exit 4) unless drops are allowed', async () => {
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => errors.push(String(s)) > 0);
    for (const allow of [false, true]) {
      process.exitCode = undefined;
      const out = new RunOutputs({ view: false, viewPort: 0, json: true }, fakeDataset([], 2).writer);
      await out.finish();
      out.reportDrops(allow);
      expect(process.exitCode).toBe(allow ? undefined : 4);
    }
    expect(errors).toEqual([
      'axon: the dataset dropped 2 of 10 frames (1 episodes)\n',
      'axon: the dataset dropped 2 of 10 frames (1 episodes) (allowed by --allow-drops)\n',
    ]);
    const clean = new RunOutputs({ view: false, viewPort: 0, json: true }, fakeDataset([]).writer);
    await clean.finish();
    clean.reportDrops(false);
    expect(process.exitCode).toBeUndefined();
  });

  it('a recording whose writes fail (disk full) says so on stderr during the run; finish() and close() resolve; reportDrops exits 4 even with --allow-drops (review R12 F6)', async () => {
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => errors.push(String(s)) > 0);
    const s = await openSimSession({ robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 });
    const out = new RunOutputs({ record: '/dev/full', view: false, viewPort: 0, json: true });
    let linesBeforeEnd = -1;
    try {
      await runEpisode(s, { seed: 3, randomize: false, durationS: 2, realtime: true, continueAfterTerminate: true }, (loop) => {
        out.attach(loop, parts({ manifest: s.folder.manifest, recording: () => ({ spec: s.robot.spec, period: s.period }) }));
        loop.records$.subscribe((r) => {
          if (r.seq === 99) linesBeforeEnd = errors.length;
        });
      });
    } finally {
      await s.close();
    }
    // /dev/full: the first chunk write fails (ENOSPC); said once, at once, while the loop ran.
    expect(linesBeforeEnd).toBe(1);
    expect(errors[0]).toMatch(/^axon: recording \/dev\/full failed from 0\.\d+ s \(tick \d+\): ENOSPC: no space left on device, write; the run goes on unrecorded\n$/);
    const { record } = await out.finish();
    expect(record).toMatchObject({ file: '/dev/full', ticks: 100, written: 0, dropped: 100, error: expect.stringMatching(/ENOSPC/) });
    await out.close(); // does not throw
    out.reportDrops(true);
    expect(process.exitCode).toBe(4);
    expect(errors.slice(1)).toEqual([`axon: the recording /dev/full failed at ${record!.lost_from_s!.toFixed(3)} s: ENOSPC: no space left on device, write; 0 of 100 ticks are in the file\n`]);
  });
});
