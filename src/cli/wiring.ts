/**
 * The composition root: the one place in src/ that knows the simulator (sim/) and, later, the
 * hardware layer. It turns CLI options into a robot, a policy and a loop.
 */
import { createSimRobot, createTask, randomize, robotNames, Rng } from '../../sim/index.ts';
import type { SimulatedRobot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import { UsageError } from '../core/errors.ts';
import { loadModelFolder, observationSize, actionSize, ManifestError, type ModelFolder } from '../model/manifest.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { ActionMapper } from '../model/ActionMapper.ts';
import { OnnxPolicy } from '../policy/OnnxPolicy.ts';
import { ZeroPolicy, type Policy } from '../policy/Policy.ts';
import { PassThroughHook } from '../worldmodel/types.ts';
import { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { SimClock } from '../clock/SimClock.ts';
import { ControlLoop, type LoopResult } from '../loop/ControlLoop.ts';

export interface SessionOptions {
  readonly robot: string;
  readonly policy: string;
  /** Physics rate (Hz); the policy rate comes from the manifest. */
  readonly physicsHz: number;
  /** Replace the model's output by zeros (the do-nothing baseline). */
  readonly zeroPolicy?: boolean;
}

/** A robot, its model and the pieces of the loop, built once and reused across episodes. */
export interface SimSession {
  readonly robot: SimulatedRobot;
  readonly folder: ModelFolder;
  readonly policy: Policy;
  readonly task: Task;
  readonly period: number;
  close(): Promise<void>;
}

export async function openSimSession(o: SessionOptions): Promise<SimSession> {
  if (!robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
  const folder = loadModelFolder(o.policy);
  const m = folder.manifest;
  if (m.kind !== 'policy') throw new ManifestError('MANIFEST_FIELD', `${o.policy}/manifest.json#/kind`, `is "${m.kind}"`, '"policy" for --policy');
  const physicsDt = 1 / o.physicsHz;
  const period = 1 / m.control_hz;
  const decimation = period / physicsDt;
  if (Math.abs(decimation - Math.round(decimation)) > 1e-6 || decimation < 1)
    throw new UsageError('--physics-hz', `${o.physicsHz} Hz is not a whole multiple of the model's control rate ${m.control_hz} Hz`, `a multiple of ${m.control_hz}`);
  const robot = createSimRobot(o.robot, { physicsDt });
  const policy = o.zeroPolicy ? new ZeroPolicy(m, observationSize(m), actionSize(m)) : await OnnxPolicy.load(folder);
  const task = createTask(o.robot);
  return { robot, folder, policy, task, period, close: async () => { await policy.close(); await robot.close(); } };
}

export interface EpisodeOptions {
  readonly seed: number;
  readonly randomize: boolean;
  /** Episode length (s); default: the task's. */
  readonly durationS?: number;
  readonly realtime?: boolean;
  /** Keep running after the task terminates (sim shows what happens next). */
  readonly continueAfterTerminate?: boolean;
}

export interface EpisodeResult {
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  readonly success: boolean;
  readonly steps: number;
  readonly episodeReturn: number;
  readonly terminated: boolean;
  readonly randomization: Record<string, number>;
}

/** One episode: reset (and randomise) the robot under `seed`, then run the loop on sim time. */
export async function runEpisode(s: SimSession, e: EpisodeOptions, onLoop?: (loop: ControlLoop) => void): Promise<EpisodeResult> {
  const { robot, folder, policy, task, period } = s;
  const rng = new Rng(e.seed);
  robot.reset(e.seed);
  const randomization = e.randomize ? randomize(robot, rng) : {};
  const durationS = e.durationS ?? task.episodeS;
  const clock = new SimClock(period, (dt) => robot.step(dt), { realtime: e.realtime ?? false });
  const safety = new SafetySupervisor(robot.spec, period);
  const loop = new ControlLoop({
    robot,
    clock,
    builder: new ObservationBuilder(folder.manifest, robot.spec),
    policy,
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(folder.manifest, robot.spec),
    safety,
    task,
    stopOnTerminate: !e.continueAfterTerminate,
    maxTicks: Math.round(durationS / period),
  });
  onLoop?.(loop);
  const result = await loop.run();
  return {
    loop: result,
    safety,
    success: task.success && !result.stopped,
    steps: result.ticks,
    episodeReturn: task.totalReward,
    terminated: result.terminated,
    randomization,
  };
}

/** Per-episode seed from the run seed: a pure function, so any episode can be re-run alone. */
export function episodeSeed(seed: number, episode: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(episode + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
