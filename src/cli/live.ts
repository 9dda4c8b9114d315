/**
 * Running a policy on a robot in real time (hardware, a bridge, or any Robot that keeps its own
 * time): the session builder (src/session) with a wall clock, soft start, and every way out —
 * duration, Ctrl-C, a robot fault — ending with the robot commanded into its safe state before
 * it is closed.
 */
import type { Robot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import type { ModelFolder } from '../model/manifest.ts';
import type { SafetyConfig } from '../safety/types.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { ControlLoop, LoopResult } from '../loop/ControlLoop.ts';
import type { VelocityCommand } from '../loop/VelocityCommand.ts';
import type { Clock } from '../clock/types.ts';
import { openSession, runSessionLive, type LiveClockKind, type LiveEndedBy, type EpisodeWorldModel, type SessionLoop, type SessionWorldModel, type WorldModelOptions } from '../session/index.ts';

export interface LiveOptions {
  readonly policy: string;
  readonly durationS: number;
  /** Safety settings; a real robot gets a soft start of 1 s by default. */
  readonly safety?: Partial<SafetyConfig>;
  /** Stop on the stop signals, SIGINT, SIGTERM, SIGHUP, SIGQUIT (default true; src/session/stopSignals.ts). */
  readonly handleSignals?: boolean;
  /**
   * Initial velocity command (vx m/s, vy m/s, wz rad/s) for a locomotion policy, clamped to the
   * manifest's command_ranges. It lives here, with the loop: over the bridge the observation is
   * built on the client, so the command never crosses the wire (hardware/PROTOCOL.md, section 10).
   */
  readonly velocityCommand?: readonly [number, number, number];
  /** `--world-model DIR --wm-mode ...`: plan, shield or monitor on this robot. */
  readonly worldModel?: WorldModelOptions;
  /** Run the policy in a worker thread; a request older than this is a stall (s). */
  readonly asyncStallS?: number;
  /** Every onnxruntime call on a worker thread waited for with the stage's budget (SessionOptions.guardOnnx). */
  readonly guardOnnx?: boolean;
  /** Gaussian noise (std, raw action units) on the policy's output: a degraded policy. */
  readonly actionNoise?: number;
  /** What the run is for, when known (a shipped robot served over the bridge). */
  readonly task?: Task;
  /** Seeds the world-model hook and the action noise (default 1). */
  readonly seed?: number;
  /** `command`: the run's velocity command source (set it off the tick to change the command live); `parts`: hook and rollouts for a viewer or recorder. */
  readonly onLoop?: (loop: ControlLoop, safety: SafetySupervisor, command: VelocityCommand, parts: SessionLoop) => void;
  /** The loop clock: 'block' or 'timer' (a WallClock; default defaultLiveClock(robot)), 'worker' (a WorkerClock), or a Clock at the policy's period (tests pass a VirtualClock; another period is refused). */
  readonly clock?: Clock | LiveClockKind;
}

export interface LiveResult {
  readonly folder: ModelFolder;
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  readonly period: number;
  /** Why the run ended: 'duration', 'signal', 'fault', 'safe_stop' (src/session/runLive.ts). */
  readonly endedBy: LiveEndedBy;
  /** The run's velocity command source (its value at the end). */
  readonly command: VelocityCommand;
  /** The task's figures, when the run knew one. */
  readonly episode?: { readonly return: number; readonly success: boolean; readonly terminated: boolean; readonly metrics?: Record<string, unknown> };
  readonly worldModel?: EpisodeWorldModel;
  /** The world model the run used (its continuation kind). */
  readonly sessionWorldModel?: SessionWorldModel;
}

export async function runLive(robot: Robot, o: LiveOptions): Promise<LiveResult> {
  // The pre-arm check happens in openSession: a model that does not fit the robot, or reads a
  // term the robot cannot provide (no silent zeros: src/model/checkModel.ts), is refused with
  // the robot untouched and closed.
  const session = await openSession(robot, {
    policy: o.policy,
    ...(o.worldModel ? { worldModel: o.worldModel } : {}),
    ...(o.asyncStallS !== undefined ? { asyncStallS: o.asyncStallS } : {}),
    ...(o.guardOnnx ? { guardOnnx: true } : {}),
    ...(o.actionNoise !== undefined ? { actionNoise: o.actionNoise } : {}),
    ...(o.velocityCommand ? { velocityCommand: o.velocityCommand } : {}),
    ...(o.task ? { task: o.task } : {}),
  });
  const r = await runSessionLive(session, {
    durationS: o.durationS,
    ...(o.safety ? { safety: o.safety } : {}),
    ...(o.handleSignals !== undefined ? { handleSignals: o.handleSignals } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    onLoop: (parts) => o.onLoop?.(parts.loop, parts.safety, session.command, parts),
  });
  return {
    folder: session.folder,
    loop: r.loop,
    safety: r.safety,
    period: session.period,
    endedBy: r.endedBy,
    command: session.command,
    ...(r.episode ? { episode: r.episode } : {}),
    ...(r.worldModel ? { worldModel: r.worldModel } : {}),
    ...(session.worldModel ? { sessionWorldModel: session.worldModel } : {}),
  };
}
