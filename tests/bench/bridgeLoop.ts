/**
 * The loop of `axon sim --robot ws://...` (a bridge client: runLive on BridgeRobot, the cartpole
 * served by `axon bridge --sim cartpole` in its own process at 500 Hz physics and state frames,
 * models/cartpole-balance at 50 Hz): its period error, the client process's CPU share, how old
 * the observation is when a tick reads it (`bridge_age`: since the frame arrived), and the
 * server's CPU share and its own wake-up lateness after each physics deadline, with each live
 * clock on the client and each pacing on the server (`axon bridge --pacing poll|worker`), and
 * with a blocking clock that takes no event-loop turn before the tick (what Robot.streamsState
 * turns on: without it a tick reads the state of when the thread went to sleep), against C's
 * clock_nanosleep at the same period, and the client's default clock (timer) with `--record` and
 * with `--view` (one page) against its bare run, in interleaved rounds (docs/timing.md, "Live runs"). Each
 * row starts its own server, so that an idle server's pacing never loads another row. Run alone:
 * `npx tsx tests/bench/bridgeLoop.ts [seconds] [rounds] [state Hz] [pacings, e.g. poll,worker]`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { runLive } from '../../src/cli/live.ts';
import { WallClock } from '../../src/clock/WallClock.ts';
import type { LiveClockKind } from '../../src/session/index.ts';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import { prepareAttach, type Attach } from './attach.ts';
import { cpuFromFirstTick, cRow, interleaved, type Figures } from './clock.ts';

const TOKEN = 'bench-token';
const POLICY = 'models/cartpole-balance';
const PERIOD = 0.02;

type Pacing = 'poll' | 'worker';

/** `axon bridge --sim cartpole` on a free port; resolves with its URL. */
async function startServer(stateHz: number, pacing: Pacing): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const args = ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--port', '0', '--token', TOKEN, '--state-rate', String(stateHz), '--pacing', pacing, '--json'];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (l) => {
      const m = /listening on (ws:\/\/\S+)/.exec(l);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`axon bridge exited (${code}) before listening`)));
  });
  return { url, child };
}

/** Stops the server; resolves with its --json summary. */
async function stopServer(child: ChildProcessWithoutNullStreams): Promise<{ pacing?: { wake_late_us: { p50: number; p99: number } } }> {
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    return {};
  }
}

/** A process's CPU seconds so far (Linux /proc; NaN elsewhere). */
function processCpuS(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks; 12 and 13 after the name and state.
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function bridgeLoop(stateHz: number, pacing: Pacing, clock: LiveClockKind | 'block, no turn', seconds: number, attach?: Attach): Promise<Figures> {
  const attached = await prepareAttach(attach);
  const { url, child } = await startServer(stateHz, pacing);
  const ages: number[] = [];
  let cpuShare = () => Number.NaN;
  let serverCpuShare = () => Number.NaN;
  let cpu = Number.NaN;
  let serverCpu = Number.NaN;
  let summary: Awaited<ReturnType<typeof stopServer>> = {};
  let r: Awaited<ReturnType<typeof runLive>>;
  try {
    const robot = await connectBridgeRobot(url, { token: TOKEN, simReset: { seed: 1 } });
    try {
      r = await runLive(robot, {
        policy: POLICY,
        durationS: seconds,
        clock: clock === 'block, no turn' ? new WallClock(PERIOD, { sleep: 'block' }) : clock,
        handleSignals: false,
        onLoop: (loop, safety) => {
          cpuShare = cpuFromFirstTick(loop.records$);
          serverCpuShare = cpuFromFirstTick(loop.records$, () => processCpuS(child.pid!));
          loop.records$.subscribe((rec) => ages.push(rec.observation.extras?.bridge_age?.[0] ?? Number.NaN));
          attached.onLoop(loop, safety, robot, PERIOD);
        },
      });
      // Both shares over the loop's run, read while the server still runs.
      cpu = cpuShare();
      serverCpu = serverCpuShare();
    } finally {
      await robot.close();
    }
  } finally {
    await attached.close();
    summary = await stopServer(child);
  }
  const p = r.loop.stats.periodErrorUs();
  const age = percentilesUs(Float64Array.from(ages.filter(Number.isFinite)));
  return {
    p50: p.p50,
    p99: p.p99,
    cpu,
    overruns: r.loop.stats.overruns,
    also: {
      'age p50': [age.p50, 'µs'],
      'age p99': [age.p99, 'µs'],
      'server CPU': [Math.round(serverCpu * 1000) / 10, '%'],
      'server wake p99': [summary.pacing?.wake_late_us.p99 ?? Number.NaN, 'µs'],
    },
  };
}

/**
 * @param stateHz the server's state frame rate (`axon bridge --state-rate`), a divisor of its 500 Hz physics
 * @param pacings the server pacings to run each client clock against
 */
export async function benchBridgeLoop(seconds = 10, rounds = 3, stateHz = 500, pacings: readonly Pacing[] = ['poll', 'worker']): Promise<void> {
  const label = (clock: string, pacing: Pacing) => `bridge client (cartpole), --clock ${clock}, server --pacing ${pacing}`;
  const rows = pacings.flatMap((pacing) => (['block', 'timer', 'worker'] as const).map((k) => ({ label: label(k, pacing), run: () => bridgeLoop(stateHz, pacing, k, seconds) })));
  // The client's default clock with --record and with --view (one page), against the server's default pacing when it runs.
  const main = pacings.includes('worker') ? 'worker' : pacings[0];
  const bare = label('timer', main);
  const attached = (['record', 'view'] as const).map((a) => ({ label: `  --clock timer --${a}${a === 'view' ? ', one page' : ''}, server --pacing ${main}`, run: () => bridgeLoop(stateHz, main, 'timer', seconds, a) }));
  await interleaved(
    [cRow(seconds, PERIOD), ...rows, ...attached, { label: label('block, no turn', pacings[0]), run: () => bridgeLoop(stateHz, pacings[0], 'block, no turn', seconds) }],
    rounds,
    `${rounds} interleaved rounds of ${seconds} s each; ${stateHz} Hz state frames; CPU: the client process from the first tick, the recorder's thread included; age: of the observation a tick reads, since its frame arrived; server CPU: the server process over the same span; server wake p99: its wake-up lateness after each physics deadline, whole run)`,
    { of: bare, rows: attached.map((r) => r.label) },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const pacings = (process.argv[5] ?? 'poll,worker').split(',');
  if (!pacings.every((x) => x === 'poll' || x === 'worker')) throw new Error(`pacings: expected poll, worker or poll,worker, got "${process.argv[5]}"`);
  await benchBridgeLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3), Number(process.argv[4] ?? 500), pacings as Pacing[]);
}
