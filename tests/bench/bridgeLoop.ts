/**
 * The loop of `axon sim --robot ws://...` (a bridge client: runLive on BridgeRobot, the cartpole
 * served by `axon bridge --sim cartpole` in its own process at 500 Hz physics and state frames,
 * models/cartpole-balance at 50 Hz): its period error, the client process's CPU share, and how old
 * the observation is when a tick reads it (`bridge_age`: since the frame arrived), with each live
 * clock, and with a blocking clock that takes no event-loop turn before the tick (what
 * Robot.streamsState turns on: without it a tick reads the state of when the thread went to
 * sleep), against C's clock_nanosleep at the same period, in interleaved rounds (docs/timing.md,
 * "Live runs"). Run alone: `npx tsx tests/bench/bridgeLoop.ts [seconds] [rounds] [state Hz]`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectBridgeRobot } from '../../hardware/bridge/index.ts';
import { runLive } from '../../src/cli/live.ts';
import { WallClock } from '../../src/clock/WallClock.ts';
import type { LiveClockKind } from '../../src/session/index.ts';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import { cpuFromFirstTick, cRow, interleaved, type Figures } from './clock.ts';

const TOKEN = 'bench-token';
const POLICY = 'models/cartpole-balance';
const PERIOD = 0.02;

/** `axon bridge --sim cartpole` on a free port; resolves with its URL. */
async function startServer(stateHz: number): Promise<{ url: string; child: ChildProcessWithoutNullStreams }> {
  const args = ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--port', '0', '--token', TOKEN, '--state-rate', String(stateHz), '--json'];
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

async function bridgeLoop(url: string, clock: LiveClockKind | 'block, no turn', seconds: number): Promise<Figures> {
  const robot = await connectBridgeRobot(url, { token: TOKEN, simReset: { seed: 1 } });
  const ages: number[] = [];
  let cpuShare = () => Number.NaN;
  try {
    const r = await runLive(robot, {
      policy: POLICY,
      durationS: seconds,
      clock: clock === 'block, no turn' ? new WallClock(PERIOD, { sleep: 'block' }) : clock,
      handleSignals: false,
      onLoop: (loop) => {
        cpuShare = cpuFromFirstTick(loop.records$);
        loop.records$.subscribe((rec) => ages.push(rec.observation.extras?.bridge_age?.[0] ?? Number.NaN));
      },
    });
    const p = r.loop.stats.periodErrorUs();
    const age = percentilesUs(Float64Array.from(ages.filter(Number.isFinite)));
    return { p50: p.p50, p99: p.p99, cpu: cpuShare(), overruns: r.loop.stats.overruns, also: { 'age p50': age.p50, 'age p99': age.p99 } };
  } finally {
    await robot.close();
  }
}

/** @param stateHz the server's state frame rate (`axon bridge --state-rate`), a divisor of its 500 Hz physics */
export async function benchBridgeLoop(seconds = 10, rounds = 3, stateHz = 500): Promise<void> {
  const { url, child } = await startServer(stateHz);
  try {
    await interleaved(
      [
        cRow(seconds, PERIOD),
        ...(['block', 'timer', 'worker', 'block, no turn'] as const).map((k) => ({ label: `bridge client (cartpole), --clock ${k}`, run: () => bridgeLoop(url, k, seconds) })),
      ],
      rounds,
      `${rounds} interleaved rounds of ${seconds} s each; ${stateHz} Hz state frames; CPU: the client process from the first tick; age: of the observation a tick reads, µs since its frame arrived)`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchBridgeLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3), Number(process.argv[4] ?? 500));
