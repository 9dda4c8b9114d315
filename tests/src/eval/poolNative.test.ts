/**
 * `eval --workers` stopped while a worker thread is blocked in native code (R9 #8). terminate()
 * cannot interrupt it and Node joins every thread at exit, so before, the process printed its
 * summary and then never exited (process.exit() hung too) until a second signal or SIGKILL; the
 * docs said the thread was unref'ed "so it cannot hold the process open". Now the pool counts it
 * (`stuck`) and the CLI ends the process by the signal it got, said on stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe.skipIf(process.platform === 'win32')('eval --workers with a thread blocked in native code', () => {
  it('ends by the signal soon after the summary, naming the stuck thread', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'axon-native-')), 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const p = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/poolNativeChild.ts'], { env: { ...process.env, AXON_TEST_FIFO: fifo }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), 45_000);
    try {
      const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => p.once('exit', (code, signal) => r({ code, signal })));
      expect(end, out).toEqual({ code: null, signal: 'SIGTERM' });
      const r = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!);
      expect(r.stuck).toBeGreaterThanOrEqual(1);
      expect(out).toContain('blocked in native code and cannot be ended');
    } finally {
      clearTimeout(killer);
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      // Unblock any reader left (none once the process is gone).
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader: nothing blocked
      }
    }
  }, 60_000);
});
