/**
 * The loop of `axon run` on the emulated arm (hardware/robots/arm6-xm430.json, `--port emu://`,
 * models/arm6-pose at 50 Hz): its period error and the process's CPU share (the in-process
 * emulator's work included) with each live clock (`--clock timer|block|worker`), and with the
 * default clock (block) under `--record` and under `--view` with one page's socket connected,
 * against C's clock_nanosleep at the same period, in interleaved rounds (docs/timing.md, "Live
 * runs"). Run alone: `npx tsx tests/bench/liveLoop.ts [seconds] [rounds]`.
 */
import { fileURLToPath } from 'node:url';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../hardware/robots/openRobot.ts';
import { runLive } from '../../src/cli/live.ts';
import type { LiveClockKind } from '../../src/session/index.ts';
import { prepareAttach, type Attach } from './attach.ts';
import { cpuFromFirstTick, cRow, interleaved, type Figures } from './clock.ts';

const CONFIG = 'hardware/robots/arm6-xm430.json';
const POLICY = 'models/arm6-pose';

async function liveLoop(clock: LiveClockKind, seconds: number, attach?: Attach): Promise<Figures> {
  const loaded = loadAnyRobotConfig(CONFIG);
  const attached = await prepareAttach(attach); // the recorder's thread before the bus is opened, as `axon run --record`
  const robot = openConfiguredRobot(loaded, 'emu://', loaded.config.baud, { period: 0.02 }).robot;
  let cpuShare = () => Number.NaN;
  try {
    const r = await runLive(robot, {
      policy: POLICY,
      durationS: seconds,
      clock,
      handleSignals: false,
      onLoop: (loop, safety) => {
        cpuShare = cpuFromFirstTick(loop.records$);
        attached.onLoop(loop, safety, robot, 0.02);
      },
    });
    const p = r.loop.stats.periodErrorUs();
    return { p50: p.p50, p99: p.p99, cpu: cpuShare(), overruns: r.loop.stats.overruns };
  } finally {
    await attached.close();
  }
}

export async function benchLiveLoop(seconds = 10, rounds = 3): Promise<void> {
  const bare = 'run on the emulated arm, --clock block';
  const record = '  --clock block --record';
  const view = '  --clock block --view, one page';
  await interleaved(
    [
      cRow(seconds, 0.02),
      ...(['block', 'timer', 'worker'] as const).map((k) => ({ label: `run on the emulated arm, --clock ${k}`, run: () => liveLoop(k, seconds) })),
      { label: record, run: () => liveLoop('block', seconds, 'record') },
      { label: view, run: () => liveLoop('block', seconds, 'view') },
    ],
    rounds,
    `${rounds} interleaved rounds of ${seconds} s each; CPU: the whole process from the first tick, the emulated bus and the recorder's thread included)`,
    { of: bare, rows: [record, view] },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchLiveLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3));
