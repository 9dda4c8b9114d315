import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { attachRecorder, prepareRecorderThread, readRecording } from '../../../src/record/index.ts';
import { closeIdleRecorderThreads, recorderThreadsStarted } from '../../../src/record/writerThreads.ts';
import type { TickRecord } from '../../../src/loop/TickRecord.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { recordRun } from './recordRun.ts';

// Counts, on this (the loop's) thread, every zstd compression and every MCAP writer made. The
// recorder's writer thread loads its own copies of these modules, which vi.mock does not reach.
const onThisThread = vi.hoisted(() => ({ compress: 0, writers: 0 }));
vi.mock('@foxglove/wasm-zstd', async (importOriginal) => {
  const m = (await importOriginal()) as { default?: Record<string, unknown> } & Record<string, unknown>;
  const z = (m.default ?? m) as { compress(b: Uint8Array, level?: number): Uint8Array } & Record<string, unknown>;
  const counted = { ...z, isLoaded: z.isLoaded, decompress: z.decompress, compress: (b: Uint8Array, level?: number) => (onThisThread.compress++, z.compress(b, level)) };
  return { ...counted, default: counted };
});
vi.mock('@mcap/core', async (importOriginal) => {
  const m = (await importOriginal()) as typeof import('@mcap/core');
  class CountedWriter extends m.McapWriter {
    constructor(...a: ConstructorParameters<typeof m.McapWriter>) {
      super(...a);
      onThisThread.writers++;
    }
  }
  return { ...m, McapWriter: CountedWriter };
});

const dir = mkdtempSync(join(tmpdir(), 'axon-rec-thread-'));

describe('the recorder encodes, compresses and writes on its own thread', () => {
  it('writes a zstd recording of every tick while this thread compresses nothing and makes no MCAP writer', async () => {
    const file = join(dir, 'thread.mcap');
    const { summary, seen } = await recordRun(file, 3, { chunkSeconds: 0.2 });
    expect(summary).toMatchObject({ ticks: 150, received: 150, written: 150, dropped: 0, compression: 'zstd' });
    expect(summary.chunks).toBeGreaterThan(5);
    const r = await readRecording(file);
    expect(r.compression).toEqual(['zstd']);
    expect(r.ticks.map((t) => t.seq)).toEqual(seen.map((s) => s.seq));
    expect(onThisThread).toEqual({ compress: 0, writers: 0 });
  });

  it.runIf(existsSync('/proc/thread-self'))('on Linux the writer thread (and the threads it starts) run at nice +5, the loop’s thread stays at 0', async () => {
    const niceOf = (tid: string) => {
      const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const niced = () => readdirSync('/proc/self/task').filter((t) => niceOf(t) === 5);
    await closeIdleRecorderThreads(); // the previous test's thread, idle
    for (let i = 0; i < 100 && niced().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(niced()).toEqual([]);
    const records$ = new Subject<TickRecord>();
    const rec = attachRecorder({ records$ }, { spec: { name: 'x', joints: [] } as unknown as RobotSpec, period: 0.02 }, join(dir, 'nice.mcap'));
    for (let i = 0; i < 300 && niced().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(niced().length).toBeGreaterThan(0);
    expect(niceOf(String(process.pid))).toBe(0);
    await rec.close();
    expect(niced().length).toBeGreaterThan(0); // handed back, idle (still niced), for the next recording
    await closeIdleRecorderThreads();
    for (let i = 0; i < 100 && niced().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(niced()).toEqual([]);
  });

  it('a writer thread prepared ahead boots before the run, and the next recording uses it (one thread, idle after)', async () => {
    const niceOf = (tid: string) => {
      const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const threads = () => readdirSync('/proc/self/task');
    await closeIdleRecorderThreads();
    const linux = existsSync('/proc/thread-self');
    if (linux) for (let i = 0; i < 100 && threads().some((t) => niceOf(t) === 5); i++) await new Promise((r) => setTimeout(r, 50));
    const before = threads().length;
    const started = recorderThreadsStarted();
    prepareRecorderThread();
    prepareRecorderThread(); // idempotent: one spare
    if (linux) for (let i = 0; i < 300 && !threads().some((t) => niceOf(t) === 5); i++) await new Promise((r) => setTimeout(r, 50));
    const booted = threads().length;
    const file = join(dir, 'prepared.mcap');
    const { summary, seen } = await recordRun(file, 1, { chunkSeconds: 0.2 });
    expect(summary).toMatchObject({ ticks: 50, written: 50, dropped: 0, compression: 'zstd' });
    const r = await readRecording(file);
    expect(r.ticks.map((t) => t.seq)).toEqual(seen.map((s) => s.seq));
    expect(onThisThread).toEqual({ compress: 0, writers: 0 });
    expect(recorderThreadsStarted() - started).toBe(1);
    if (linux) {
      expect(booted).toBeGreaterThan(before); // the spare and the threads it started ran before the recording
      await closeIdleRecorderThreads();
      for (let i = 0; i < 100 && threads().length > before; i++) await new Promise((r) => setTimeout(r, 50));
      expect(threads().length).toBe(before);
    }
  });

  it('a bad path fails at attach, synchronously, with RECORD_FILE', () => {
    const records$ = new Subject<TickRecord>();
    const spec = { name: 'x', joints: [] } as unknown as RobotSpec;
    expect(() => attachRecorder({ records$ }, { spec, period: 0.02 }, join(dir, 'no-such-dir', 'x.mcap'))).toThrow(expect.objectContaining({ code: 'RECORD_FILE' }));
  });

  it("a write failure on the writer thread comes back in close()'s summary (error), not as a rejection", async () => {
    // /dev/full opens, and every write to it fails with ENOSPC (recordingFailure.test.ts: mid-run).
    const { summary } = await recordRun('/dev/full', 1, { chunkSeconds: 0.2 });
    expect(summary).toMatchObject({ written: 0, error: expect.stringMatching(/ENOSPC/) });
  });

  it('close() resolves with the error (never hangs) when the writer thread has died', async () => {
    const { summary } = await recordRun(join(dir, 'died.mcap'), 1, { testFault: 'exit' });
    expect(summary).toMatchObject({ ticks: 50, written: 0, dropped: 50, error: expect.stringMatching(/writer thread exited/) });
  });

  it('close() gives up on a writer thread that stops answering, after closeTimeoutMs, with the error in its summary', async () => {
    const { summary } = await recordRun(join(dir, 'hung.mcap'), 1, { testFault: 'hang', closeTimeoutMs: 300 });
    expect(summary).toMatchObject({ ticks: 50, written: 0, dropped: 50, error: expect.stringMatching(/did not finish within 300 ms/) });
  });
});
