/**
 * Episodes on a robot that a session can reset and step (a simulator): what eval, training and
 * `axon sim` ask of a simulated session. The simulator's factory (sim/session) implements it;
 * src/ only sees these types.
 */
import type { SimulatedRobot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import type { ControlLoop, LoopResult } from '../loop/ControlLoop.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { SimControl } from '../viewer/PausableClock.ts';
import type { Session } from './Session.ts';
import type { SimSessionOptions } from './types.ts';
import type { EpisodeWorldModel, TracedWorldModel } from './worldModel.ts';

export interface EpisodeOptions {
  readonly seed: number;
  readonly randomize: boolean;
  /** Episode length (s); default: the task's. */
  readonly durationS?: number;
  readonly realtime?: boolean;
  /**
   * Real time: how the loop's thread waits for each deadline (SimClock `sleep`): 'block' (default,
   * as `axon sim`: Atomics.wait then the learned spin, one event-loop turn per tick) or 'timer' (a
   * setTimeout, the event loop free between ticks; docs/timing.md has both measured).
   */
  readonly sleep?: 'timer' | 'block';
  /** Keep running after the task terminates (sim shows what happens next). */
  readonly continueAfterTerminate?: boolean;
  /** Let an operator pause and single-step the simulation (the viewer's controls). */
  readonly pausable?: boolean;
}

/** What a viewer or recorder attached to an episode's loop needs besides the loop. */
export interface LoopParts {
  readonly safety: SafetySupervisor;
  /** Pause/step, when the episode is pausable. */
  readonly control?: SimControl;
  /** The world-model hook of a plan or shield run, with what a viewer needs to draw its rollouts. */
  readonly worldModel?: TracedWorldModel;
}

export interface EpisodeResult {
  readonly worldModel?: EpisodeWorldModel;
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  readonly success: boolean;
  /** Why the state watchdog ended the episode (a blown-up simulation); absent when it stayed sane. */
  readonly invalid?: string;
  /** The task's own figures (a stand task: fell, base height, displacement). */
  readonly metrics?: Record<string, unknown>;
  readonly steps: number;
  readonly episodeReturn: number;
  readonly terminated: boolean;
  readonly randomization: Record<string, number>;
}

/**
 * How a simulated episode ended, in the run summary's words (docs/safety.md "How a run ends"): a
 * blown-up simulation, then a stop the supervisor latched by itself (the first stop wins, also
 * over a later signal), then an operator's signal, else its duration.
 */
export function episodeEndedBy(r: Pick<EpisodeResult, 'invalid' | 'safety'>, signalled: boolean): 'invalid' | 'safe_stop' | 'signal' | 'duration' {
  return r.invalid !== undefined ? 'invalid' : r.safety.ownStop !== undefined ? 'safe_stop' : signalled ? 'signal' : 'duration';
}

/** A session whose robot is simulated: episodes reset (and randomise) it and run on sim time. */
export interface EpisodeSession extends Session<SimulatedRobot> {
  readonly task: Task;
  runEpisode(e: EpisodeOptions, onLoop?: (loop: ControlLoop, parts: LoopParts) => void): Promise<EpisodeResult>;
}

/**
 * Where eval and training get simulated sessions from, injected by the composition root (the
 * CLI, or a training script). `module` is the URL of a module exporting this source as
 * `sessions`, so that an eval worker thread opens the same kind of session.
 */
export interface SessionSource {
  readonly module: string;
  open(o: SimSessionOptions): Promise<EpisodeSession>;
}
