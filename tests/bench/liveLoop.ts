/**
 * The loop of `axon run` on the emulated arm (hardware/robots/arm6-xm430.json, `--port emu://`,
 * models/arm6-pose at 50 Hz): its period error and the process's CPU share (the in-process
 * emulator's work included) with each live clock (`--clock timer|block|worker`), against C's
 * clock_nanosleep at the same period, in interleaved rounds (docs/timing.md, "Live runs").
 * Run alone: `npx tsx tests/bench/liveLoop.ts [seconds] [rounds]`.
 */
import { fileURLToPath } from 'node:url';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../hardware/robots/openRobot.ts';
import { runLive } from '../../src/cli/live.ts';
import type { LiveClockKind } from '../../src/session/index.ts';
import { cRow, interleaved, type Figures } from './simLoop.ts';

const CONFIG = 'hardware/robots/arm6-xm430.json';
const POLICY = 'models/arm6-pose';

async function liveLoop(clock: LiveClockKind, seconds: number): Promise<Figures> {
  const loaded = loadAnyRobotConfig(CONFIG);
  const robot = openConfiguredRobot(loaded, 'emu://', loaded.config.baud, { period: 0.02 }).robot;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runLive(robot, { policy: POLICY, durationS: seconds, clock, handleSignals: false });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const p = r.loop.stats.periodErrorUs();
  return { p50: p.p50, p99: p.p99, cpu: (cpu.user + cpu.system) / 1e6 / wall };
}

export async function benchLiveLoop(seconds = 10, rounds = 3): Promise<void> {
  await interleaved(
    [
      cRow(seconds, 0.02),
      ...(['timer', 'block', 'worker'] as const).map((k) => ({ label: `run on the emulated arm, --clock ${k}`, run: () => liveLoop(k, seconds) })),
    ],
    rounds,
    `${rounds} interleaved rounds of ${seconds} s each; CPU: the whole process, the emulated bus included)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchLiveLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3));
