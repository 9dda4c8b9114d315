/**
 * A session run in real time on a Robot that keeps its own time (hardware, a bridge): wall
 * clock, soft start, and every way out — duration, Ctrl-C, a robot fault — ends with the robot
 * commanded into its safe state before it is closed.
 *
 * One clock for the run: the loop clock's time (s since the loop started) stamps the ticks, the
 * supervisor's events, the stops this runner makes, and — through Robot.useClock — the robot's
 * observations and events. Tests inject a VirtualClock (src/clock/VirtualTime.ts).
 *
 * Stops: a stop signal (Ctrl-C, SIGTERM, SIGHUP from a closed terminal or a dropped SSH session,
 * SIGQUIT: src/session/stopSignals.ts) is an operator e-stop; a robot fault (health$.faults) during the run is
 * a protective safe-stop with the fault as its reason, the state the robot itself is in (a bridge
 * server's deadman or commander-lost stop, PROTOCOL.md 6). A loop already stopped (a
 * stale-observation safe-stop first) stays as it is, so the end state does not depend on which
 * side noticed first. A robot faulted before the loop arms is e-stopped: the loop never arms.
 *
 * Signals are listened for from before the robot connects (its torque goes on there) until it is
 * closed: one that comes while it connects e-stops the loop before it arms; later ones are
 * absorbed, and a close that hangs meets the hard exit (CLOSE_BOUND_S). The robot is closed first
 * (Session.close), so a slow policy or world-model close does not delay its safe stop. Every
 * e-stop of the supervisor also reaches a robot with a stop of its own (Robot.estop: a bridge's
 * served robot), off the tick (src/session/forwardEstop.ts).
 *
 * How it ended (endedBy): the rule live runs share (src/session/liveEndedBy.ts): 'fault' when the
 * robot faulted; otherwise 'safe_stop' when the run ends held in a stop the supervisor latched by
 * itself (SafetySupervisor.ownStop: a stale or bad observation, a deadline, an overspeed, a
 * world-model stop), also when a signal came after it; otherwise 'signal' or 'duration'. The state
 * at the end decides: a run the operator re-armed after such a stop and that then ran to its end
 * ended by 'duration' (docs/safety.md, "How a run ends").
 */
import type { Subscription } from 'rxjs';
import type { Robot } from '../core/robot.ts';
import { liveSafetyConfig, type SafetyConfig } from '../safety/types.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { WallClock } from '../clock/WallClock.ts';
import { WorkerClock } from '../clock/WorkerClock.ts';
import type { Clock } from '../clock/types.ts';
import { AxonError } from '../core/errors.ts';
import type { ControlLoop, LoopResult } from '../loop/ControlLoop.ts';
import type { Session, SessionLoop } from './Session.ts';
import type { EpisodeWorldModel } from './worldModel.ts';
import { stopOnRobotFault } from './faultStop.ts';
import { liveEndedBy, type LiveEndedBy } from './liveEndedBy.ts';
import { onStopSignals, type StopSignalGuard } from './stopSignals.ts';
import { forwardEstop, type EstopForward } from './forwardEstop.ts';

export type { LiveEndedBy } from './liveEndedBy.ts';

export { LIVE_OVERSPEED_FACTOR } from '../safety/types.ts';

export interface LiveRunOptions {
  /**
   * How long the run lasts (s) on the loop clock, i.e. wall time: a loop that overruns (a slow
   * policy, a slow bus) runs fewer ticks, not longer (ControlLoopParts.durationS).
   */
  readonly durationS: number;
  /** Safety settings; a real robot gets a soft start of 1 s by default. */
  readonly safety?: Partial<SafetyConfig>;
  /** Stop on the stop signals, SIGINT, SIGTERM, SIGHUP, SIGQUIT (default true; src/session/stopSignals.ts). */
  readonly handleSignals?: boolean;
  /** Seeds the world-model hook and the action noise (default 1). */
  readonly seed?: number;
  /** Attach what watches the run (viewer, recorder, counters): called before the loop runs. */
  readonly onLoop?: (parts: SessionLoop) => void;
  /**
   * The loop clock, at the session's period. 'block': a WallClock that, once a tick is handled
   * and the robot's bus cycle settled (Robot.settle), sleeps this thread in Atomics.wait then
   * spins, as a C loop does (with one event-loop turn before each tick for a robot whose state
   * streams in, Robot.streamsState); 'timer': a WallClock on this thread's event-loop timers and a learned
   * spin; 'worker': a WorkerClock, whose timing thread sleeps with Atomics.wait and a learned spin
   * and wakes this thread just before each deadline. Default: defaultLiveClock(robot).
   * docs/timing.md ("Live runs") has the three measured. Tests pass a VirtualClock.
   */
  readonly clock?: Clock | LiveClockKind;
}

/** The wall clocks a live run can use (`axon run --clock`). */
export type LiveClockKind = 'worker' | 'timer' | 'block';
export const LIVE_CLOCK_KINDS: readonly LiveClockKind[] = ['timer', 'block', 'worker'];

/**
 * The clock a live run of `robot` gets when none is named: 'block' for a robot whose I/O settles
 * between ticks (a servo bus: Robot.settle), measured nearer C than 'timer' at less CPU
 * (docs/timing.md, "Live runs"); 'timer' for one whose I/O never rests (a bridge client's link
 * streams state, served between ticks by the event loop: on the blocking clock it needs a turn
 * before each tick to read what came, measured at less CPU than the timer but further from C).
 */
export function defaultLiveClock(...robots: Robot[]): 'block' | 'timer' {
  return robots.every((r) => r.settle) ? 'block' : 'timer';
}

/**
 * A WallClock for a live run of `robots` (one, or teleop's leader and follower): 'block' sleeps
 * the loop's thread once the tick is handled and every robot's I/O in flight settled, and takes
 * an event-loop turn before each tick when a robot streams its state (Robot.streamsState); 'timer'
 * waits on event-loop timers. Default: defaultLiveClock(robots).
 */
export function liveWallClock(period: number, robots: readonly Robot[], kind: 'block' | 'timer' = defaultLiveClock(...robots)): WallClock {
  if (kind === 'timer') return new WallClock(period);
  const drain = robots.some((r) => r.streamsState === true);
  const io = robots.filter((r) => r.settle);
  if (io.length === 0) return new WallClock(period, { sleep: 'block', drain });
  const settle = io.length === 1 ? () => io[0].settle!() : () => Promise.allSettled(io.map((r) => r.settle!()));
  return new WallClock(period, { sleep: 'block', settle, drain });
}

/** The clock of a live run of `robot` at `period`: a Clock as given, or a new one of the kind. */
async function liveClock(given: Clock | LiveClockKind | undefined, period: number, robot: Robot): Promise<{ clock: Clock; owned?: WorkerClock }> {
  if (typeof given === 'object') return { clock: given };
  if (given !== 'worker') return { clock: liveWallClock(period, [robot], given) };
  const owned = await WorkerClock.start(period);
  return { clock: owned, owned };
}

export interface LiveRunResult {
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  /** Why the run ended (see the file comment). */
  readonly endedBy: LiveEndedBy;
  /**
   * The task's figures, when the session knows one. terminated: the task failed (its limits broken:
   * the pole fell), as a local episode says it; success: the task succeeded and the run ended by
   * its duration (not a signal, a robot fault, or held in the supervisor's own stop).
   */
  readonly episode?: { readonly return: number; readonly success: boolean; readonly terminated: boolean; readonly metrics?: Record<string, unknown> };
  readonly worldModel?: EpisodeWorldModel;
}

/** Runs `session` once on wall-clock time, then closes it (policy, world model, robot). */
export async function runSessionLive<R extends Robot>(session: Session<R>, o: LiveRunOptions): Promise<LiveRunResult> {
  const { robot, period } = session;
  let loop: ControlLoop | undefined;
  let safety: SafetySupervisor | undefined;
  let faulted = false, signalled = false; // what liveEndedBy reads at the end
  let closed = false;
  let lastSeq = 0; // the newest tick's seq, for events made off the tick
  let now = () => 0; // the loop clock's time, once it is made
  // A signal before the loop exists (the clock starting, the robot connecting) is acted on once it does.
  const stopOnSignal = () => {
    safety?.estop('operator interrupt (signal)', now(), lastSeq);
    loop?.stop();
  };
  const guard: StopSignalGuard | undefined = (o.handleSignals ?? true)
    ? onStopSignals(() => {
        signalled = true;
        stopOnSignal();
      }, { what: `the run on ${robot.spec.name}` })
    : undefined;
  const made = await liveClock(o.clock, period, robot).catch(async (e: unknown) => {
    try {
      await session.close();
    } finally {
      guard?.dispose();
    }
    throw e;
  });
  const clock = made.clock;
  now = () => clock.now();
  const subs: Subscription[] = [];
  let fwd: EstopForward | undefined;
  const closeSession = async () => {
    if (closed) return;
    closed = true;
    fwd?.flush(); // an e-stop the last tick raised: out before the robot's close
    fwd?.unsubscribe();
    await session.close(); // the robot first: a Robot's close() leaves it in its own safe state (hold or torque off)
  };
  try {
    if (Math.abs(clock.period - period) > 1e-12) throw new AxonError('LIVE_CLOCK', 'runLive clock', `has a period of ${clock.period} s`, `the session's period, ${period} s`);
    await robot.connect();
    robot.useClock?.(() => clock.now());
    const parts = session.loop({ clock, maxTicks: Math.round(o.durationS / period), durationS: o.durationS, seed: o.seed, stopOnTerminate: false, safety: { ...liveSafetyConfig, ...o.safety } });
    loop = parts.loop;
    safety = parts.safety;
    const s = safety;
    let faultStop = false; // the robot's own fault e-stops before arming: it reports that stop itself
    fwd = forwardEstop(s, robot, () => faultStop);
    subs.push(
      parts.loop.records$.subscribe((rec) => {
        lastSeq = rec.seq;
      }),
      robot.health$.subscribe((h) => {
        if (h.faults.length === 0) return;
        faulted = true; // also after a safe-stop (a bus gone silent)
        faultStop = true;
        stopOnRobotFault(s, `robot fault: ${h.faults.join('; ')}`, clock.now(), lastSeq); // e-stop before arming, safe-stop once armed
        faultStop = false;
      }),
    );
    // Inside the try: whatever the caller attaches (viewer, recorder) fails with the robot closed.
    o.onLoop?.(parts);
    if (signalled) stopOnSignal(); // it came while the robot connected: e-stopped, the loop never arms
    const result = await loop.run();
    const task = session.task;
    const metrics = task?.metrics?.();
    const worldModel = session.worldModelResult(parts.hook);
    // Closed before the end is judged: a safe stop the robot could not confirm at close is a
    // fault on its health (docs/hardware.md "Faults"), and the run ends 'fault' for it.
    // How it ended is what it was when the loop returned: a signal or a stop during the close does
    // not rewrite a completed run; only a fault the close reports (an unconfirmed safe stop) counts.
    const ended = { signalled, ownStop: s.ownStop };
    await closeSession();
    const endedBy = liveEndedBy({ faulted, ...ended });
    return {
      loop: result,
      safety: s,
      endedBy,
      ...(task ? { episode: { return: task.totalReward, success: task.success && !result.stopped && endedBy === 'duration', terminated: !task.success, ...(metrics ? { metrics } : {}) } } : {}),
      ...(worldModel ? { worldModel } : {}),
    };
  } finally {
    for (const sub of subs) sub.unsubscribe();
    try {
      await closeSession();
    } finally {
      try {
        await made.owned?.close(); // a worker clock's thread: left running it would keep the process alive
      } finally {
        guard?.dispose(); // signals till here were absorbed: the robot is closed
      }
    }
  }
}
