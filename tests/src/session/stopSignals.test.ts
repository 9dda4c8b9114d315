/**
 * How a live run ends on process signals (src/session/stopSignals.ts), in a child process
 * (fixtures/signalRun.ts: runLive on a robot whose connect and close can be slow, as a servo bus's
 * can): a second Ctrl-C while the robot closes is absorbed until its safe stop is written; a
 * signal while the robot connects (torque already on) e-stops the loop before it arms; a close
 * that hangs meets the hard exit (CLOSE_BOUND_S, code 1) instead of keeping the process alive.
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLOSE_BOUND_S, EXIT_CLOSE_HUNG } from '../../../src/session/stopSignals.ts';

const FIXTURE = 'tests/src/session/fixtures/signalRun.ts';

interface Child {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => out, err: () => err, exited };
}

async function until(c: Child, line: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!c.out().split('\n').includes(line)) {
    if (Date.now() - t0 > ms || c.proc.exitCode !== null || c.proc.signalCode !== null) throw new Error(`no "${line}" line; stdout:\n${c.out()}\nstderr:\n${c.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const summary = (c: Child) => JSON.parse(c.out().trim().split('\n').at(-1)!);

describe('a live run on process signals', () => {
  it('a second Ctrl-C (and a SIGHUP) while the robot closes is absorbed until its safe stop is written; the run ends by signal, exit 0', async () => {
    const c = start({ CLOSE_MS: '1500' });
    try {
      await until(c, 'armed');
      await new Promise((r) => setTimeout(r, 300)); // a few ticks
      c.proc.kill('SIGINT');
      await until(c, 'closing');
      c.proc.kill('SIGINT');
      c.proc.kill('SIGHUP');
      const end = await c.exited;
      expect(end, c.err()).toEqual({ code: 0, signal: null });
      expect(c.out()).toContain('safe stop written');
      expect(summary(c)).toMatchObject({ endedBy: 'signal', state: 'e-stopped', estops: 1 });
      // One line for the absorbed signals, naming the bound.
      expect(c.err().match(/ignored/g)?.length, c.err()).toBe(1);
      expect(c.err()).toContain(`hard exit after ${CLOSE_BOUND_S} s`);
    } finally {
      c.proc.kill('SIGKILL');
    }
  }, 90_000);

  it('a run that completed its duration is not rewritten by a Ctrl-C that lands while the robot closes: it ended by duration', async () => {
    const c = start({ CLOSE_MS: '1500', DURATION_S: '1' });
    try {
      await until(c, 'closing');
      c.proc.kill('SIGINT');
      const end = await c.exited;
      expect(end, c.err()).toEqual({ code: 0, signal: null });
      expect(c.out()).toContain('safe stop written');
      expect(summary(c)).toMatchObject({ endedBy: 'duration' });
      expect(summary(c).ticks).toBeLessThanOrEqual(50); // 1 s of wall time (--duration is time, review R15 F12)
      expect(summary(c).ticks).toBeGreaterThan(0);
    } finally {
      c.proc.kill('SIGKILL');
    }
  }, 90_000);

  it('SIGHUP (a closed terminal, a dropped SSH session) ends the run as Ctrl-C does: e-stop, robot closed, exit 0', async () => {
    const c = start({});
    try {
      await until(c, 'armed');
      await new Promise((r) => setTimeout(r, 300));
      c.proc.kill('SIGHUP');
      const end = await c.exited;
      expect(end, c.err()).toEqual({ code: 0, signal: null });
      expect(c.out()).toContain('safe stop written');
      expect(summary(c)).toMatchObject({ endedBy: 'signal', state: 'e-stopped' });
    } finally {
      c.proc.kill('SIGKILL');
    }
  }, 90_000);

  it('a signal while the robot connects e-stops the loop before it arms; the robot is closed', async () => {
    const c = start({ CONNECT_MS: '1500' });
    try {
      await until(c, 'connecting');
      c.proc.kill('SIGINT');
      const end = await c.exited;
      expect(end, c.err()).toEqual({ code: 0, signal: null });
      expect(c.out()).toContain('safe stop written');
      const s = summary(c);
      expect(s).toMatchObject({ endedBy: 'signal', state: 'e-stopped', softStarts: 0 });
      expect(s.ticks).toBeLessThanOrEqual(1);
    } finally {
      c.proc.kill('SIGKILL');
    }
  }, 90_000);

  it(`a close that hangs after a signal meets the hard exit: code ${EXIT_CLOSE_HUNG} and a line saying so`, async () => {
    const c = start({ CLOSE_MS: 'hang' });
    try {
      await until(c, 'armed');
      c.proc.kill('SIGTERM');
      await until(c, 'closing');
      const end = await Promise.race([c.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), (CLOSE_BOUND_S + 20) * 1000))]);
      expect(end, c.err()).toEqual({ code: EXIT_CLOSE_HUNG, signal: null });
      expect(c.err()).toContain(`did not close within ${CLOSE_BOUND_S} s of SIGTERM`);
      expect(c.out()).not.toContain('safe stop written');
    } finally {
      c.proc.kill('SIGKILL');
    }
  }, 90_000);
});
