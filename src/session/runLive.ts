/**
 * A session run in real time on a Robot that keeps its own time (hardware, a bridge): wall
 * clock, soft start, and every way out — duration, Ctrl-C, a robot fault — ends with the robot
 * commanded into its safe state before it is closed.
 */
import type { Subscription } from 'rxjs';
import type { Robot } from '../core/robot.ts';
import type { SafetyConfig } from '../safety/types.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { WallClock } from '../clock/WallClock.ts';
import type { ControlLoop, LoopResult } from '../loop/ControlLoop.ts';
import type { Session, SessionLoop } from './Session.ts';
import type { EpisodeWorldModel } from './worldModel.ts';

export interface LiveRunOptions {
  readonly durationS: number;
  /** Safety settings; a real robot gets a soft start of 1 s by default. */
  readonly safety?: Partial<SafetyConfig>;
  /** Stop on SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /** Seeds the world-model hook and the action noise (default 1). */
  readonly seed?: number;
  /** Attach what watches the run (viewer, recorder, counters): called before the loop runs. */
  readonly onLoop?: (parts: SessionLoop) => void;
}

export interface LiveRunResult {
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  /** Why the run ended: 'duration', 'signal', 'fault'. */
  readonly endedBy: 'duration' | 'signal' | 'fault';
  /** The task's figures, when the session knows one. */
  readonly episode?: { readonly return: number; readonly success: boolean; readonly metrics?: Record<string, unknown> };
  readonly worldModel?: EpisodeWorldModel;
}

/** Runs `session` once on wall-clock time, then closes it (policy, world model, robot). */
export async function runSessionLive<R extends Robot>(session: Session<R>, o: LiveRunOptions): Promise<LiveRunResult> {
  const { robot, period } = session;
  const clock = new WallClock(period);
  const subs: Subscription[] = [];
  let loop: ControlLoop | undefined;
  let safety: SafetySupervisor | undefined;
  let endedBy: LiveRunResult['endedBy'] = 'duration';
  const onSignal = () => {
    endedBy = 'signal';
    safety?.estop('operator interrupt (signal)', clock.now(), 0);
    loop?.stop();
  };
  try {
    await robot.connect();
    const parts = session.loop({ clock, maxTicks: Math.round(o.durationS / period), seed: o.seed, stopOnTerminate: false, safety: { softStartS: 1, ...o.safety } });
    loop = parts.loop;
    safety = parts.safety;
    const s = safety;
    subs.push(
      robot.health$.subscribe((h) => {
        if (h.faults.length > 0) endedBy = 'fault'; // also after a safe-stop (a bus gone silent)
        if (h.faults.length > 0 && s.state !== 'e-stopped' && s.state !== 'safe-stop') {
          s.estop(`robot fault: ${h.faults.join('; ')}`, clock.now(), 0);
        }
      }),
    );
    // Inside the try: whatever the caller attaches (viewer, recorder) fails with the robot closed.
    o.onLoop?.(parts);
    if (o.handleSignals ?? true) {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    const result = await loop.run();
    const task = session.task;
    const metrics = task?.metrics?.();
    const worldModel = session.worldModelResult(parts.hook);
    return {
      loop: result,
      safety: s,
      endedBy,
      ...(task ? { episode: { return: task.totalReward, success: task.success && !result.stopped, ...(metrics ? { metrics } : {}) } } : {}),
      ...(worldModel ? { worldModel } : {}),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const sub of subs) sub.unsubscribe();
    await session.close(); // a Robot's close() leaves it in its own safe state (hold or torque off)
  }
}
