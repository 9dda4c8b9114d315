/**
 * The composition root: the one place in src/ that knows the simulator (sim/) and, later, the
 * hardware layer. It turns CLI options into a robot, a policy and a loop.
 */
import { createSimRobot, createTask, FreeRunTask, randomize, robotNames, Rng, type SimRobot } from '../../sim/index.ts';
import type { JointCommand, SimulatedRobot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import { AxonError, UsageError } from '../core/errors.ts';
import { loadModelFolder, observationSize, actionSize, ManifestError, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { ActionMapper } from '../model/ActionMapper.ts';
import { modelDefaults, mapJoints } from '../model/jointMap.ts';
import { loadPolicy } from '../policy/loadPolicy.ts';
import { assertModelFits } from '../model/checkModel.ts';
import { PausableClock, type SimControl } from '../viewer/PausableClock.ts';
import { ZeroPolicy, type Policy } from '../policy/Policy.ts';
import { PassThroughHook, type WorldModelHook } from '../worldmodel/types.ts';
import { OnnxWorldModel } from '../worldmodel/OnnxWorldModel.ts';
import { QuadraticCost } from '../worldmodel/TrajectoryCost.ts';
import { CemPlanner, MppiPlanner, defaultPlannerOptions, type PlannerOptions } from '../worldmodel/Planner.ts';
import { Constraints } from '../worldmodel/Constraints.ts';
import { BatchPolicy, holdContinuation, type Continuation } from '../worldmodel/BatchPolicy.ts';
import { PlanHook } from '../worldmodel/PlanHook.ts';
import { ShieldHook, defaultShieldOptions, type ShieldOptions } from '../worldmodel/ShieldHook.ts';
import { MonitorHook, defaultMonitorOptions, type MonitorOptions } from '../worldmodel/MonitorHook.ts';
import { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { SimClock } from '../clock/SimClock.ts';
import { ControlLoop, type LoopResult } from '../loop/ControlLoop.ts';
import { VelocityCommand } from '../loop/VelocityCommand.ts';
import { holdPoseFolder, movingJoints, urdfRobot, urdfSetup, type UrdfRobotFlags, type UrdfSetup } from './urdfSession.ts';
import { StandTask } from '../../sim/tasks/stand.ts';
import { WatchedTask } from '../../sim/watchdog/StateWatchdog.ts';

export type WmMode = 'plan' | 'shield' | 'monitor';

/** `--world-model DIR --wm-mode ...` and the planner / shield / monitor flags. */
export interface WorldModelOptions {
  readonly dir: string;
  readonly mode: WmMode;
  readonly planner?: 'mppi' | 'cem';
  /** Planner overrides (K, H, iterations, noise, temperature, elite fraction). */
  readonly plan?: Partial<Pick<PlannerOptions, 'samples' | 'horizon' | 'iterations' | 'noiseStd' | 'temperature' | 'eliteFraction'>>;
  readonly shield?: Partial<Pick<ShieldOptions, 'horizon' | 'samples' | 'noiseStd'>> & { readonly continuation?: 'policy' | 'hold' };
  readonly monitor?: Partial<Pick<MonitorOptions, 'threshold' | 'ticks' | 'stopTicks' | 'degradeScale'>>;
}

/** Fault injection at a sim time: pole mass × factor, or the motors' strength × factor. */
export interface FaultOptions {
  readonly kind: 'mass' | 'motor';
  readonly factor: number;
  /** s of sim time after the episode start */
  readonly atS: number;
  /** Link whose mass changes (mass faults); default 'pole'. */
  readonly link?: string;
}

export interface SessionOptions {
  readonly robot: string;
  /** Policy folder; optional only with a world model in plan mode (planning alone). */
  readonly policy?: string;
  /** Physics rate (Hz); the policy rate comes from the manifest. */
  readonly physicsHz: number;
  /** Replace the model's output by zeros (the do-nothing baseline). */
  readonly zeroPolicy?: boolean;
  readonly worldModel?: WorldModelOptions;
  /** Gaussian noise (std, raw action units) added to the policy's output: a degraded policy. */
  readonly actionNoise?: number;
  readonly fault?: FaultOptions;
  /** Load the world model but keep the loop's hook pass-through (baselines: e.g. random actions instead of planning). */
  readonly hookOff?: boolean;
  /** Run the policy in a worker thread (the loop never waits); a request older than this is a stall (s). */
  readonly asyncStallS?: number;
  /** A user's URDF instead of a shipped robot (`--urdf FILE`) and its set-up flags; `robot` is then only its label. */
  readonly urdf?: UrdfRobotFlags;
  /** Initial velocity command (vx m/s, vy m/s, wz rad/s; `--command`), clamped to the manifest's command_ranges. */
  readonly velocityCommand?: readonly [number, number, number];
}

/** The world model of a session and what its hooks are built from. */
export interface SessionWorldModel {
  readonly folder: ModelFolder;
  readonly model: OnnxWorldModel;
  readonly options: WorldModelOptions;
  /** The shield's continuation: the policy's own network on predicted states, or a hold. */
  readonly continuation: Continuation;
  readonly continuationKind: 'policy' | 'hold';
}

/** A robot, its model and the pieces of the loop, built once and reused across episodes. */
export interface SimSession {
  readonly robot: SimulatedRobot;
  /** The folder whose manifest drives the observation builder and action mapper: the policy's, or the world model's when planning alone. */
  readonly folder: ModelFolder;
  readonly policy: Policy;
  readonly task: Task;
  readonly period: number;
  readonly worldModel?: SessionWorldModel;
  readonly options: SessionOptions;
  /** A user's URDF: what the set-up decided (base, IMU link, gains, PD integration). */
  readonly setup?: UrdfSetup;
  /** The operator's velocity command (the velocity_commands term), fed to every episode's observation builder. */
  readonly command: VelocityCommand;
  close(): Promise<void>;
}

export async function openSimSession(o: SessionOptions): Promise<SimSession> {
  if (o.urdf === undefined && !robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
  const lookFirst = o.policy === undefined && o.worldModel === undefined && o.urdf !== undefined;
  if (o.policy === undefined && !lookFirst && !(o.worldModel && o.worldModel.mode === 'plan'))
    throw new UsageError('--policy', 'is required', 'a policy folder, or --world-model DIR --wm-mode plan to plan without one (with --urdf and no policy the robot holds its default pose)');
  const wmFolder = o.worldModel ? loadModelFolder(o.worldModel.dir) : undefined;
  if (wmFolder && wmFolder.manifest.kind !== 'world-model')
    throw new ManifestError('MANIFEST_FIELD', `${o.worldModel!.dir}/manifest.json#/kind`, `is "${wmFolder.manifest.kind}"`, '"world-model" for --world-model');
  const setup = o.urdf ? urdfSetup(o.urdf, o.policy !== undefined ? loadModelFolder(o.policy).manifest : undefined, 1 / o.physicsHz, `${o.policy}/manifest.json`) : undefined;
  const folder = o.policy !== undefined ? loadModelFolder(o.policy) : lookFirst ? holdPoseFolder(setup!.model.name, movingJoints(setup!.model).map((j) => j.name)) : wmFolder!;
  const m = folder.manifest;
  if (o.policy !== undefined && m.kind !== 'policy') throw new ManifestError('MANIFEST_FIELD', `${o.policy}/manifest.json#/kind`, `is "${m.kind}"`, '"policy" for --policy');
  if (wmFolder && o.policy !== undefined) checkActionsMatch(m, wmFolder.manifest, o.policy, o.worldModel!.dir);
  const physicsDt = 1 / o.physicsHz;
  const period = 1 / m.control_hz;
  const decimation = period / physicsDt;
  if (Math.abs(decimation - Math.round(decimation)) > 1e-6 || decimation < 1)
    throw new UsageError('--physics-hz', `${o.physicsHz} Hz is not a whole multiple of the model's control rate ${m.control_hz} Hz`, `a multiple of ${m.control_hz}`);
  const robot = setup ? urdfRobot(setup) : createSimRobot(o.robot, { physicsDt });
  if (o.urdf) for (const n of robot.notes) process.stderr.write(`axon: note ${n.code}: ${n.where}: ${n.message}\n`);
  if (o.policy !== undefined) assertModelFits(m, robot.spec, { robotHz: o.physicsHz }, `${o.policy}/manifest.json`);
  let policy: Policy = o.policy === undefined || lookFirst ? new ZeroPolicy(m, observationSize(m), actionSize(m)) : await loadPolicy(folder, { zero: o.zeroPolicy, ...(o.asyncStallS !== undefined ? { async: { stallS: o.asyncStallS } } : {}) });
  if (o.actionNoise !== undefined && o.actionNoise > 0) policy = new NoisyPolicy(policy, o.actionNoise);
  const task = setup ? (setup.fixedBase ? new FreeRunTask() : new StandTask()) : createTask(o.robot);
  let worldModel: SessionWorldModel | undefined;
  if (wmFolder && o.worldModel) {
    const wm = wmFolder.manifest;
    new ObservationBuilder(wm, robot.spec); // refuses a world model whose joints the robot lacks
    if (Math.abs(wm.world_model!.dt - period) > 1e-9)
      throw new ManifestError('MODEL_MISMATCH', `${o.worldModel.dir}/manifest.json#/world_model/dt`, `is ${wm.world_model!.dt} s but the loop period is ${period} s`, `${period} s`);
    const model = await OnnxWorldModel.load(wmFolder, { maxBatch: Math.max(64, o.worldModel.plan?.samples ?? defaultPlannerOptions.samples) });
    let continuation: Continuation = holdContinuation;
    let continuationKind: 'policy' | 'hold' = 'hold';
    if (o.worldModel.mode === 'shield' && o.policy !== undefined && !o.zeroPolicy && o.worldModel.shield?.continuation === 'policy') {
      try {
        continuation = await BatchPolicy.load(folder, model.stateNames, modelDefaults(m, robot.spec, mapJoints(m.joints, robot.spec, 'manifest.json#/joints')), 2 + (o.worldModel.shield?.samples ?? defaultShieldOptions.samples));
        continuationKind = 'policy';
      } catch (e) {
        if (!(e instanceof AxonError)) throw e;
      }
    }
    worldModel = { folder: wmFolder, model, options: o.worldModel, continuation, continuationKind };
  }
  return {
    robot,
    folder,
    policy,
    task,
    period,
    worldModel,
    options: o,
    ...(setup ? { setup } : {}),
    command: VelocityCommand.forManifest(m, o.velocityCommand),
    close: async () => {
      await policy.close();
      await worldModel?.model.close();
      if (worldModel?.continuation instanceof BatchPolicy) await worldModel.continuation.close();
      await robot.close();
    },
  };
}

/** A policy and a world model used together must share the raw action space. */
function checkActionsMatch(p: ModelManifest, w: ModelManifest, pDir: string, wDir: string): void {
  const pa = p.action, wa = w.action;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const pj = pa.joints ?? p.joints, wj = wa.joints ?? w.joints;
  const diffs: string[] = [];
  if (pa.type !== wa.type) diffs.push(`type ${pa.type} vs ${wa.type}`);
  if (!same(pj, wj)) diffs.push(`joints [${pj.join(', ')}] vs [${wj.join(', ')}]`);
  if (!same(pa.scale ?? 1, wa.scale ?? 1)) diffs.push(`scale ${JSON.stringify(pa.scale ?? 1)} vs ${JSON.stringify(wa.scale ?? 1)}`);
  if (!same(pa.clip ?? null, wa.clip ?? null)) diffs.push(`clip ${pa.clip} vs ${wa.clip}`);
  if (Math.abs(p.control_hz - w.control_hz) > 1e-9) diffs.push(`control_hz ${p.control_hz} vs ${w.control_hz}`);
  if (diffs.length > 0)
    throw new ManifestError('MODEL_MISMATCH', `${wDir}/manifest.json#/action`, `does not match the policy ${pDir}: ${diffs.join('; ')}`, 'the same raw action space (type, joints, scale, clip) and rate');
}

/**
 * A degraded policy for shield experiments: Gaussian noise of `std` (raw action units) on every
 * output, seeded per episode (reseed) so that runs are reproducible.
 */
class NoisyPolicy implements Policy {
  readonly manifest: ModelManifest;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly out: Float32Array;
  private rng = new Rng(1);
  constructor(
    private readonly inner: Policy,
    private readonly std: number,
  ) {
    this.manifest = inner.manifest;
    this.inputSize = inner.inputSize;
    this.outputSize = inner.outputSize;
    this.out = new Float32Array(inner.outputSize);
  }
  reseed(seed: number): void {
    this.rng = new Rng(seed ^ 0x5eed);
  }
  reset(): void {
    this.inner.reset();
  }
  act(input: Float32Array): Float32Array | Promise<Float32Array> {
    const r = this.inner.act(input);
    const add = (a: Float32Array) => {
      for (let j = 0; j < this.outputSize; j++) this.out[j] = a[j] + this.std * this.rng.normal();
      return this.out;
    };
    return r instanceof Promise ? r.then(add) : add(r);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The hook of `--wm-mode`, built per episode (the safety supervisor is the event sink). */
function makeHook(s: SimSession, safety: SafetySupervisor, seed: number): WorldModelHook {
  const w = s.worldModel;
  if (w === undefined || s.options.hookOff) return new PassThroughHook();
  const wm = w.folder.manifest;
  const spec = wm.world_model!;
  const clip = wm.action.clip ?? 1;
  const builder = s.command.feed(new ObservationBuilder(wm, s.robot.spec)); // a world model may read the velocity command too
  const model = w.model;
  if (w.options.mode === 'plan') {
    if (spec.cost === undefined) throw new ManifestError('MANIFEST_FIELD', `${w.options.dir}/manifest.json#/world_model/cost`, 'is missing', 'a cost for --wm-mode plan');
    const cost = QuadraticCost.fromSpec(spec.cost, model.stateNames, model.isAngle, model.actionSize);
    const options = { ...w.options.plan, actionClip: clip, seed };
    const planner = (w.options.planner ?? 'mppi') === 'cem' ? new CemPlanner(model, cost, options) : new MppiPlanner(model, cost, options);
    return new PlanHook(planner, builder, model.actionSize, { seedWithPolicy: s.options.policy !== undefined && !s.options.zeroPolicy }, seed);
  }
  if (w.options.mode === 'shield') {
    if (!spec.constraints?.length) throw new ManifestError('MANIFEST_FIELD', `${w.options.dir}/manifest.json#/world_model/constraints`, 'is missing', 'constraints for --wm-mode shield');
    const { continuation: _c, ...shield } = w.options.shield ?? {};
    const hook = new ShieldHook(model, builder, Constraints.fromSpec(spec.constraints, model.stateNames), w.continuation, safety, { ...shield, actionClip: clip, seed });
    hook.reset(seed);
    return hook;
  }
  const m = spec.monitor;
  return new MonitorHook(model, builder, safety, {
    ...(m ? { threshold: m.threshold, ticks: m.ticks, ...(m.stop_ticks ? { stopTicks: m.stop_ticks } : {}) } : {}),
    ...w.options.monitor,
    actionClip: clip,
  });
}

/** Scales effort / feed-forward of every command by `factor` once `active` (a weakened motor). */
class WeakMotors implements SimulatedRobot {
  active = false;
  private readonly cmd: JointCommand;
  constructor(
    private readonly robot: SimulatedRobot,
    private readonly factor: number,
  ) {
    const n = robot.spec.joints.length;
    this.cmd = { mode: 'effort', target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n), feedforward: new Float64Array(n) };
  }
  get spec() {
    return this.robot.spec;
  }
  get health$() {
    return this.robot.health$;
  }
  get physicsDt() {
    return this.robot.physicsDt;
  }
  connect() {
    return this.robot.connect();
  }
  observe() {
    return this.robot.observe();
  }
  command(c: JointCommand): void {
    if (!this.active || c.mode !== 'effort') return this.robot.command(c);
    const k = this.factor, d = this.cmd;
    d.mode = c.mode;
    for (let i = 0; i < d.target.length; i++) {
      d.target[i] = c.target[i] * k;
      d.kp![i] = c.kp?.[i] ?? 0;
      d.kd![i] = c.kd?.[i] ?? 0;
      d.feedforward![i] = (c.feedforward?.[i] ?? 0) * k;
    }
    this.robot.command(d);
  }
  step(dt: number) {
    this.robot.step(dt);
  }
  reset(seed?: number) {
    this.robot.reset(seed);
  }
  close() {
    return this.robot.close();
  }
}

export interface EpisodeOptions {
  readonly seed: number;
  readonly randomize: boolean;
  /** Episode length (s); default: the task's. */
  readonly durationS?: number;
  readonly realtime?: boolean;
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
  /**
   * The world-model hook of a plan or shield run, with what a viewer needs to draw its rollouts:
   * `hook.enableTrace(rows)` keeps them (before the loop runs); joint positions sit in the
   * world-model state at `jointSlots`.
   */
  readonly worldModel?: {
    readonly hook: WorldModelHook;
    readonly mode: 'plan' | 'shield';
    readonly jointSlots: ReturnType<ObservationBuilder['jointPositionSlots']>;
    readonly stateNames: readonly string[];
    readonly dt: number;
  };
}

/**
 * Keeps a plan or shield hook's rollouts (`rows` per tick) for a viewer (ghost paths) and a
 * recorder (the predicted trajectory); undefined for other hooks. Call once per episode, before
 * the loop runs: the viewer and the recorder then share the one trace.
 */
export function traceWorldModel(wm: LoopParts['worldModel'], rows: number) {
  const trace = wm?.hook.enableTrace?.(rows);
  return wm && trace ? { trace, mode: wm.mode, dt: wm.dt, stateNames: wm.stateNames, jointSlots: wm.jointSlots } : undefined;
}

/** What the world-model hook did in one episode. */
export interface EpisodeWorldModel {
  readonly mode: WmMode;
  /** Shield: commands replaced. */
  readonly vetoes: number;
  /** Monitor: largest surprise; time (s) from the fault (or episode start) to the first surprise event, NaN when none. */
  readonly maxSurprise: number;
  readonly surpriseEventS: number;
  /** Sim time of the injected fault (s), NaN when none. */
  readonly faultS: number;
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

/** One episode: reset (and randomise) the robot under `seed`, then run the loop on sim time. */
export async function runEpisode(s: SimSession, e: EpisodeOptions, onLoop?: (loop: ControlLoop, parts: LoopParts) => void): Promise<EpisodeResult> {
  const { robot, folder, policy, task, period } = s;
  const rng = new Rng(e.seed);
  robot.reset(e.seed);
  const randomization = e.randomize ? randomize(robot, rng) : {};
  const durationS = e.durationS ?? task.episodeS;
  const simClock = new SimClock(period, (dt) => robot.step(dt), { realtime: e.realtime ?? false });
  const clock = e.pausable ? new PausableClock(simClock, { realtime: e.realtime ?? false }) : simClock;
  const safety = new SafetySupervisor(robot.spec, period);
  if (policy instanceof NoisyPolicy) policy.reseed(e.seed);
  const hook = makeHook(s, safety, e.seed);
  const fault = s.options.fault;
  const weak = fault?.kind === 'motor' ? new WeakMotors(robot, fault.factor) : undefined;
  let faultS = Number.NaN;
  // The state watchdog: a blown-up simulation is a safety event, the episode ends and is invalid.
  let running: ControlLoop | undefined;
  const watched = new WatchedTask(task, robot.spec, (reason, obs) => {
    safety.reportStateWatchdog(reason, obs.time, obs.seq);
    running?.stop();
  });
  const loop = new ControlLoop({
    robot: weak ?? robot,
    clock,
    builder: s.command.feed(new ObservationBuilder(folder.manifest, robot.spec)),
    policy,
    worldModel: hook,
    mapper: new ActionMapper(folder.manifest, robot.spec),
    safety,
    task: watched,
    stopOnTerminate: !e.continueAfterTerminate,
    maxTicks: Math.round(durationS / period),
  });
  const wm = s.worldModel;
  const traced =
    wm && !s.options.hookOff && (wm.options.mode === 'plan' || wm.options.mode === 'shield')
      ? { hook, mode: wm.options.mode, jointSlots: new ObservationBuilder(wm.folder.manifest, robot.spec).jointPositionSlots(), stateNames: wm.model.stateNames, dt: wm.model.dt }
      : undefined;
  onLoop?.(loop, { safety, ...(clock instanceof PausableClock ? { control: clock } : {}), ...(traced ? { worldModel: traced } : {}) });
  if (fault) {
    const sub = loop.records$.subscribe((rec) => {
      if (!Number.isNaN(faultS) || rec.time + 1e-9 < fault.atS) return;
      faultS = rec.time;
      if (weak) weak.active = true;
      else {
        const sim = robot as SimRobot;
        const link = fault.link ?? 'pole';
        sim.setLinkMass(link, sim.nominalLinkMass(link) * fault.factor);
      }
      sub.unsubscribe();
    });
  }
  running = loop;
  const result = await loop.run();
  const mon = hook instanceof MonitorHook ? hook : undefined;
  const worldModel: EpisodeWorldModel | undefined = s.worldModel && {
    mode: s.worldModel.options.mode,
    vetoes: hook instanceof ShieldHook ? hook.vetoes : 0,
    maxSurprise: mon ? mon.maxSurprise : Number.NaN,
    surpriseEventS: mon ? mon.firstEventTime - (Number.isNaN(faultS) ? 0 : faultS) : Number.NaN,
    faultS,
  };
  return {
    ...(worldModel ? { worldModel } : {}),
    loop: result,
    safety,
    success: watched.success && !result.stopped,
    ...(watched.invalid !== undefined ? { invalid: watched.invalid } : {}),
    ...(watched.metrics() ? { metrics: watched.metrics()! } : {}),
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
