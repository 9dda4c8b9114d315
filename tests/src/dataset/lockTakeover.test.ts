/**
 * The writer lock's take-over of a stale lock (review R17 F5, F8, F1): two writers meeting one stale
 * lock, a lock from another pid namespace (a container on this host), a lock from an earlier boot,
 * and a lock whose pid now names another process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxonError } from '../../../src/core/errors.ts';
import { lockDataset, lockHooks, type DatasetLock } from '../../../src/dataset/datasetFiles.ts';

const newDir = () => mkdtempSync(join(tmpdir(), 'axon-lock-'));
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
const hasProc = existsSync('/proc/sys/kernel/random/boot_id') && existsSync('/proc/self/ns/pid');
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const pidns = () => readlinkSync('/proc/self/ns/pid');

function busy(f: () => unknown): AxonError {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(AxonError);
    return e as AxonError;
  }
  throw new Error('expected DATASET_BUSY');
}

afterEach(() => {
  lockHooks.beforeTakeover = undefined;
  lockHooks.reclaimWaitMs = undefined;
});

describe('taking over a stale lock is exclusive (R17 F5)', () => {
  it('a second writer that takes the stale lock while the first is taking it over: exactly one holds it', () => {
    const dir = newDir();
    const file = join(dir, '.axon-lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim (killed)' }));
    let second: DatasetLock | AxonError | undefined;
    // The first writer has read the stale lock and judged it stale; the second runs its whole take-over now.
    lockHooks.beforeTakeover = () => {
      lockHooks.beforeTakeover = undefined;
      try {
        second = lockDataset(dir, 'second');
      } catch (e) {
        second = e as AxonError;
      }
    };
    let first: DatasetLock | AxonError;
    try {
      first = lockDataset(dir, 'first');
    } catch (e) {
      first = e as AxonError;
    }
    expect(second).toBeDefined();
    const held = [first, second].filter((x) => !(x instanceof Error)) as DatasetLock[];
    const refused = [first, second].filter((x) => x instanceof Error) as AxonError[];
    expect(held.length, `both writers hold the lock: ${readFileSync(file, 'utf8')}`).toBe(1);
    expect(refused[0].code).toBe('DATASET_BUSY');
    expect(refused[0].message).toContain('(second)');
    expect(JSON.parse(readFileSync(file, 'utf8')).command).toBe('second');
    held[0].release();
    expect(existsSync(file)).toBe(false);
  });
});

describe.skipIf(!hasProc)('a lock is stale only when its writer is gone, told by boot, pid namespace and start time (R17 F8, F1)', () => {
  it('the lock records boot id, pid namespace and start time', () => {
    const dir = newDir();
    const l = lockDataset(dir, 'me');
    const h = JSON.parse(readFileSync(join(dir, '.axon-lock'), 'utf8'));
    expect(h.bootId).toBe(bootId());
    expect(h.pidns).toBe(pidns());
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    expect(h.startTime).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    l.release();
  });

  it('a lock from another pid namespace on this host (a container) is never taken over, though its pid is not running here', () => {
    const dir = newDir();
    const pid = deadPid();
    writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim (in a container)', bootId: bootId(), pidns: 'pid:[1]', startTime: '5' }));
    const e = busy(() => lockDataset(dir, 'x'));
    expect(e.code).toBe('DATASET_BUSY');
    expect(e.message).toContain(`pid ${pid} on ${hostname()}`);
    expect(e.message).toContain('pid namespace pid:[1]');
    expect(e.message).toContain(`remove ${join(dir, '.axon-lock')}`);
  });

  it('a lock from an earlier boot of this host is reclaimed, though its pid now names a live process', () => {
    const dir = newDir();
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim (before the power cut)', bootId: 'another-boot', pidns: pidns(), startTime: '5' }));
      const l = lockDataset(dir, 'x');
      expect(l.note).toMatch(new RegExp(`reclaimed the lock of pid ${sleeper.pid} \\(axon sim \\(before the power cut\\)`));
      l.release();
    } finally {
      sleeper.kill();
    }
  });

  it('a lock whose pid now names another process (another start time), this one included, is reclaimed', () => {
    for (const pid of [process.pid]) {
      const dir = newDir();
      writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim (restarted container)', bootId: bootId(), pidns: pidns(), startTime: '1' }));
      const l = lockDataset(dir, 'x');
      expect(l.note).toContain(`reclaimed the lock of pid ${pid}`);
      l.release();
    }
  });

  it('a lock without a boot id (an older axon), dated before this boot, is reclaimed though its pid is live', () => {
    const dir = newDir();
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), since: '2000-01-01T00:00:00Z', command: 'axon sim (old)' }));
      const l = lockDataset(dir, 'x');
      expect(l.note).toContain(`reclaimed the lock of pid ${sleeper.pid}`);
      l.release();
      // The same lock dated now is a live writer's: refused.
      writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: sleeper.pid, host: hostname(), since: new Date().toISOString(), command: 'axon sim (old)' }));
      expect(busy(() => lockDataset(dir, 'x')).code).toBe('DATASET_BUSY');
    } finally {
      sleeper.kill();
    }
  });

  it('a live writer of this boot and namespace keeps its lock (this process included)', () => {
    const dir = newDir();
    const l = lockDataset(dir, 'first');
    expect(busy(() => lockDataset(dir, 'second')).message).toContain('(first)');
    l.release();
  });
});

describe.skipIf(!hasProc)('a writer that died taking over a lock does not block the writers after it (.axon-lock.reclaim)', () => {
  const staleLock = (dir: string) => writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: deadPid(), host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim (killed)', bootId: bootId(), pidns: pidns(), startTime: '5' }));
  const marker = (dir: string, h: Record<string, unknown> | string) => {
    const f = join(dir, '.axon-lock.reclaim');
    writeFileSync(f, typeof h === 'string' ? h : JSON.stringify({ host: hostname(), since: new Date().toISOString(), command: 'axon eval (taking over)', bootId: bootId(), pidns: pidns(), ...h }));
    return f;
  };

  it('a marker whose writer is gone (its pid not running), made a moment ago, is removed at once and the stale lock taken', () => {
    const dir = newDir();
    // A marker a killed writer (SIGKILL inside its take-over) left, a moment ago.
    const pid = deadPid();
    staleLock(dir);
    const f = marker(dir, { pid, startTime: '7' });
    lockHooks.reclaimWaitMs = 200;
    const l = lockDataset(dir, 'third');
    expect(l.note).toContain('reclaimed the lock of pid');
    expect(existsSync(f)).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, '.axon-lock'), 'utf8')).command).toBe('third');
    l.release();
  });

  it('a marker from an earlier boot is stale though its pid now names a live process; one that names no writer is stale once its mtime is 5 s from now either way (a clock set back after a power cut)', () => {
    const sleeper = spawn('sleep', ['30']);
    try {
      lockHooks.reclaimWaitMs = 200;
      const dir = newDir();
      staleLock(dir);
      marker(dir, { pid: sleeper.pid, bootId: 'another-boot', startTime: '5' });
      lockDataset(dir, 'x').release();
      // An empty marker (an older axon's, or one a power cut left unwritten) dated an hour ahead of this clock.
      staleLock(dir);
      const f = marker(dir, '');
      const ahead = new Date(Date.now() + 3600_000);
      utimesSync(f, ahead, ahead);
      lockDataset(dir, 'y').release();
      expect(existsSync(f)).toBe(false);
    } finally {
      sleeper.kill();
    }
  });

  it('a live writer\'s marker is left alone: after the wait the writer is refused, DATASET_BUSY naming the marker and its writer', () => {
    const dir = newDir();
    staleLock(dir);
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const f = marker(dir, { pid: process.pid, startTime: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19], command: 'axon eval (live)' });
    lockHooks.reclaimWaitMs = 100;
    const e = busy(() => lockDataset(dir, 'x'));
    expect(e.code).toBe('DATASET_BUSY');
    expect(e.message).toContain(`is being taken over by pid ${process.pid}`);
    expect(e.message).toContain('(axon eval (live))');
    expect(e.message).toContain(f);
    expect(existsSync(f)).toBe(true);
  });

  it("another pid namespace's marker is left alone while fresh, and is stale 5 s after its mtime", () => {
    const dir = newDir();
    staleLock(dir);
    const f = marker(dir, { pid: deadPid(), pidns: 'pid:[1]', startTime: '5' });
    lockHooks.reclaimWaitMs = 100;
    expect(busy(() => lockDataset(dir, 'x')).message).toContain('is being taken over');
    const past = new Date(Date.now() - 10_000);
    utimesSync(f, past, past);
    lockDataset(dir, 'x').release();
    expect(existsSync(f)).toBe(false);
  });
});
