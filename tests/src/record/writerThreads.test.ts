import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecording } from '../../../src/record/index.ts';
import { closeIdleRecorderThreads, idleRecorderThreadForTests, recorderThreadsStarted } from '../../../src/record/writerThreads.ts';
import { recordRun, type RecordedRun } from './recordRun.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-threads-'));

/** The file holds every tick the loop emitted, in order, with its footer (not truncated). */
async function expectComplete(file: string, run: RecordedRun, ticks: number): Promise<void> {
  expect(run.summary).toMatchObject({ file, ticks, written: ticks, dropped: 0, compression: 'zstd' });
  const r = await readRecording(file);
  expect(r.truncated).toBe(false);
  expect(r.warnings).toEqual([]);
  expect(r.compression).toEqual(['zstd']);
  expect(r.ticks.map((t) => t.seq)).toEqual(run.seen.map((s) => s.seq));
  expect(r.ticks.map((t) => Array.from(t.observation.jointPosition))).toEqual(run.seen.map((s) => s.pos));
}

describe('one recorder writer thread per process, reused by its recordings', () => {
  it('two recordings in sequence use one thread, and both files read back complete', async () => {
    await closeIdleRecorderThreads();
    const started = recorderThreadsStarted();
    const a = await recordRun(join(dir, 'a.mcap'), 1, { chunkSeconds: 0.2 });
    const idle = idleRecorderThreadForTests();
    expect(idle).toBeDefined();
    const b = await recordRun(join(dir, 'b.mcap'), 2, { chunkSeconds: 0.2 });
    expect(recorderThreadsStarted() - started).toBe(1);
    expect(idleRecorderThreadForTests()).toBe(idle); // the same thread, handed back again
    await expectComplete(join(dir, 'a.mcap'), a, 50);
    await expectComplete(join(dir, 'b.mcap'), b, 100);
  });

  it('a thread that died after the first recording is replaced for the second', async () => {
    await closeIdleRecorderThreads();
    const started = recorderThreadsStarted();
    const a = await recordRun(join(dir, 'c.mcap'), 1, { chunkSeconds: 0.2 });
    const idle = idleRecorderThreadForTests()!;
    await idle.terminate(); // dies while idle
    expect(idleRecorderThreadForTests()).toBeUndefined();
    const b = await recordRun(join(dir, 'd.mcap'), 1, { chunkSeconds: 0.2 });
    expect(recorderThreadsStarted() - started).toBe(2);
    await expectComplete(join(dir, 'c.mcap'), a, 50);
    await expectComplete(join(dir, 'd.mcap'), b, 50);
  });

  it('after a recording whose thread died, the next one gets a fresh thread and completes', async () => {
    await closeIdleRecorderThreads();
    const started = recorderThreadsStarted();
    expect((await recordRun(join(dir, 'e.mcap'), 1, { testFault: 'exit' })).summary.error).toMatch(/writer thread exited/);
    expect(idleRecorderThreadForTests()).toBeUndefined();
    const b = await recordRun(join(dir, 'f.mcap'), 1, { chunkSeconds: 0.2 });
    expect(recorderThreadsStarted() - started).toBe(2);
    await expectComplete(join(dir, 'f.mcap'), b, 50);
  });

  it('two recordings at once run on two threads; one is kept idle after, and the next recording takes it', async () => {
    await closeIdleRecorderThreads();
    const started = recorderThreadsStarted();
    const [a, b] = await Promise.all([recordRun(join(dir, 'g.mcap'), 1, { chunkSeconds: 0.2 }), recordRun(join(dir, 'h.mcap'), 2, { chunkSeconds: 0.2 })]);
    expect(recorderThreadsStarted() - started).toBe(2);
    await expectComplete(join(dir, 'g.mcap'), a, 50);
    await expectComplete(join(dir, 'h.mcap'), b, 100);
    const c = await recordRun(join(dir, 'i.mcap'), 1, { chunkSeconds: 0.2 });
    expect(recorderThreadsStarted() - started).toBe(2);
    await expectComplete(join(dir, 'i.mcap'), c, 50);
  });

  it('a thread prepared for a recording that never came (a --record run whose robot failed to connect) does not keep the process alive', async () => {
    // A hang guard, not a speed figure: the script ends 1.5 s after preparing the thread; it used to hang for good.
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = execFile(process.execPath, ['tests/src/record/preparedThreadScript.mjs', '1500'], { timeout: 60_000 }, (_e, out) => resolve({ code: p.exitCode, out }));
    });
    expect(r.out.trim()).toBe('done');
    expect(r.code).toBe(0);
  });

  it('an idle writer thread does not keep the process alive: a recording script exits by itself', async () => {
    // A hang guard, not a speed figure: the script would otherwise wait on its idle thread forever.
    const file = join(dir, 'script.mcap');
    const code = await new Promise<number | null>((resolve) => {
      const p = execFile('npx', ['tsx', 'tests/src/record/recordRun.ts', file, '1'], { timeout: 120_000 }, () => {});
      p.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(0);
    const r = await readRecording(file);
    expect(r.truncated).toBe(false);
    expect(r.ticks.length).toBe(50);
  }, 150_000);
});

describe('a writer thread that dies unseen, as it is handed a recording', () => {
  it('before it took the recording: a fresh thread gets it, and the file is complete', async () => {
    await closeIdleRecorderThreads();
    const started = recorderThreadsStarted();
    await recordRun(join(dir, 'warm.mcap'), 1, { chunkSeconds: 0.2 }); // leaves an idle thread
    const idle = idleRecorderThreadForTests();
    expect(idle).toBeDefined();
    const run = await recordRun(join(dir, 'failover.mcap'), 2, { chunkSeconds: 0.2, testFault: 'exitOnOpen' });
    expect(recorderThreadsStarted() - started).toBe(2);
    expect(idleRecorderThreadForTests()).not.toBe(idle);
    await expectComplete(join(dir, 'failover.mcap'), run, 100);
  });

  it("after it took the recording: close()'s summary still says it failed, and the next recording gets a fresh thread", async () => {
    await recordRun(join(dir, 'warm2.mcap'), 1, { chunkSeconds: 0.2 });
    const started = recorderThreadsStarted();
    expect((await recordRun(join(dir, 'died2.mcap'), 1, { testFault: 'exit' })).summary.error).toMatch(/writer thread exited/);
    const run = await recordRun(join(dir, 'after-died.mcap'), 1, { chunkSeconds: 0.2 });
    expect(recorderThreadsStarted() - started).toBe(1);
    await expectComplete(join(dir, 'after-died.mcap'), run, 50);
  });
});
