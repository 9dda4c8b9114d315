/**
 * The loop of `axon sim --realtime` on the shipped humanoid (50 Hz control, 200 Hz physics): its
 * period error (|tick wake − deadline|, all ticks but tick 0) and the process's CPU share, with
 * the loop's thread waiting for each deadline by an event-loop timer ('timer') or by
 * Atomics.wait ('block', the default), both then spinning a learned margin, against C's clock_nanosleep at the
 * same period. The three run in interleaved rounds (each round starts one further on) and each
 * prints its medians and its per-round p99 ratio to C's in the same round (docs/timing.md: judge a
 * clock by ratios in one run). Run alone: `npx tsx tests/bench/simLoop.ts [seconds] [rounds]`.
 */
import { fileURLToPath } from 'node:url';
import { openSimSession } from '../../sim/session/index.ts';
import { cRow, interleaved, type Figures } from './clock.ts';

async function simLoop(sleep: 'timer' | 'block', seconds: number): Promise<Figures> {
  const session = await openSimSession({ robot: 'humanoid', policy: 'models/humanoid-balance', physicsHz: 200 });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await session.runEpisode({ seed: 1, randomize: false, durationS: seconds, realtime: true, sleep, continueAfterTerminate: true });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const p = r.loop.stats.periodErrorUs();
    return { p50: p.p50, p99: p.p99, cpu: (cpu.user + cpu.system) / 1e6 / wall, overruns: r.loop.stats.overruns };
  } finally {
    await session.close();
  }
}

export async function benchSimLoop(seconds = 10, rounds = 3): Promise<void> {
  await interleaved(
    [
      cRow(seconds, 0.02),
      { label: 'sim --realtime loop, timer sleep', run: () => simLoop('timer', seconds) },
      { label: 'sim --realtime loop, block sleep', run: () => simLoop('block', seconds) },
    ],
    rounds,
    `${rounds} interleaved rounds of ${seconds} s each; CPU: the whole process, physics and policy included)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchSimLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3));
