/**
 * The world-model part of a session: the model loaded once, and the hook of `--wm-mode`
 * (plan, shield, monitor) built per episode or run against that run's safety supervisor.
 */
import { AxonError } from '../core/errors.ts';
import type { RobotSpec } from '../core/robot.ts';
import { loadModelFolder, ManifestError, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import { ObservationBuilder } from '../model/ObservationBuilder.ts';
import { modelDefaults, mapJoints } from '../model/jointMap.ts';
import { PassThroughHook, type WorldModelHook } from '../worldmodel/types.ts';
import { OnnxWorldModel } from '../worldmodel/OnnxWorldModel.ts';
import type { GuardedOptions } from '../policy/guardedSession.ts';
import { QuadraticCost } from '../worldmodel/TrajectoryCost.ts';
import { CemPlanner, MppiPlanner, defaultPlannerOptions } from '../worldmodel/Planner.ts';
import { Constraints } from '../worldmodel/Constraints.ts';
import { BatchPolicy, holdContinuation, type Continuation } from '../worldmodel/BatchPolicy.ts';
import { PlanHook } from '../worldmodel/PlanHook.ts';
import { ShieldHook, defaultShieldOptions } from '../worldmodel/ShieldHook.ts';
import { MonitorHook } from '../worldmodel/MonitorHook.ts';
import { SentAction } from '../worldmodel/SentAction.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { VelocityCommand } from '../loop/VelocityCommand.ts';
import type { WmMode, WorldModelOptions } from './types.ts';

/** The world model of a session and what its hooks are built from. */
export interface SessionWorldModel {
  readonly folder: ModelFolder;
  readonly model: OnnxWorldModel;
  readonly options: WorldModelOptions;
  /** The shield's continuation: the policy's own network on predicted states, or a hold. */
  readonly continuation: Continuation;
  readonly continuationKind: 'policy' | 'hold';
}

/** Reads and checks a world-model folder (kind, joints on this robot, dt = the loop period) before anything is loaded. */
export function worldModelFolder(o: WorldModelOptions): ModelFolder {
  const folder = loadModelFolder(o.dir);
  if (folder.manifest.kind !== 'world-model')
    throw new ManifestError('MANIFEST_FIELD', `${o.dir}/manifest.json#/kind`, `is "${folder.manifest.kind}"`, '"world-model" for --world-model');
  return folder;
}

/** Loads the world model of a session on `spec` whose loop runs every `period` s under the policy folder `policy` (if any). */
export async function loadSessionWorldModel(
  wmFolder: ModelFolder,
  o: WorldModelOptions,
  spec: RobotSpec,
  period: number,
  policy: { readonly folder: ModelFolder; readonly zero: boolean } | undefined,
  guard?: GuardedOptions,
): Promise<SessionWorldModel> {
  const wm = wmFolder.manifest;
  new ObservationBuilder(wm, spec); // refuses a world model whose joints the robot lacks
  if (Math.abs(wm.world_model!.dt - period) > 1e-9)
    throw new ManifestError('MODEL_MISMATCH', `${o.dir}/manifest.json#/world_model/dt`, `is ${wm.world_model!.dt} s but the loop period is ${period} s`, `${period} s`);
  const model = await OnnxWorldModel.load(wmFolder, { maxBatch: Math.max(64, o.plan?.samples ?? defaultPlannerOptions.samples), ...(guard ? { onnxRun: 'guarded' as const, guard } : {}) });
  let continuation: Continuation = holdContinuation;
  let continuationKind: 'policy' | 'hold' = 'hold';
  if (o.mode === 'shield' && policy && !policy.zero && o.shield?.continuation === 'policy') {
    const m = policy.folder.manifest;
    try {
      continuation = await BatchPolicy.load(policy.folder, model.stateNames, modelDefaults(m, spec, mapJoints(m.joints, spec, 'manifest.json#/joints')), 2 + (o.shield?.samples ?? defaultShieldOptions.samples), guard);
      continuationKind = 'policy';
    } catch (e) {
      if (!(e instanceof AxonError)) throw e;
    }
  }
  return { folder: wmFolder, model, options: o, continuation, continuationKind };
}

/** A policy and a world model used together must share the raw action space. */
export function checkActionsMatch(p: ModelManifest, w: ModelManifest, pDir: string, wDir: string): void {
  const pa = p.action, wa = w.action;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const pj = pa.joints ?? p.joints, wj = wa.joints ?? w.joints;
  const diffs: string[] = [];
  if (pa.type !== wa.type) diffs.push(`type ${pa.type} vs ${wa.type}`);
  if (!same(pj, wj)) diffs.push(`joints [${pj.join(', ')}] vs [${wj.join(', ')}]`);
  if (!same(pa.scale ?? 1, wa.scale ?? 1)) diffs.push(`scale ${JSON.stringify(pa.scale ?? 1)} vs ${JSON.stringify(wa.scale ?? 1)}`);
  if (!same(pa.clip ?? null, wa.clip ?? null)) diffs.push(`clip ${pa.clip} vs ${wa.clip}`);
  if (!same(pa.target_clip ?? null, wa.target_clip ?? null)) diffs.push(`target_clip ${JSON.stringify(pa.target_clip ?? null)} vs ${JSON.stringify(wa.target_clip ?? null)}`);
  if (Math.abs(p.control_hz - w.control_hz) > 1e-9) diffs.push(`control_hz ${p.control_hz} vs ${w.control_hz}`);
  if (diffs.length > 0)
    throw new ManifestError('MODEL_MISMATCH', `${wDir}/manifest.json#/action`, `does not match the policy ${pDir}: ${diffs.join('; ')}`, 'the same raw action space (type, joints, scale, clip, target_clip) and rate');
}

/** The hook of `--wm-mode`, built per episode or run (the safety supervisor is the event sink). */
export function makeHook(
  w: SessionWorldModel | undefined,
  o: { readonly hookOff?: boolean; readonly seedWithPolicy: boolean },
  spec: RobotSpec,
  command: VelocityCommand,
  safety: SafetySupervisor,
  seed: number,
): WorldModelHook {
  if (w === undefined || o.hookOff) return new PassThroughHook();
  const wm = w.folder.manifest;
  const ws = wm.world_model!;
  const clip = wm.action.clip ?? 1;
  const builder = command.feed(new ObservationBuilder(wm, spec)); // a world model may read the velocity command too
  const model = w.model;
  if (w.options.mode === 'plan') {
    if (ws.cost === undefined) throw new ManifestError('MANIFEST_FIELD', `${w.options.dir}/manifest.json#/world_model/cost`, 'is missing', 'a cost for --wm-mode plan');
    const cost = QuadraticCost.fromSpec(ws.cost, model.stateNames, model.isAngle, model.actionSize);
    const options = { ...w.options.plan, actionClip: clip, seed };
    const planner = (w.options.planner ?? 'mppi') === 'cem' ? new CemPlanner(model, cost, options) : new MppiPlanner(model, cost, options);
    return new PlanHook(planner, builder, model.actionSize, { seedWithPolicy: o.seedWithPolicy }, seed);
  }
  if (w.options.mode === 'shield') {
    if (!ws.constraints?.length) throw new ManifestError('MANIFEST_FIELD', `${w.options.dir}/manifest.json#/world_model/constraints`, 'is missing', 'constraints for --wm-mode shield');
    const { continuation: _c, ...shield } = w.options.shield ?? {};
    const hook = new ShieldHook(model, builder, Constraints.fromSpec(ws.constraints, model.stateNames), w.continuation, safety, { ...shield, actionClip: clip, seed });
    hook.reset(seed);
    return hook;
  }
  const m = ws.monitor;
  return new MonitorHook(model, builder, safety, {
    ...(m ? { threshold: m.threshold, ticks: m.ticks, ...(m.stop_ticks ? { stopTicks: m.stop_ticks } : {}) } : {}),
    ...w.options.monitor,
    actionClip: clip,
  }, new SentAction(wm, spec));
}

/** A plan or shield hook, with what a viewer or recorder needs to draw or keep its rollouts. */
export interface TracedWorldModel {
  readonly hook: WorldModelHook;
  readonly mode: 'plan' | 'shield';
  /** Where joint positions sit in the world-model state. */
  readonly jointSlots: ReturnType<ObservationBuilder['jointPositionSlots']>;
  readonly stateNames: readonly string[];
  /** s */
  readonly dt: number;
}

/** The traceable view of a run's hook (plan or shield), undefined for the others. */
export function tracedWorldModel(w: SessionWorldModel | undefined, hookOff: boolean | undefined, hook: WorldModelHook, spec: RobotSpec): TracedWorldModel | undefined {
  if (!w || hookOff || (w.options.mode !== 'plan' && w.options.mode !== 'shield')) return undefined;
  return { hook, mode: w.options.mode, jointSlots: new ObservationBuilder(w.folder.manifest, spec).jointPositionSlots(), stateNames: w.model.stateNames, dt: w.model.dt };
}

/**
 * Keeps a plan or shield hook's rollouts (`rows` per tick) for a viewer (ghost paths) and a
 * recorder (the predicted trajectory); undefined for other hooks. Call once per episode, before
 * the loop runs: the viewer and the recorder then share the one trace.
 */
export function traceWorldModel(wm: TracedWorldModel | undefined, rows: number) {
  const trace = wm?.hook.enableTrace?.(rows);
  return wm && trace ? { trace, mode: wm.mode, dt: wm.dt, stateNames: wm.stateNames, jointSlots: wm.jointSlots } : undefined;
}

/** What the world-model hook did in one episode or run. */
export interface EpisodeWorldModel {
  readonly mode: WmMode;
  /** Shield: commands replaced. */
  readonly vetoes: number;
  /** Monitor: largest surprise; time (s) from the fault (or episode start) to the first surprise event, NaN when none. */
  readonly maxSurprise: number;
  readonly surpriseEventS: number;
  /** Monitor: ticks not compared (the observation was not one model step after the prediction's: repeated, late). */
  readonly skippedTicks: number;
  /** Time of the injected fault (s), NaN when none. */
  readonly faultS: number;
}

export function episodeWorldModel(w: SessionWorldModel | undefined, hook: WorldModelHook, faultS = Number.NaN): EpisodeWorldModel | undefined {
  if (!w) return undefined;
  const mon = hook instanceof MonitorHook ? hook : undefined;
  return {
    mode: w.options.mode,
    vetoes: hook instanceof ShieldHook ? hook.vetoes : 0,
    maxSurprise: mon ? mon.maxSurprise : Number.NaN,
    surpriseEventS: mon ? mon.firstEventTime - (Number.isNaN(faultS) ? 0 : faultS) : Number.NaN,
    skippedTicks: mon ? mon.skippedTicks : 0,
    faultS,
  };
}

/** The `world_model` object of a run's JSON summary (sim and run alike). */
export function worldModelSummary(dir: string, w: EpisodeWorldModel, r: (x: number, d: number) => number) {
  return {
    model: dir,
    mode: w.mode,
    ...(w.mode === 'shield' ? { vetoes: w.vetoes } : {}),
    ...(w.mode === 'monitor'
      ? { max_surprise: r(w.maxSurprise, 2), skipped_ticks: w.skippedTicks, fault_s: Number.isNaN(w.faultS) ? null : r(w.faultS, 3), surprise_event_after_s: Number.isNaN(w.surpriseEventS) ? null : r(w.surpriseEventS, 3) }
      : {}),
  };
}
