/**
 * A manifest from a `deploy.yaml`, the file unitree_rl_lab's training pipeline writes beside the
 * exported policy (`logs/.../params/deploy.yaml`, by `export_deploy_cfg(env, log_dir)` in
 * source/unitree_rl_lab/unitree_rl_lab/utils/export_deploy_cfg.py, read by the vendor's C++
 * controller in deploy/include/isaaclab/). The format, as that exporter writes it:
 *
 *   joint_ids_map      [modelIndex] = sdkIndex. Built by Isaac Lab's
 *                      resolve_matching_names(articulation joint names, joint_sdk_names,
 *                      preserve_order=True); the controller sends action i to motor
 *                      joint_ids_map[i]. Its length is the model's joint count.
 *   step_dt            policy period (s) = sim.dt · decimation          -> control_hz = 1 / step_dt
 *   sim_dt, decimation optional (not in unitree's exporter; read when a fork adds them) -> decimation
 *   stiffness, damping SDK (motor) order: the exporter fills a zero array of len(joint_sdk_names)
 *                      with `stiffness[joint_ids_map] = default_joint_stiffness` (model order).
 *                      Slots no model joint maps to stay 0. -> pd.kp / pd.kd in action-joint order
 *   armature, effort_limit, velocity_limit, friction
 *                      not written by unitree's exporter; when a fork adds them they are taken to
 *                      be per joint in SDK order like stiffness/damping -> actuators (model order)
 *   default_joint_pos  model order (articulation.data.default_joint_pos[0])   -> default_joint_pos
 *   commands.<name>.ranges.{lin_vel_x, lin_vel_y, ang_vel_z} [min, max]      -> command_ranges
 *                      (heading ignored: axon commands a yaw rate)
 *   actions.<term>     one term (JointPositionAction, JointVelocityAction, ...) with
 *     scale            per action joint (action order)
 *     offset           per action joint (action order = model order restricted to joint_ids):
 *                      the default pose when the term used use_default_offset, else zeros
 *     clip             null, or per action joint [lo, hi] applied to the processed action
 *                      (target = raw·scale + offset), after scaling, as Isaac Lab's JointAction does
 *                      -> action.clip when that is one raw bound for every joint, else action.target_clip
 *     joint_ids        null = every model joint, else model indices
 *     joint_names      the patterns the ids came from (informational)
 *   observations.<term> in the order the policy sees them, each with
 *     params           the mdp function's keyword arguments (velocity_commands: command_name)
 *     scale            per element of one history entry
 *     clip             null or [lo, hi] applied BEFORE scale (Isaac Lab ObservationManager:
 *                      func -> noise -> clip -> scale -> history)
 *     history_length   >= 1 (the exporter writes 0 as 1); Isaac Lab stacks each term's own
 *                      history, oldest first (per_term, oldest_first). The C++ controller fills a
 *                      history at its reset with the term evaluated then (ObservationManager::reset()
 *                      -> ObservationTermCfg::reset(func()), manager_term_cfg.h), and the first step
 *                      pushes its own value after it -> history_fill "reset", for every file
 *   observations.use_gym_history  (beside the terms; newer unitree_rl_lab controllers) true: the
 *                      frames interleaved across terms, oldest first (ObservationManager::compute_group
 *                      reads term.get(h) for h, then term) -> history_layout "per_frame"; false or
 *                      absent: each term's history in a row (per_term)
 *   observations.scale_first  true: scale, then clip to [lo, hi] (the bound on the scaled value, as
 *                      axon clips); false or absent: Isaac Lab's clip before scale
 *   gait_phase         params.period; the C++ controller's first policy step reads 2 control periods
 *                      into the cycle (count_from 2: ObservationManager::reset() evaluates every term
 *                      once after zeroing the phase). unitreerobotics/unitree_rl_mjlab's controller
 *                      (deploy/include/isaaclab/envs/mdp/observations/observations.h) also zeroes it
 *                      while ‖command‖ < 0.1 (stand_below), as its training's `phase` term does;
 *                      unitree_rl_lab's does not. The file cannot tell which controller reads it: an
 *                      ONNX file with mjlab's metadata_props (unitree_rl_mjlab's runner attaches them)
 *                      says unitree_rl_mjlab, and is compared with the file (deployVsMjlab.ts).
 *
 * The term key is the mdp function's name (the vendor controller looks terms up by it).
 * base_lin_vel gets point "com": Isaac Lab's is the root body's centre-of-mass velocity.
 * Such a file carries no joint names: the caller gives the SDK order (a list; the run's env.yaml
 * scene.robot.joint_sdk_names, unitree_rl_lab's robot cfg, which its exporter built joint_ids_map
 * from; or the vendor URDF's actuated joints in file order) and the model order is
 * `sdk[joint_ids_map[i]]`, which the CLI checks against the URDF's tree (src/cli/commands/manifest.ts).
 *
 * unitree_rl_gym's own deploy configs are another format (deploy/deploy_mujoco/configs/*.yaml,
 * deploy/deploy_real/configs/*.yaml: policy_path, kps, default_angles, num_obs, ...): manifestFromDeploy
 * hands them to gymDeploy.ts.
 *
 * The file is written by PyYAML's full dumper, so it may hold Python tags (`!!python/tuple`,
 * `!!python/object/apply:...`, `!!python/name:...`): parseDeployYaml reads tuples as lists,
 * other Python objects as their underlying mapping or list, and names of Python callables as null.
 */
import type { ModelManifest, ObservationTerm } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { compact, gaitPeriod, ImportError, isObj, num, numList, range, rawActionClip, rawFeedback, type DeployImport, type DeployImportOptions, type Obj } from './common.ts';
import { compareWithMjlab } from './deployVsMjlab.ts';
import { isGymDeploy, manifestFromGymDeploy } from './gymDeploy.ts';
import { parsePythonYaml } from './pythonYaml.ts';

export type { DeployImport, DeployImportOptions } from './common.ts';

const termByName: Record<string, ObservationTerm['term']> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  velocity_commands: 'velocity_commands',
  generated_commands: 'velocity_commands',
  joint_pos: 'joint_pos',
  joint_pos_rel: 'joint_pos_rel',
  joint_vel: 'joint_vel',
  joint_vel_rel: 'joint_vel_rel',
  joint_effort: 'joint_effort',
  last_action: 'last_action',
  gait_phase: 'gait_phase',
};

/** Top-level keys this importer reads; any other is reported as ignored. */
const TOP_KEYS = new Set(['joint_ids_map', 'step_dt', 'sim_dt', 'decimation', 'stiffness', 'damping', 'default_joint_pos', 'commands', 'actions', 'observations', 'armature', 'effort_limit', 'velocity_limit', 'friction']);
const ACTUATOR_KEYS = ['armature', 'friction', 'effort_limit', 'velocity_limit'] as const;
const ACTION_KEYS = new Set(['scale', 'offset', 'clip', 'joint_ids', 'joint_names']);
const OBS_KEYS = new Set(['scale', 'clip', 'history_length', 'params']);
/** unitree_rl_mjlab's gait clock reads 0 while ‖command‖ is below this (its observations.h gait_phase, its mdp.phase). */
const MJLAB_STAND_BELOW = 0.1;
/** Relative tolerance for "offset equals the default pose": both come from the same float, rounded to 3 significant digits by the exporter. */
const OFFSET_TOL = 1e-4;

/** Parses deploy.yaml text; Python tags are tolerated (see the module doc), each kind noted once. */
export function parseDeployYaml(text: string, file = 'deploy.yaml'): { cfg: Obj; notes: string[] } {
  return parsePythonYaml(text, file, 'a deploy.yaml mapping (joint_ids_map, step_dt, actions, observations, ...)');
}

/** SceneEntityCfg.joint_ids: slice(None) (a list of nulls once its Python tag is dropped) or every index in order means all joints. */
function selectsSubset(v: unknown, n: number): boolean {
  if (v === undefined || v === null || !Array.isArray(v) || v.every((x) => x === null)) return false;
  return !(v.length === n && v.every((x, i) => x === i));
}

const close = (a: number, b: number) => Math.abs(a - b) <= OFFSET_TOL * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Throws, naming the format, for booster_gym's deploy config (deploy/configs/T1.yaml: `common` with
 * stiffness, damping, default_qpos; `policy` with num_observations, gait_frequency, and in
 * Nyro-Robotics' fork num_stack). Its deploy script (deploy/utils/policy.py, Policy.inference) builds the observation
 * in code, and no manifest reproduces it exactly (docs/byom.md, "Checked against vendor files"):
 *
 *   c ← c + clip(cmd − c, ±policy_interval)                      (command rate limit, from 0)
 *   φ = fmod(time_now · f_prev, 1); f = 0 if ‖c‖ < 1e-5 else gait_frequency; w = (f > 1e-8)
 *   obs = [gravity, ω, c·w (3), cos 2πφ·w, sin 2πφ·w, (q − default)[11:], q̇[11:]·0.1, action]
 *
 * time_now is deploy.py's Timer: low-state messages received since the controller started ×
 * common.dt, so the phase depends on when the operator starts the gait, and deploy.py's schedule
 * (next_inference_time += policy_interval, a float sum) reads it one message late on many steps.
 * f_prev is the previous step's frequency: the first walking step after standing reads φ = 0.
 */
export function refuseBoosterDeploy(cfg: Obj, file: string): void {
  const common = cfg.common, policy = cfg.policy;
  if (!isObj(common) || !isObj(policy) || !('default_qpos' in common) || !('gait_frequency' in policy || 'num_stack' in policy)) return;
  throw new ImportError(
    file,
    "is booster_gym's deploy config (common.stiffness, common.default_qpos, policy.num_observations, policy.gait_frequency, ...), not a deploy.yaml: its deploy script builds the observation in code (deploy/utils/policy.py), and no manifest reproduces it: its gait clock (cos before sin, placed before the joints) reads the controller's low-state message count × common.dt, so its phase depends on when the gait is started and often lags a message from deploy.py's float schedule, and it is zero while the command, rate-limited by policy_interval a step, is below 1e-5, reading phase 0 on the first step after; the file names no joints",
    "unitree_rl_lab's deploy.yaml (joint_ids_map, step_dt, actions, observations) or unitree_rl_gym's deploy configs; for this policy, a manifest written by hand cannot express its clock or command smoothing either",
  );
}

/** Builds a manifest from a parsed deploy.yaml (see the module doc for the format and its orders). */
export function manifestFromDeploy(cfg: Obj, o: DeployImportOptions, file = 'deploy.yaml'): DeployImport {
  if (isGymDeploy(cfg)) return manifestFromGymDeploy(cfg, o, file);
  refuseBoosterDeploy(cfg, file);
  const notes: string[] = [];
  const at = (k: string) => `${file}: ${k}`;
  const need = (k: string) => {
    if (!(k in cfg) || cfg[k] === undefined) throw new ImportError(at(k), 'is missing');
    return cfg[k];
  };
  for (const k of Object.keys(cfg)) if (!TOP_KEYS.has(k)) notes.push(`${at(k)}: ignored (not a field axon maps)`);

  // --- joint orders ---
  const idsRaw = need('joint_ids_map');
  if (!Array.isArray(idsRaw) || idsRaw.length === 0) throw new ImportError(at('joint_ids_map'), `is ${JSON.stringify(idsRaw)}`, 'a list of SDK motor indices, one per model joint');
  const ids = idsRaw.map((x, i) => {
    if (!Number.isInteger(x) || (x as number) < 0) throw new ImportError(at(`joint_ids_map[${i}]`), `is ${JSON.stringify(x)}`, 'a motor index (integer >= 0)');
    return x as number;
  });
  const nModel = ids.length;
  const dupAt = ids.findIndex((x, i) => ids.indexOf(x) !== i);
  if (dupAt >= 0) throw new ImportError(at(`joint_ids_map[${dupAt}]`), `motor ${ids[dupAt]} is mapped twice`, 'each motor index once');
  const maxId = Math.max(...ids);
  const stiffRaw = cfg.stiffness;
  const nSdkFile = Array.isArray(stiffRaw) ? stiffRaw.length : undefined;
  // The exporter writes stiffness with one value per SDK slot, so every mapped motor has one.
  if (nSdkFile !== undefined && maxId >= nSdkFile)
    throw new ImportError(
      at('stiffness'),
      `has ${nSdkFile} values but joint_ids_map[${ids.indexOf(maxId)}] is motor ${maxId}: the lists are not one value per SDK (motor) slot, as unitree_rl_lab's exporter writes them`,
      `${maxId + 1} or more values in SDK order (or no stiffness and damping, to use the robot's own gains)`,
    );
  const sdk = o.sdkJoints;
  if (sdk.length <= maxId || (nSdkFile !== undefined && sdk.length !== nSdkFile && sdk.length !== nModel))
    throw new ImportError(
      o.sdkSource,
      `names ${sdk.length} SDK slots, but ${file}'s joint_ids_map reaches motor ${maxId}` + (nSdkFile !== undefined ? ` and its stiffness has ${nSdkFile} motor slots` : ''),
      nSdkFile !== undefined
        ? `${nSdkFile} joint names in the robot's SDK (motor) order, one per slot (an empty entry for a slot without a joint: a,,b; empty slots at the end need one comma more, a,b,,, for two, as one trailing comma is dropped)`
        : `${maxId + 1} or more joint names in the robot's SDK (motor) order`,
    );
  const unnamed = ids.findIndex((s) => sdk[s] === '');
  if (unnamed >= 0)
    throw new ImportError(at(`joint_ids_map[${unnamed}]`), `is motor ${ids[unnamed]}, a slot ${o.sdkSource} leaves without a joint name`, 'a motor slot with a joint name');
  const joints = ids.map((s) => sdk[s]);
  const unmapped = sdk.map((n, s) => (ids.includes(s) ? undefined : n || `slot ${s} (no joint)`)).filter((x): x is string => x !== undefined);
  if (unmapped.length > 0) notes.push(`${o.sdkSource}: ${unmapped.length} SDK slot(s) no model joint maps to (${unmapped.join(', ')}): not driven by the policy`);

  // --- rates ---
  const stepDt = num(need('step_dt'), at('step_dt'));
  if (!(stepDt > 0)) throw new ImportError(at('step_dt'), `is ${stepDt}`, 'a policy period > 0 (s)');
  const controlHz = Number((1 / stepDt).toPrecision(12));
  let decimation: number | undefined;
  if (cfg.decimation !== undefined && cfg.decimation !== null) {
    decimation = num(cfg.decimation, at('decimation'));
    if (!Number.isInteger(decimation) || decimation < 1) throw new ImportError(at('decimation'), `is ${decimation}`, 'a whole number >= 1');
  }
  if (cfg.sim_dt !== undefined && cfg.sim_dt !== null) {
    const simDt = num(cfg.sim_dt, at('sim_dt'));
    const ratio = stepDt / simDt;
    if (!(simDt > 0) || Math.abs(ratio - Math.round(ratio)) > 1e-6 * ratio)
      throw new ImportError(at('sim_dt'), `is ${simDt} s, which does not divide step_dt ${stepDt} s`, 'step_dt = sim_dt · decimation');
    if (decimation !== undefined && decimation !== Math.round(ratio))
      throw new ImportError(at('decimation'), `is ${decimation} but step_dt / sim_dt = ${Math.round(ratio)}`, `${Math.round(ratio)}`);
    decimation = Math.round(ratio);
  }

  // --- per-joint lists ---
  const defaults = numList(need('default_joint_pos'), at('default_joint_pos'));
  if (defaults.length !== nModel)
    throw new ImportError(at('default_joint_pos'), `has ${defaults.length} values but joint_ids_map has ${nModel}`, `${nModel} values in model order`);
  /** A list in SDK order, as the model's joints see it. */
  const sdkToModel = (k: string): number[] | undefined => {
    if (cfg[k] === undefined || cfg[k] === null) return undefined;
    const v = numList(cfg[k], at(k));
    if (nSdkFile !== undefined ? v.length !== nSdkFile : v.length <= maxId)
      throw new ImportError(at(k), `has ${v.length} values`, nSdkFile !== undefined ? `${nSdkFile} values in SDK (motor) order, as stiffness has` : `${maxId + 1} or more values in SDK (motor) order`);
    return ids.map((s) => v[s]);
  };
  const kpModel = sdkToModel('stiffness');
  const kdModel = sdkToModel('damping');
  if ((kpModel === undefined) !== (kdModel === undefined)) notes.push(`${at(kpModel ? 'damping' : 'stiffness')}: missing, so no PD gains are written (the robot's own are used)`);
  const actuators: NonNullable<ModelManifest['actuators']> = {};
  for (const k of ACTUATOR_KEYS) {
    const v = sdkToModel(k);
    if (v) (actuators as Record<string, number | number[]>)[k] = compact(v);
  }

  // --- action ---
  const actions = need('actions');
  if (!isObj(actions) || Object.keys(actions).length !== 1)
    throw new ImportError(at('actions'), `holds ${isObj(actions) ? Object.keys(actions).length : 0} terms`, 'exactly one joint action term');
  const [actKey, act] = Object.entries(actions)[0];
  const aw = at(`actions.${actKey}`);
  if (!isObj(act)) throw new ImportError(aw, `is ${JSON.stringify(act)}`, 'a mapping with scale, offset, clip, joint_ids');
  for (const k of Object.keys(act)) if (!ACTION_KEYS.has(k)) notes.push(`${aw}.${k}: ignored`);
  if (act.joint_names !== undefined) notes.push(`${aw}.joint_names: informational (${JSON.stringify(act.joint_names)}); joint_ids is used`);
  let actIdx: number[];
  if (act.joint_ids === null || act.joint_ids === undefined) actIdx = ids.map((_, i) => i);
  else {
    actIdx = numList(act.joint_ids, `${aw}.joint_ids`).map((x, i) => {
      if (!Number.isInteger(x) || x < 0 || x >= nModel) throw new ImportError(`${aw}.joint_ids[${i}]`, `is ${x}`, `a model joint index below ${nModel}`);
      return x;
    });
  }
  const nAct = actIdx.length;
  const actJoints = actIdx.map((i) => joints[i]);
  const perAct = (k: string, v: unknown, fallback?: number): number[] => {
    if ((v === undefined || v === null) && fallback !== undefined) return new Array(nAct).fill(fallback);
    if (typeof v === 'number') return new Array(nAct).fill(num(v, `${aw}.${k}`));
    const l = numList(v, `${aw}.${k}`);
    if (l.length !== nAct) throw new ImportError(`${aw}.${k}`, `has ${l.length} values`, `${nAct}, one per action joint`);
    return l;
  };
  const scale = perAct('scale', act.scale, 1);
  const offset = perAct('offset', act.offset, 0);
  const kind = /effort/i.test(actKey) ? 'effort' : /vel/i.test(actKey) ? 'velocity' : /pos/i.test(actKey) ? 'position' : undefined;
  if (!kind) throw new ImportError(aw, 'is an action term axon cannot map', 'a joint position, velocity or effort action (JointPositionAction, JointVelocityAction, JointEffortAction)');
  let type: ModelManifest['action']['type'];
  if (kind === 'position') {
    const actDefaults = actIdx.map((i) => defaults[i]);
    if (offset.every((x, i) => close(x, actDefaults[i]))) type = 'joint_position';
    else if (offset.every((x) => x === 0)) {
      type = 'joint_position_abs';
      notes.push(`${aw}.offset: all 0, so targets are absolute (target = scale·a), not relative to default_joint_pos`);
    } else {
      const i = offset.findIndex((x, k) => !close(x, actDefaults[k]));
      throw new ImportError(
        `${aw}.offset[${i}]`,
        `is ${offset[i]} for ${actJoints[i]} but default_joint_pos gives ${actDefaults[i]}`,
        'the offset to equal default_joint_pos (axon: target = default + scale·a) or be all 0 (absolute targets)',
      );
    }
  } else {
    const i = offset.findIndex((x) => x !== 0);
    if (i >= 0) throw new ImportError(`${aw}.offset[${i}]`, `is ${offset[i]} for ${actJoints[i]}`, `0: axon's joint_${kind} action has no offset`);
    type = kind === 'effort' ? 'joint_effort' : 'joint_velocity';
  }
  let actClip: number | undefined;
  let targetClip: [number, number][] | undefined;
  if (act.clip !== undefined && act.clip !== null) {
    // Isaac Lab clips the processed action (raw·scale + offset) per joint: one raw bound for every
    // joint is axon's action.clip; other bounds (unitree_rl_lab's Go2: ±100 rad around the default
    // pose) are action.target_clip, which axon applies the same way.
    const c = act.clip;
    const pairs = Array.isArray(c) && c.length === 2 && typeof c[0] === 'number' ? actIdx.map(() => c) : c;
    if (!Array.isArray(pairs) || pairs.length !== nAct) throw new ImportError(`${aw}.clip`, `is ${JSON.stringify(c)}`, `null or ${nAct} [lo, hi] pairs, one per action joint`);
    const bounds = pairs.map((p, i) => range(p, `${aw}.clip[${i}]`));
    actClip = scale.every((x) => x !== 0) ? rawActionClip(bounds, scale, offset).bound : undefined;
    if (actClip === undefined) {
      targetClip = bounds;
      notes.push(`${aw}.clip: bounds each joint's target, not one raw bound for every joint: written as action.target_clip (axon clamps the command after scale and offset, as Isaac Lab does)`);
    }
  }

  // --- observations (before commands: velocity_commands names its command) ---
  const obs = need('observations');
  if (!isObj(obs) || Object.keys(obs).length === 0) throw new ImportError(at('observations'), `is ${JSON.stringify(obs)}`, 'a mapping of observation terms');
  const terms: ObservationTerm[] = [];
  const termKeys: string[] = [];
  let commandName: string | undefined;
  // Group switches the C++ ObservationManager reads beside the terms (_prepare_group_terms).
  const flag = (k: string): boolean => {
    const v = obs[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw new ImportError(at(`observations.${k}`), `is ${JSON.stringify(v)}`, 'true or false');
    return v;
  };
  const gymHistory = flag('use_gym_history');
  const scaleFirst = flag('scale_first');
  for (const [key, t] of Object.entries(obs)) {
    if (key === 'use_gym_history' || key === 'scale_first') continue;
    const w = at(`observations.${key}`);
    const term = termByName[key];
    if (!term && isObj(t) && Object.keys(t).some((k) => k in termByName || k === 'use_gym_history'))
      throw new ImportError(w, 'is a group of terms (the controller\'s layout for a policy with one ONNX input per group)', 'the terms directly under observations: axon feeds one observation input');
    if (!term) throw new ImportError(w, `is a term axon cannot compute (the model cannot run without it)`, `terms among ${Object.keys(termByName).join(', ')}`);
    if (!isObj(t)) throw new ImportError(w, `is ${JSON.stringify(t)}`, 'a mapping with scale, clip, history_length, params');
    // A term's settings in a mapping inside it are another exporter's layout (a fork nests each term's settings under its name): reading it
    // as this one would give the term scale 1 and no history, a wrong model input that still has a plausible size.
    const nested = Object.keys(t).find((k) => {
      const v = t[k];
      return !OBS_KEYS.has(k) && isObj(v) && ('scale' in v || 'history_length' in v);
    });
    if (nested !== undefined)
      throw new ImportError(`${w}.${nested}`, 'is a mapping inside the term: a layout this importer does not read (another exporter\'s?)', 'scale, clip, history_length and params directly under each term, as unitree_rl_lab\'s exporter writes them');
    for (const k of Object.keys(t)) if (!OBS_KEYS.has(k)) notes.push(`${w}.${k}: ignored`);
    const width = term === 'last_action' ? nAct : term === 'gait_phase' ? 2 : term === 'base_ang_vel' || term === 'projected_gravity' || term === 'base_lin_vel' || term === 'velocity_commands' ? 3 : nModel;
    const scale = t.scale === undefined || t.scale === null ? undefined : typeof t.scale === 'number' ? [num(t.scale, `${w}.scale`)] : numList(t.scale, `${w}.scale`);
    if (scale && scale.length !== 1 && scale.length !== width)
      throw new ImportError(`${w}.scale`, `has ${scale.length} values`, `${width}, one per element`);
    let clip: number | undefined;
    if (t.clip !== undefined && t.clip !== null) {
      const [lo, hi] = numList(t.clip, `${w}.clip`, 2);
      if (!close(lo, -hi) || !(hi > 0)) throw new ImportError(`${w}.clip`, `is [${lo}, ${hi}]`, 'a symmetric range [-c, c]: axon clips |x| <= c');
      // Isaac Lab clips before scaling; axon after: clip(x, ±c)·s = clip(x·s, ±c·|s|). scale_first clips the scaled value, as axon does.
      const bounds = scaleFirst ? [hi] : (scale ?? [1]).map((s) => hi * Math.abs(s));
      if (!bounds.every((b) => close(b, bounds[0])) || !(bounds[0] > 0))
        throw new ImportError(`${w}.clip`, `is [${lo}, ${hi}] before a scale that differs per element`, 'one scale for the term: axon clips after scaling with one bound');
      clip = bounds[0];
    }
    let history: number | undefined;
    if (t.history_length !== undefined && t.history_length !== null) {
      const h = num(t.history_length, `${w}.history_length`);
      if (!Number.isInteger(h) || h < 0) throw new ImportError(`${w}.history_length`, `is ${h}`, 'a whole number >= 0');
      if (h > 1) history = h;
    }
    const params = isObj(t.params) ? t.params : {};
    const period = term === 'gait_phase' ? gaitPeriod(params, `${w}.params`) : undefined;
    const mjlab = o.mjlabMetadata !== undefined;
    if (term === 'gait_phase') {
      notes.push(`${w}: the first policy step reads 2 control periods into the cycle (count_from 2), as unitree's C++ controller does (its ObservationManager::reset() evaluates the term once after zeroing the phase); the training's first step after a reset read 0`);
      notes.push(
        mjlab
          ? `${w}: zero while ‖command‖ < ${MJLAB_STAND_BELOW} (stand_below ${MJLAB_STAND_BELOW}), as unitree_rl_mjlab's controller and its training's phase term have it (${o.onnx.file} carries mjlab's metadata_props)`
          : `${w}: written without a standing gate, as unitree_rl_lab's controller reads it; unitree_rl_mjlab's controller (and its training's phase term) reads 0 while ‖command‖ < ${MJLAB_STAND_BELOW}: for a policy it trained, whose ONNX carries mjlab's metadata_props (this one does not), set the term's "stand_below": ${MJLAB_STAND_BELOW}`,
      );
    }
    for (const [pk, pv] of Object.entries(params)) {
      if (term === 'velocity_commands' && pk === 'command_name' && typeof pv === 'string') commandName = pv;
      else if (term === 'gait_phase' && pk === 'period') continue;
      else if (pk === 'asset_cfg' && isObj(pv) && selectsSubset(pv.joint_ids, nModel))
        throw new ImportError(`${w}.params.asset_cfg.joint_ids`, `selects joints ${JSON.stringify(pv.joint_ids)}`, 'the term over every model joint: axon terms cover all joints');
      else if (pk === 'asset_cfg' && isObj(pv) && (pv.name ?? 'robot') === 'robot') continue; // every joint of the robot: what axon's term reads
      else notes.push(`${w}.params.${pk}: ignored (${JSON.stringify(pv)})`);
    }
    // Trained in Isaac Lab, whose base_lin_vel is the root body's centre-of-mass velocity.
    termKeys.push(key);
    terms.push({ term, ...(scale ? { scale: compact(scale) } : {}), ...(clip !== undefined ? { clip } : {}), ...(history ? { history } : {}), ...(term === 'base_lin_vel' ? { point: 'com' as const } : {}), ...(period !== undefined ? { period, count_from: 2 as const, ...(mjlab ? { stand_below: MJLAB_STAND_BELOW } : {}) } : {}) });
  }

  const stacked = terms.filter((t) => (t.history ?? 1) > 1);
  if (gymHistory) {
    // The controller interleaves group_terms[0].history_length frames: a term with a shorter history would be read past its end.
    const h = terms[0].history ?? 1;
    const odd = terms.findIndex((t) => (t.history ?? 1) !== h);
    if (odd >= 0)
      throw new ImportError(at(`observations.${termKeys[odd]}.history_length`), `is ${terms[odd].history ?? 1} beside use_gym_history: true`, `${h}, the first term's: the controller interleaves that many frames of every term`);
    notes.push(`${at('observations.use_gym_history')}: true: the ${h} frames interleaved across terms, oldest first (history_layout "per_frame")`);
  }
  if (scaleFirst) notes.push(`${at('observations.scale_first')}: true: each clip bounds the scaled value`);
  if (stacked.length > 0)
    notes.push(`${at('observations')}: ${stacked.map((t) => t.term).join(', ')} keep a history; after a reset it holds each term as unitree's C++ controller evaluates it in ObservationManager::reset() (last_action zeros${stacked.some((t) => t.term === 'gait_phase') ? ', gait_phase one step into the cycle' : ''}), the first step's value after it (history_fill "reset")`);

  // --- commands ---
  let commandRanges: ModelManifest['command_ranges'];
  const cmds = cfg.commands;
  if (isObj(cmds) && Object.keys(cmds).length > 0) {
    const cname = commandName ?? ('base_velocity' in cmds ? 'base_velocity' : Object.keys(cmds)[0]);
    for (const k of Object.keys(cmds)) if (k !== cname) notes.push(`${at(`commands.${k}`)}: ignored (the velocity command is "${cname}")`);
    const c = cmds[cname];
    if (commandName && c === undefined) throw new ImportError(at(`commands.${cname}`), 'is missing', `the command observations.velocity_commands.params.command_name names`);
    const ranges = isObj(c) && isObj(c.ranges) ? c.ranges : undefined;
    if (ranges) {
      commandRanges = {};
      for (const [rk, rv] of Object.entries(ranges)) {
        const rw = at(`commands.${cname}.ranges.${rk}`);
        if (rk === 'lin_vel_x' || rk === 'lin_vel_y' || rk === 'ang_vel_z') commandRanges[rk] = range(rv, rw);
        else if (rv !== null) notes.push(`${rw}: ignored (${JSON.stringify(rv)}; axon commands vx, vy and a yaw rate)`);
      }
    } else notes.push(`${at(`commands.${cname}`)}: no ranges, so no command_ranges are written`);
  }

  const manifest = validateManifest(
    {
      schema: 'axon.model/1',
      name: o.name,
      kind: 'policy',
      robot: o.robot,
      joints,
      default_joint_pos: defaults,
      control_hz: controlHz,
      ...(decimation !== undefined ? { decimation } : {}),
      onnx: o.onnx,
      // unitree's controller fills each history from its reset's evaluation (manager_term_cfg.h ObservationTermCfg::reset).
      observation: { terms: rawFeedback(terms, actClip), history_order: 'oldest_first', history_layout: gymHistory ? 'per_frame' : 'per_term', history_fill: 'reset' },
      action: { type, ...(nAct !== nModel ? { joints: actJoints } : {}), scale: compact(scale), ...(actClip !== undefined ? { clip: actClip } : {}), ...(targetClip ? { target_clip: targetClip } : {}) },
      ...(kpModel && kdModel ? { pd: { kp: actIdx.map((i) => kpModel[i]), kd: actIdx.map((i) => kdModel[i]) } } : {}),
      ...(Object.keys(actuators).length > 0 ? { actuators } : {}),
      ...(commandRanges && Object.keys(commandRanges).length > 0 ? { command_ranges: commandRanges } : {}),
      provenance: { command: `axon manifest from-deploy ${file}`, joint_order: `SDK order from ${o.sdkSource}, model order by joint_ids_map` },
    },
    `manifest (from ${file})`,
  );
  const differences = o.mjlabMetadata ? compareWithMjlab(manifest, o.mjlabMetadata, file, o.onnx.file) : [];
  return { manifest, notes, jointOrder: `from ${o.sdkSource} by joint_ids_map`, ...(differences.length > 0 ? { differences } : {}) };
}
