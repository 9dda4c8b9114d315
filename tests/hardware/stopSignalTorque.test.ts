/**
 * `axon run` on an SO-101 (Feetech STS: no bus watchdog) configured `"safe_stop": "torque_off"`,
 * emulated by `axon hw emulate` over TCP, ended by SIGHUP (a closed terminal, a dropped SSH
 * session) or SIGQUIT must leave every servo's Torque Enable (address 40) at 0, written by the
 * robot's close, with the safe_stop line and the summary printed (src/session/stopSignals.ts).
 * Before, either killed the process at once (exit 129 / 131) with the arm torqued. A second
 * signal while closing: tests/src/session/stopSignals.test.ts (a close slow enough to hit).
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeetechBus } from '../../hardware/feetech/FeetechBus.ts';
import { TcpTransport } from '../../hardware/transport/TcpTransport.ts';
import { writeSo101PoseModel } from './helpers/so101Model.ts';
import { CLI, emulate, stopAll, waitFor } from './helpers/spawnCli.ts';

/** The shipped SO-101 follower with safe_stop torque_off, no URDF beside it (as a config copied out of its folder). */
function torqueOffConfig(): string {
  const raw = JSON.parse(readFileSync('hardware/robots/so101-follower.json', 'utf8'));
  delete raw.urdf;
  const file = join(mkdtempSync(join(tmpdir(), 'axon-hup-')), 'so101 torque off.json');
  writeFileSync(file, JSON.stringify({ ...raw, safe_stop: 'torque_off' }, null, 2));
  return file;
}

async function torqueEnable(addr: string): Promise<number[]> {
  const [host, port] = addr.split(':');
  const bus = new FeetechBus(new TcpTransport(host, Number(port), 1_000_000), { replyMarginS: 0.05 });
  await bus.open();
  try {
    const t: number[] = [];
    for (let id = 1; id <= 6; id++) t.push(await bus.readValue(id, 40, 1));
    return t;
  } finally {
    await bus.close();
  }
}

function spawnOut(args: string[]): { p: ChildProcess; out: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const p = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => p.on('exit', (code, signal) => r({ code, signal })));
  return { p, out: () => out, exited };
}

describe('axon run on a torque_off STS arm ended by a signal', () => {
  it.each([
    ['SIGHUP', ['SIGHUP']],
    ['SIGQUIT (Ctrl-\\)', ['SIGQUIT']],
  ] as const)('%s: every servo ends with torque off, the safe stop and the summary are printed, exit 0', async (_name, signals) => {
    const procs: ChildProcess[] = [];
    try {
      const config = torqueOffConfig();
      const { addr } = await emulate(procs, '--protocol', 'feetech', '--config', config);
      const policy = writeSo101PoseModel([0.2, 0, 0, 0, 0, 0]);
      const run = spawnOut(['run', '--config', config, '--policy', policy, '--port', `tcp://${addr}`, '--duration', '60']);
      procs.push(run.p);
      // A run that ends before arming (a connect failing on a loaded host) fails here with its output.
      await waitFor(() => {
        if (run.out().includes('[hw] armed: torque on')) return true;
        if (run.p.exitCode !== null || run.p.signalCode !== null) throw new Error(`axon run ended before arming (${run.p.exitCode ?? run.p.signalCode}):\n${run.out()}`);
        return undefined;
      }, 60_000);
      await new Promise((r) => setTimeout(r, 500)); // some ticks with torque on
      for (const s of signals) run.p.kill(s);
      const end = await run.exited;
      expect(end, run.out()).toEqual({ code: 0, signal: null });
      expect(run.out()).toMatch(/\[hw\] safe_stop: robot closed: torque off on all 6 servos/);
      expect(run.out()).toMatch(/safety: e-stopped, events:/);
      expect(await torqueEnable(addr)).toEqual([0, 0, 0, 0, 0, 0]);
    } finally {
      stopAll(procs, 'SIGKILL');
    }
  }, 150_000);
});
