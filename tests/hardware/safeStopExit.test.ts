/**
 * A live run that ends held in a safe stop its supervisor latched by itself is a failed run
 * (src/cli/exitCodes.ts EXIT_SAFE_STOPPED, docs/safety.md "How a run ends"): `axon run` on the
 * emulated arm6 bus, through a TCP link that drops everything for 0.5 s mid-run (fewer cycles than
 * silent_bus_cycles, so no robot fault): the observation goes stale, the supervisor safe-stops and
 * holds the arm to the end. The run must say `ended_by: "safe_stop"` with the reason and exit 5,
 * not `duration` and 0. The same rule on a local `axon sim`: the world-model monitor's surprise
 * stop after a motor fault.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_SAFE_STOPPED } from '../../src/cli/exitCodes.ts';
import { writeConstantPoseModel } from './helpers/armModel.ts';
import { emulate, stopAll } from './helpers/spawnCli.ts';

const ARM = 'hardware/robots/arm6-xm430.json';

function armConfig(over: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-safestop-'));
  const file = join(dir, 'arm.json');
  const raw = JSON.parse(readFileSync(ARM, 'utf8'));
  delete raw.urdf;
  writeFileSync(file, JSON.stringify({ ...raw, ...over }));
  return file;
}

/**
 * A TCP link between the run and the emulator that loses every byte, both ways, while `dropping`.
 * `commanding` is set at the first Dynamixel Sync Write (instruction 0x83 to the broadcast id):
 * the loop has armed and sends goals.
 */
async function lossyLink(target: number): Promise<{ server: Server; port: number; sockets: Socket[]; state: { dropping: boolean; commanding?: () => void } }> {
  const sockets: Socket[] = [];
  const state: { dropping: boolean; commanding?: () => void } = { dropping: false };
  const server = createServer((client) => {
    const up = connect(target, '127.0.0.1');
    sockets.push(client, up);
    client.on('error', () => {});
    up.on('error', () => {});
    client.on('data', (d: Buffer) => {
      for (let i = 0; i + 7 < d.length; i++) if (d[i] === 0xff && d[i + 1] === 0xff && d[i + 2] === 0xfd && d[i + 4] === 0xfe && d[i + 7] === 0x83) state.commanding?.();
      if (!state.dropping) up.write(d);
    });
    up.on('data', (d: Buffer) => {
      if (!state.dropping) client.write(d);
    });
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, sockets, state };
}

describe('a live run held in the supervisor\'s own safe stop', () => {
  it('CLI: axon run with a 0.5 s bus dropout (no fault) ends by safe_stop, names the stale observation, and exits 5', async () => {
    const procs: ChildProcess[] = [];
    let run: ChildProcess | undefined;
    let link: Awaited<ReturnType<typeof lossyLink>> | undefined;
    try {
      const { addr } = await emulate(procs, '--config', ARM);
      link = await lossyLink(Number(addr.split(':')[1]));
      const l = link;
      // A bus silent for 0.5 s at 50 Hz is 25 cycles: far below this limit, so it never becomes a robot fault;
      // and within the servos' bus watchdog, set to 1 s here (at 100 ms they would stop and refuse goals: a
      // `bus_watchdog` fault, busWatchdog.test.ts).
      const config = armConfig({ silent_bus_cycles: 5000, watchdog_ms: 1000 });
      const policy = writeConstantPoseModel([0, 0, 0, 0, 0, 0]);
      let stdout = '';
      let stderr = '';
      run = spawn(process.execPath, ['bin/axon.js', 'run', '--config', config, '--port', `tcp://127.0.0.1:${link.port}`, '--policy', policy, '--duration', '4', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      run.stdout!.on('data', (d) => (stdout += d));
      run.stderr!.on('data', (d) => (stderr += d));
      const exit = new Promise<number | null>((resolve) => run!.on('exit', (code) => resolve(code)));
      let dropped = false;
      l.state.commanding = () => {
        if (dropped) return;
        dropped = true;
        setTimeout(() => {
          l.state.dropping = true;
          setTimeout(() => (l.state.dropping = false), 500);
        }, 1000);
      };
      const code = await exit;
      expect(dropped, stderr).toBe(true);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(summary.hardware.faults, stderr).toEqual([]); // no robot fault: the bus came back
      expect(summary.ended_by, stderr).toBe('safe_stop');
      expect(summary.safety.state).toBe('safe-stop');
      expect(summary.safety.stop).toMatchObject({ by: 'supervisor', kind: 'stale_observation', reason: expect.stringMatching(/^stale observation for 3 ticks/) });
      expect(stderr).toMatch(/axon: the run ended held in a safe stop the supervisor latched at \d+\.\d{3} s \(stale_observation\): stale observation for 3 ticks/);
      expect(code, stderr).toBe(EXIT_SAFE_STOPPED);
    } finally {
      run?.kill('SIGKILL');
      stopAll(procs, 'SIGKILL');
      if (link) {
        for (const s of link.sockets) s.destroy();
        await new Promise((r) => link!.server.close(() => r(undefined)));
      }
    }
  }, 90_000);

  it('CLI: a local axon sim the world-model monitor safe-stops (motors at 50 % from 1 s) ends by safe_stop and exits 5', () => {
    const args = ['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--action-noise', '0.2', '--world-model', 'models/cartpole-wm', '--wm-mode', 'monitor', '--fault', 'motor:0.5@1', '--duration', '4', '--fast', '--json'];
    const r = spawnSync(process.execPath, ['bin/axon.js', ...args], { encoding: 'utf8', timeout: 120_000 });
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(s.ended_by, r.stderr).toBe('safe_stop');
    expect(s.safety).toMatchObject({ state: 'safe-stop', stop: { by: 'supervisor', kind: 'surprise', reason: expect.stringMatching(/^world model: prediction error above 1/) } });
    expect(s.episode.success).toBe(false);
    expect(r.stderr).toMatch(/axon: the run ended held in a safe stop the supervisor latched at \d+\.\d{3} s \(surprise\)/);
    expect(r.status, r.stderr).toBe(EXIT_SAFE_STOPPED);
  }, 120_000);

  it('CLI: Ctrl-C after that stop: still ended by safe_stop and exit 5 (the first stop wins), as over the bridge', async () => {
    // Real time: the monitor stops at about 1.6 s of sim time; the SIGINT comes well after it.
    const args = ['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--action-noise', '0.2', '--world-model', 'models/cartpole-wm', '--wm-mode', 'monitor', '--fault', 'motor:0.5@1', '--duration', '60', '--json'];
    const child = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGINT'), 9_000);
    const code = await done;
    clearTimeout(timer);
    const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(s.interrupted, stderr).toBe('SIGINT');
    expect(s.safety).toMatchObject({ state: 'safe-stop', stop: { by: 'supervisor', kind: 'surprise' } });
    expect(s.ended_by, stderr).toBe('safe_stop');
    expect(code, stderr).toBe(EXIT_SAFE_STOPPED);
  }, 120_000);
});
