/**
 * The one session builder: every way of running a loop (`sim`, `run` on hardware, a bridge
 * client, eval workers, training) gets its policy, world-model hook, task, velocity command and
 * safety from here, whatever the robot is. It sees a `Robot` and nothing else: creating a
 * simulated robot, randomising it and injecting faults belong to the simulator's factory
 * (sim/session), opening a bus or a bridge link to the CLI.
 */
import { createCommand, type Robot, type RobotSpec } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import type { Clock } from '../clock/types.ts';
import { UsageError } from '../core/errors.ts';
import { loadModelFolder, observationSize, actionSize, ManifestError, type ModelFolder } from '../model/manifest.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { ActionMapper } from '../model/ActionMapper.ts';
import { assertModelFits } from '../model/checkModel.ts';
import { loadPolicy } from '../policy/loadPolicy.ts';
import { ZeroPolicy, type Policy } from '../policy/Policy.ts';
import type { WorldModelHook } from '../worldmodel/types.ts';
import { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../safety/types.ts';
import { ControlLoop, POLICY_BUDGET, WORLD_MODEL_BUDGET, type StageDeadlines } from '../loop/ControlLoop.ts';
import { VelocityCommand } from '../loop/VelocityCommand.ts';
import { BatchPolicy } from '../worldmodel/BatchPolicy.ts';
import { NoisyPolicy } from './NoisyPolicy.ts';
import type { SessionOptions } from './types.ts';
import {
  checkActionsMatch,
  episodeWorldModel,
  loadSessionWorldModel,
  makeHook,
  tracedWorldModel,
  worldModelFolder,
  type EpisodeWorldModel,
  type SessionWorldModel,
  type TracedWorldModel,
} from './worldModel.ts';

export interface SessionBuild extends SessionOptions {
  /** What an episode is for, when one is known (a shipped robot, also when served over the bridge). */
  readonly task?: Task;
  /** The robot's own rate (Hz) for the model check: a simulator's physics rate; none on hardware. */
  readonly robotHz?: number;
  /** The folder that drives the observation builder and action mapper when there is no policy (hold the default pose). */
  readonly holdFolder?: ModelFolder;
}

/**
 * The folder of a manifest built in memory, with no ONNX file (a model being trained, teleoperation):
 * a session opened with it as `holdFolder` builds the stages for that manifest; a run gives its own policy.
 */
export function manifestOnlyFolder(manifest: ModelFolder['manifest'], label: string): ModelFolder {
  return { dir: `(${label})`, manifest, onnxPath: '' };
}

/**
 * Refuses, before the robot is connected (a servo bus enables torque in connect()), a model whose
 * commands the robot would follow by doing nothing (SafetySupervisor.assertCommandable: velocity
 * mode with kd 0 on an actuator that does not close its own velocity loop). docs/hardware.md and
 * docs/safety.md promise this refusal "before arming"; ControlLoop.run checks again. Static gains
 * (spec defaults, manifest pd, --kp / --kd) above a joint's kpMax / kdMax are refused here too.
 * A bridge client runs it on the hello's spec, before its sim_reset touches the served robot.
 * @throws AxonError SAFETY_VELOCITY_GAIN, SAFETY_GAIN_BOUND
 */
export function assertCommandableBeforeArming(m: ModelFolder['manifest'], spec: RobotSpec, gains: SessionOptions['gains']): void {
  const mapper = new ActionMapper(m, spec, gains);
  const cmd = createCommand(spec, mapper.mode);
  mapper.map(new Float32Array(actionSize(m)), cmd); // zeros: the mode and gains the run will command
  new SafetySupervisor(spec, 1 / m.control_hz).assertCommandable(cmd);
}

/** A robot, its model and the pieces of the loop, built once and reused across episodes or runs. */
export interface Session<R extends Robot = Robot> {
  readonly robot: R;
  /** The folder whose manifest drives the observation builder and action mapper: the policy's, the world model's when planning alone, or a hold-pose folder. */
  readonly folder: ModelFolder;
  readonly policy: Policy;
  readonly task?: Task;
  /** Loop period (s), from the manifest's control rate. */
  readonly period: number;
  readonly worldModel?: SessionWorldModel;
  readonly options: SessionOptions;
  /** The operator's velocity command (the velocity_commands term), fed to every loop's observation builder. */
  readonly command: VelocityCommand;
  /** Builds one run's loop: supervisor, world-model hook, builder and mapper, on this clock. */
  loop(o: LoopBuild): SessionLoop;
  /**
   * One run's stages, built as `loop()` builds them (the observation builder fed by the session's
   * command, the action mapper, the supervisor), for a caller that runs them itself on sim time
   * without a clock: models/train's rollouts, thousands per training.
   */
  stages(safety?: Partial<SafetyConfig>): LoopStages;
  /** What the world-model hook of a finished loop did (fault time in s when one was injected). */
  worldModelResult(hook: WorldModelHook, faultS?: number): EpisodeWorldModel | undefined;
  /** Closes the robot (first: its safe stop), then the policy and the world model. */
  close(): Promise<void>;
}

export interface LoopBuild {
  readonly clock: Clock;
  readonly maxTicks: number;
  /** Ends the loop after this much loop-clock time (s) too (ControlLoopParts.durationS: a live run's --duration). */
  readonly durationS?: number;
  /** Seeds the world-model hook and the action noise of this run (default 1). */
  readonly seed?: number;
  /** The task this loop scores (default the session's; a simulator wraps it in its state watchdog). */
  readonly task?: Task;
  /** The robot this loop commands (default the session's; a simulator may wrap it to inject a fault). */
  readonly robot?: Robot;
  /** The policy this loop runs (default the session's): e.g. a training script's data-collection controller. */
  readonly policy?: Policy;
  readonly stopOnTerminate?: boolean;
  /** Safety settings of this run (a real robot: soft start). */
  readonly safety?: Partial<SafetyConfig>;
  /** The stages' deadlines (ControlLoop): e.g. a real-time simulation's wall-time budget. */
  readonly deadlines?: StageDeadlines;
}

export interface LoopStages {
  readonly builder: ObservationBuilder;
  readonly mapper: ActionMapper;
  readonly safety: SafetySupervisor;
}

export interface SessionLoop {
  readonly loop: ControlLoop;
  readonly safety: SafetySupervisor;
  readonly hook: WorldModelHook;
  /** A plan or shield hook and what a viewer or recorder needs to draw its rollouts. */
  readonly traced?: TracedWorldModel;
}

/**
 * Builds a session on `robot`. From the call on, the session owns the robot: a model that does
 * not fit (or reads a term the robot cannot provide) is refused with the robot untouched and
 * closed, so that an open bridge link or bus does not keep the process alive.
 */
export async function openSession<R extends Robot>(robot: R, o: SessionBuild): Promise<Session<R>> {
  let policy: Policy | undefined;
  let worldModel: SessionWorldModel | undefined;
  try {
    if (o.policy === undefined && o.holdFolder === undefined && !(o.worldModel && o.worldModel.mode === 'plan'))
      throw new UsageError('--policy', 'is required', 'a policy folder, or --world-model DIR --wm-mode plan to plan without one');
    const wmFolder = o.worldModel ? worldModelFolder(o.worldModel) : undefined;
    const folder = o.policy !== undefined ? loadModelFolder(o.policy) : (o.holdFolder ?? wmFolder!);
    const m = folder.manifest;
    if (o.policy !== undefined && m.kind !== 'policy') throw new ManifestError('MANIFEST_FIELD', `${o.policy}/manifest.json#/kind`, `is "${m.kind}"`, '"policy" for --policy');
    if (wmFolder && o.policy !== undefined) checkActionsMatch(m, wmFolder.manifest, o.policy, o.worldModel!.dir);
    if (o.policy !== undefined) assertModelFits(m, robot.spec, o.robotHz !== undefined ? { robotHz: o.robotHz } : {}, `${o.policy}/manifest.json`);
    const period = 1 / m.control_hz;
    assertCommandableBeforeArming(m, robot.spec, o.gains);
    policy =
      o.policy === undefined
        ? new ZeroPolicy(m, observationSize(m), actionSize(m))
        : await loadPolicy(folder, { zero: o.zeroPolicy, ...(o.asyncStallS !== undefined ? { async: { stallS: o.asyncStallS } } : o.guardOnnx ? { guard: { timeoutS: POLICY_BUDGET * period } } : {}) });
    if (o.actionNoise !== undefined && o.actionNoise > 0) policy = new NoisyPolicy(policy, o.actionNoise);
    if (wmFolder && o.worldModel)
      worldModel = await loadSessionWorldModel(wmFolder, o.worldModel, robot.spec, period, o.policy !== undefined ? { folder, zero: o.zeroPolicy ?? false } : undefined, o.guardOnnx ? { timeoutS: WORLD_MODEL_BUDGET * period } : undefined);
    const command = VelocityCommand.forManifest(m, o.velocityCommand);
    const options: SessionOptions = o;
    const seedWithPolicy = o.policy !== undefined && !o.zeroPolicy;
    const p = policy, w = worldModel;
    const stages = (safety: Partial<SafetyConfig> = {}): LoopStages => ({
      builder: command.feed(new ObservationBuilder(m, robot.spec)),
      mapper: new ActionMapper(m, robot.spec, o.gains),
      safety: new SafetySupervisor(robot.spec, period, safety),
    });
    return {
      robot,
      folder,
      policy: p,
      ...(o.task ? { task: o.task } : {}),
      period,
      ...(w ? { worldModel: w } : {}),
      options,
      command,
      stages,
      loop(l: LoopBuild): SessionLoop {
        const { builder, mapper, safety } = stages(l.safety);
        const seed = l.seed ?? 1;
        if (p instanceof NoisyPolicy) p.reseed(seed);
        const hook = makeHook(w, { hookOff: o.hookOff, seedWithPolicy }, robot.spec, command, safety, seed);
        // Its twin warms the code before arming; its events go to a scratch supervisor, its state is its own.
        const warmUp = w && !o.hookOff ? makeHook(w, { hookOff: false, seedWithPolicy }, robot.spec, command, new SafetySupervisor(robot.spec, period), seed) : undefined;
        const task = l.task ?? o.task;
        const loop = new ControlLoop({
          robot: l.robot ?? robot,
          clock: l.clock,
          builder,
          policy: l.policy ?? p,
          worldModel: hook,
          ...(warmUp ? { worldModelWarmUp: warmUp } : {}),
          mapper,
          safety,
          ...(task ? { task } : {}),
          ...(l.stopOnTerminate !== undefined ? { stopOnTerminate: l.stopOnTerminate } : {}),
          maxTicks: l.maxTicks,
          ...(l.durationS !== undefined ? { durationS: l.durationS } : {}),
          ...(l.deadlines ? { deadlines: l.deadlines } : {}),
          ...(o.prewarm === false ? { prewarm: false } : {}),
        });
        const traced = tracedWorldModel(w, o.hookOff, hook, robot.spec);
        return { loop, safety, hook, ...(traced ? { traced } : {}) };
      },
      worldModelResult: (hook, faultS) => episodeWorldModel(w, hook, faultS),
      // The robot first: its close() is its safe stop (hold or torque off), which a slow policy or
      // world-model close must not delay (a stop signal's hard exit may follow: src/session/stopSignals.ts).
      close: async () => {
        try {
          await robot.close();
        } finally {
          await p.close();
          await w?.model.close();
          if (w?.continuation instanceof BatchPolicy) await w.continuation.close();
        }
      },
    };
  } catch (e) {
    await policy?.close().catch(() => {});
    await worldModel?.model.close().catch(() => {});
    await robot.close();
    throw e;
  }
}
