/** `axon bridge` as a user runs it: flags, refusals with exit code 2, a served robot, the JSON summary. */
import { spawn } from 'node:child_process';
import { CommanderError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { connectBridgeRobot, SUBPROTOCOL } from '../../../hardware/bridge/index.ts';
import { buildProgram } from '../../../src/cli/main.ts';
import { bridgeCommand } from '../../../src/cli/commands/bridge.ts';
import { UsageError } from '../../../src/core/errors.ts';
import { waitUntil } from './helpers.ts';

const FIXTURE = 'tests/hardware/bridge/fixtures/axon.ts';

function axon(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const r = { child, stdout: '', stderr: '', code: undefined as number | null | undefined };
  child.stdout.on('data', (d) => (r.stdout += d));
  child.stderr.on('data', (d) => (r.stderr += d));
  const done = new Promise<typeof r>((resolve) => child.on('close', (code) => resolve(Object.assign(r, { code }))));
  return { r, done };
}

/** Parses argv with `bridge` in the program as main.ts builds it, in this process: the error it raises. */
async function refusal(args: string[]): Promise<{ error: unknown; stderr: string }> {
  let stderr = '';
  const program = buildProgram();
  if (!program.commands.some((c) => c.name() === 'bridge')) program.addCommand(bridgeCommand().exitOverride());
  const bridge = program.commands.find((c) => c.name() === 'bridge')!;
  for (const c of [program, bridge]) c.configureOutput({ writeErr: (t) => (stderr += t), writeOut: () => {} });
  try {
    await program.parseAsync(['node', 'axon', ...args]);
  } catch (error) {
    return { error, stderr };
  }
  throw new Error(`expected ${args.join(' ')} to be refused`);
}

describe('a bridge client whose thread sleeps (a blocking clock), against axon bridge in its own process', () => {
  it('is not judged stale on waking: the frames that came while it slept are read before its link is checked', async () => {
    const { r, done } = axon(['bridge', '--sim', 'cartpole', '--port', '0', '--duration', '6'], { AXON_BRIDGE_TOKEN: 'sleep-token' });
    await waitUntil(() => /listening on (ws:\/\/\S+)/.test(r.stdout), `the listening line (stdout: ${r.stdout} stderr: ${r.stderr})`, 20_000);
    // A staleness deadline of 150 ms: a loaded host (CI) may hold the server back for tens of ms, which is real staleness.
    const robot = await connectBridgeRobot(/listening on (ws:\/\/\S+)/.exec(r.stdout)![1], { token: 'sleep-token', role: 'observe', staleAfterS: 0.15 });
    try {
      const stale: boolean[] = [];
      robot.health$.subscribe((h) => stale.push(h.stale));
      await new Promise((res) => setTimeout(res, 300));
      const seq = robot.stateSeq;
      const word = new Int32Array(new SharedArrayBuffer(4));
      // Four sleeps of 300 ms (twice the staleness deadline; each spans the 100 ms heartbeat check), a turn between them.
      for (let i = 0; i < 4; i++) {
        Atomics.wait(word, 0, 0, 300);
        await new Promise((res) => setTimeout(res, 5));
      }
      expect(robot.stateSeq).toBeGreaterThan(seq + 400); // 500 Hz frames kept coming, and were read
      expect(stale.filter(Boolean)).toEqual([]);
    } finally {
      await robot.close();
      r.child.kill('SIGTERM');
      // A server that does not end on SIGTERM is a fault to name, not a test timeout to guess at.
      const exited = await Promise.race([done.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 15_000))]);
      if (!exited) {
        r.child.kill('SIGKILL');
        await done;
        throw new Error(`axon bridge did not exit within 15 s of SIGTERM (stdout: ${r.stdout} stderr: ${r.stderr})`);
      }
    }
  });
});

describe('axon bridge CLI', () => {
  it('documents its flags', () => {
    const help = bridgeCommand().helpInformation();
    for (const f of ['--sim', '--urdf', '--mjcf', '--manifest', '--fixed-base', '--init-pose', '--kp', '--kd', '--armature', '--imu-link', '--pd', '--mesh-collision', '--urdf-package-path', '--host', '--port', '--token', '--rate', '--state-rate', '--command-timeout', '--pacing', '--spin-ms', '--duration', '--json']) expect(help).toContain(f);
  });

  it.each([
    [['bridge', '--sim', 'tractor'], '--sim', 'cartpole'],
    [['bridge', '--sim', 'cartpole', '--host', '0.0.0.0'], '--host', 'token'],
    [['bridge', '--sim', 'cartpole', '--state-rate', '300'], '--state-rate', 'divisor of 500'],
    [['bridge', '--sim', 'cartpole', '--rate', '5'], '--rate', 'above 10 Hz'],
    [['bridge', '--sim', 'cartpole', '--spin-ms', '0.5'], '--spin-ms', '--pacing poll'],
    // A robot file (--urdf, --mjcf) and its set-up flags: exactly one robot, each flag where it acts.
    [['bridge'], '--sim', 'exactly one robot: --sim cartpole|pendulum|humanoid|arm, --urdf FILE or --mjcf FILE'],
    [['bridge', '--sim', 'cartpole', '--urdf', 'robot.urdf'], '--urdf', 'and --sim were both given'],
    [['bridge', '--sim', 'cartpole', '--fixed-base'], '--fixed-base', 'only applies to a URDF robot'],
    [['bridge', '--sim', 'arm', '--kp', '5'], '--kp', 'only applies to a URDF robot'],
    [['bridge', '--mjcf', 'scene.xml', '--armature', '0.01'], '--armature', 'does not apply to an MJCF model'],
    [['bridge', '--mjcf', 'scene.xml', '--mesh-collision', 'box'], '--mesh-collision', 'only applies with --urdf FILE'],
    [['bridge', '--urdf', 'robot.urdf', '--randomize'], '--randomize', 'a robot file has no randomisation yet'],
    [['bridge', '--sim', 'cartpole', '--manifest', 'models/cartpole-balance'], '--manifest', 'only applies with --urdf FILE or --mjcf FILE'],
    [['bridge', '--mjcf', 'scene.xml', '--physics', 'cannon'], '--physics', 'cannon cannot load an MJCF model'],
    [['bridge', '--urdf', 'robot.urdf', '--manifest', 'no/such/policy'], '--manifest', 'does not exist'],
  ])('refuses %j with a usage error naming the flag', async (args, flag, expected) => {
    const { error } = await refusal(args);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).where).toBe(flag);
    expect((error as UsageError).message).toContain(expected);
  });

  it.each([
    [['--port', '70000'], '--port', 'port number'],
    [['--pacing', 'spin'], '--pacing', 'worker, poll'],
  ])('refuses a bad flag value through commander, naming the flag: %j', async (args, flag, expected) => {
    const { error, stderr } = await refusal(['bridge', '--sim', 'cartpole', ...args]);
    expect(error).toBeInstanceOf(CommanderError);
    expect(stderr).toContain(flag);
    expect(stderr).toContain(expected);
  });

  it('exits with code 2 and one line on bad input (a real process)', async () => {
    const r = await axon(['bridge', '--sim', 'cartpole', '--host', '192.168.0.10']).done;
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--host');
  });

  it('refuses a robot set-up flag on a shipped robot before serving: exit 2, one line naming it (a real process)', async () => {
    const r = await axon(['bridge', '--sim', 'cartpole', '--fixed-base', '--port', '0', '--duration', '5']).done;
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr.trim().split('\n')).toEqual(['axon: error [CLI_USAGE]: --fixed-base: only applies to a URDF robot (expected --urdf FILE (a shipped robot has its own set-up))']);
  });

  it('serves a simulated robot: a client commands it, and --json ends with the summary', async () => {
    const { r, done } = axon(['bridge', '--sim', 'pendulum', '--port', '0', '--duration', '1.5', '--json'], { AXON_BRIDGE_TOKEN: 'cli-token' });
    // the token line follows the listening line, possibly in a later chunk of stdout: wait for both
    await waitUntil(() => /listening on (ws:\/\/\S+)/.test(r.stdout) && r.stdout.includes('token:'), `the listening and token lines (stdout: ${r.stdout} stderr: ${r.stderr})`, 20_000);
    const url = /listening on (ws:\/\/\S+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain('token: as given');
    expect(r.stdout).toContain('500 Hz physics paced by a timing thread');
    const robot = await connectBridgeRobot(url, { token: 'cli-token' });
    expect(robot.spec.name).toBe('pendulum');
    for (let i = 0; i < 10; i++) {
      robot.command({ mode: 'effort', target: new Float64Array([0.5]) });
      await new Promise((res) => setTimeout(res, 20));
    }
    await robot.close();
    const out = await done;
    expect(out.code).toBe(0);
    const summary = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ command: 'bridge', robot: 'pendulum', loop_hz: 500, state_hz: 500, connections: 1, commands: { accepted: 10, rejected: 0 }, robot_state: 'idle' });
    expect(summary.state_changes).toMatchObject({ armed: 1, release: 1 });
    expect(summary.refusals).toEqual({ closed_over_limit: 0, origins_refused: 0, upgrades_refused: 0 });
    // Paced by the timing thread (the default), which woke the loop for (about) every step of its 1.5 s.
    expect(summary.pacing.kind).toBe('worker');
    expect(summary.pacing.wakes).toBeGreaterThan(0.5 * 1.5 * 500);
    for (const k of ['p50', 'p99', 'max']) expect(Number.isFinite(summary.pacing.wake_late_us[k])).toBe(true);
    expect(summary.pacing.cpu_share).toBeGreaterThan(0);
  });

  it('--allow-origin lets a web page of that origin connect; another origin is refused 403', async () => {
    const { r, done } = axon(['bridge', '--sim', 'pendulum', '--port', '0', '--duration', '3', '--allow-origin', 'http://localhost:3000', '--allow-origin', 'https://robot.example.com']);
    await waitUntil(() => /listening on (ws:\/\/\S+)/.test(r.stdout), `the listening line (stdout: ${r.stdout} stderr: ${r.stderr})`, 20_000);
    const url = /listening on (ws:\/\/\S+)/.exec(r.stdout)![1];
    const { default: WebSocket } = await import('ws');
    const open = (origin: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url, SUBPROTOCOL, { origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', (e) => resolve(e.message));
      });
    expect(await open('http://localhost:3000')).toBe('open');
    expect(await open('https://robot.example.com')).toBe('open');
    expect(await open('http://evil.example')).toBe('403');
    const out = await done;
    expect(out.code).toBe(0);
    // The refusal is on the operator's console and counted in the stop line.
    expect(out.stdout).toMatch(/1 upgrade\(s\) refused since the last such line, the latest from 127\.0\.0\.1:\d+: 403 origin "http:\/\/evil\.example" not allowed/);
    expect(out.stdout).toMatch(/stopped after .*; 0 upgrade\(s\) refused busy \(503\), 1 for their origin \(403\), 0 connection\(s\) closed over a bound \(1008\)/);
  });

  it('refuses an --allow-origin that is not an origin: exit 2 naming the flag', async () => {
    const { error, stderr } = await refusal(['bridge', '--sim', 'pendulum', '--allow-origin', 'https://robot.example.com/viewer']);
    expect((error as CommanderError).exitCode).toBe(1);
    expect(stderr).toMatch(/--allow-origin <url>.*expected an origin/);
  });

  // CI (load 7-12 on 2 cores) left `axon bridge --duration 1.5` alive 35 minutes after its run: its
  // main thread reached the timing thread's first tick late, and the pacer lost track of a run whose
  // keep-alive timer then held the process. The fixture makes that late arrival certain (lateFirstWait.ts).
  it('ends its process when its run ends, even when the first tick came before the loop waited for it', async () => {
    const { r, done } = axon(['bridge', '--sim', 'pendulum', '--port', '0', '--duration', '0.5', '--json'], { AXON_TEST_LATE_FIRST_WAIT: '1' });
    let summaryAt: number | undefined;
    r.child.stdout.on('data', () => (summaryAt ??= r.stdout.includes('"command":"bridge"') ? performance.now() : undefined));
    const out = await done;
    const exitedAfterS = (performance.now() - summaryAt!) / 1000;
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!).pacing.wakes).toBeGreaterThan(0);
    // endProcess's backstop (5 s, a line on stderr) is not what ended it
    expect(out.stderr).toBe('');
    expect(exitedAfterS).toBeLessThan(4);
  });

  it('--pacing poll --spin-ms 0: the timer-only loop, named in the summary', async () => {
    const out = await axon(['bridge', '--sim', 'pendulum', '--port', '0', '--duration', '0.5', '--pacing', 'poll', '--spin-ms', '0', '--json']).done;
    expect(out.code).toBe(0);
    const summary = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(summary.pacing.kind).toBe('poll');
    expect(out.stdout).toContain('500 Hz physics paced by a timer,');
    expect(summary.pacing.wakes).toBeGreaterThan(0);
  });
});
