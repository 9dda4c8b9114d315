/**
 * A manifest from an Isaac Lab run's `params/env.yaml` (the env config Isaac Lab dumps next to
 * every checkpoint, with PyYAML's Python tags: read with parsePythonYaml). Fields read:
 *   sim.dt, decimation                          -> control_hz, decimation
 *   observations.policy.<term> (in file order) -> the terms in order; a group re-saved with sorted keys is refused
 *   observations.policy.<term>.func             -> term (base_lin_vel, base_ang_vel, projected_gravity,
 *                                                  generated_commands -> velocity_commands, joint_pos,
 *                                                  joint_pos_rel, joint_vel, joint_vel_rel, last_action,
 *                                                  joint_effort); Isaac Lab writes "module:function";
 *                                                  base_lin_vel gets point "com" (root_lin_vel_b is
 *                                                  the root body's centre-of-mass velocity)
 *   observations.policy.<term>.scale, clip      -> scale, clip · |scale| (Isaac Lab clips before scaling,
 *                                                  axon after)
 *   observations.policy.<term>.modifiers        -> bias, a factor on scale, a clip (Isaac Lab's bias, scale and clip
 *                                                  modifiers; stateful ones refused: isaaclabModifiers.ts)
 *   observations.policy.<term>.noise.n_max|std  -> noise (recorded), unless the group's enable_corruption is false
 *   observations.policy.<term>.history_length   -> history; the group's history_length, when set, overrides
 *                                                  every term's (Isaac Lab's ObservationManager)
 *   observations.policy.flatten_history_dim     false with a group history_length > 1 -> history_layout
 *                                                  per_frame (the terms' (N, H, D) concatenated along the
 *                                                  last dim: whole frames in a row); else per_term
 *   observations.policy.<term>.func = gait_phase unitree_rl_lab's term: a policy for unitree's C++ deploy
 *                                                  controller -> count_from 2, and history_fill "reset"
 *                                                  (its ObservationManager::reset() fills each history)
 *   observations.policy.<term>.params           command_name (the velocity command), asset_cfg (all joints)
 *   actions.<name>: class_type JointPositionAction (use_default_offset -> joint_position, else _abs with
 *                   offset 0), JointVelocityAction, JointEffortAction; joint_names (+ preserve_order), scale;
 *                   clip {pattern: [lo, hi]} on the target -> action.clip when it is one raw bound for every
 *                   joint, else action.target_clip (each joint's [lo, hi] on the command, as Isaac Lab clamps it).
 *                   Several terms are concatenated in order, as Isaac Lab's ActionManager does (Spot's
 *                   legs, then its arm): one type, each joint once, a clip on every term or on none.
 *   scene.robot.init_state.joint_pos            -> default_joint_pos (joints no pattern matches: 0; not a
 *                                                  mapping or OrderedDict: refused)
 *   scene.robot.actuators.<group>: each group drives the joints its joint_names_expr matches;
 *     class_type                                ImplicitActuator, else explicit: every group explicit
 *                                                  -> actuators.pd explicit (saturation, delay: noted)
 *     stiffness, damping                        -> pd.kp, pd.kd (action-joint order); pd.held for model
 *                                                  joints outside the action (their group's gains)
 *     armature                                  -> actuators.armature (model-joint order)
 *     effort_limit_sim (ImplicitActuator; falls back to effort_limit, as Isaac Lab does) or
 *     effort_limit (explicit models: the clip their torque gets)  -> actuators.effort_limit
 *     velocity_limit_sim                        -> actuators.velocity_limit (an ImplicitActuator ignores
 *                                                  velocity_limit)
 *     friction                                  a unitless PhysX coefficient, not axon's Coulomb friction
 *                                                  (N·m): only 0 is written
 *   commands.<name>.ranges.{lin_vel_x, lin_vel_y, ang_vel_z} -> command_ranges; <name> is the velocity
 *                   term's params.command_name, else base_velocity (heading is noted: axon commands a yaw rate)
 * Patterns are Isaac Lab's: regular expressions matched against the whole joint name; a joint two
 * patterns match is an error, as in Isaac Lab; a joint two actuator groups claim is one too (Isaac Lab
 * lets the last group win; axon refuses rather than guess which one trained it). A value may be one number or
 * a {pattern: value} map. A null value means "the USD's" (Isaac Lab hands each actuator the
 * articulation's own values): for a gain of a robot spawned from a URDF, the converter's
 * scene.robot.spawn.joint_drive.gains, which are taken; for velocity_limit_sim, the URDF's
 * <limit velocity> (urdfVelocityLimits, from --urdf). Otherwise env.yaml does not hold it: noted
 * when no joint has a value (no pd / no velocity_limit written: the robot's own are used), refused
 * when some joints have one and others not (axon does not invent gains, nor drop the trained ones).
 * The joint order is the articulation's, which env.yaml does not hold: pass it (`--joints`, as
 * printed by `env.scene["robot"].joint_names`). What is read but not mapped goes to `notes`.
 */
import type { ModelManifest } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { termModifiers } from './isaaclabModifiers.ts';
import { readActuators } from './isaaclabActuators.ts';
import { compact, gaitPeriod, ImportError, isObj, lastName, matchValues, need, num, range, rawActionClip, rawFeedback, selectJoints, type Obj } from './common.ts';

const termByFunc: Record<string, ModelManifest['observation']['terms'][number]['term']> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  generated_commands: 'velocity_commands',
  velocity_commands: 'velocity_commands',
  joint_pos: 'joint_pos',
  joint_pos_rel: 'joint_pos_rel',
  joint_vel: 'joint_vel',
  joint_vel_rel: 'joint_vel_rel',
  last_action: 'last_action',
  joint_effort: 'joint_effort',
  gait_phase: 'gait_phase',
};

/** Observation group settings (ObservationGroupCfg) and the value axon's reading assumes; undefined: any value is read. */
const groupSettings: Record<string, unknown> = { concatenate_terms: true, concatenate_dim: -1, enable_corruption: undefined, history_length: undefined, flatten_history_dim: true };
/** Observation term fields (ObservationTermCfg). */
const termKeys = new Set(['func', 'params', 'modifiers', 'noise', 'clip', 'scale', 'history_length', 'flatten_history_dim']);
/** Action classes axon maps, by class name (class_type is "module:Class"). */
const actionByClass: Record<string, ModelManifest['action']['type'] | 'position'> = {
  JointPositionAction: 'position',
  JointVelocityAction: 'joint_velocity',
  JointEffortAction: 'joint_effort',
};

export interface ImportOptions {
  readonly joints: readonly string[];
  readonly name: string;
  readonly robot: string;
  readonly onnx?: { file: string; input: string; output: string };
  /** What was read but not mapped (ignored fields, defaults taken), one line each, appended here. */
  readonly notes?: string[];
  /**
   * Each joint's velocity limit in the robot's URDF (`--urdf`; finite ones only). Isaac Lab takes a
   * null velocity_limit_sim from the USD, which its URDF importer writes from <limit velocity>: the
   * joints of a group without one get these, the others their group's.
   */
  readonly urdfVelocityLimits?: ReadonlyMap<string, number>;
}

/** Isaac Lab's own packages (2.x: isaaclab, isaaclab_tasks; 1.x: omni.isaac.lab, omni.isaac.lab_tasks). */
const isaacLabModule = (m: string) => /^(isaaclab(_tasks)?|omni\.isaac\.lab(_tasks)?)(\.|$)/.test(m);

/** The last name of "module.path:function" or "module.path.function". */

export function manifestFromIsaacLab(cfg: Obj, o: ImportOptions, file = 'env.yaml'): ModelManifest {
  const note = (path: string, what: string) => o.notes?.push(`${file}: ${path}: ${what}`);
  const dt = num(need(cfg, 'sim.dt', file), `${file}: sim.dt`);
  if (!(dt > 0)) throw new ImportError(`${file}: sim.dt`, `is ${dt}`, 'the physics step in seconds, > 0');
  const decimation = num(need(cfg, 'decimation', file), `${file}: decimation`);
  if (!Number.isInteger(decimation) || decimation < 1) throw new ImportError(`${file}: decimation`, `is ${decimation}`, 'a whole number of physics steps per policy step, >= 1');

  // --- observations ---
  const policy = need(cfg, 'observations.policy', file);
  if (!isObj(policy)) throw new ImportError(`${file}: observations.policy`, 'is not a mapping');
  const groupHistory = typeof policy.history_length === 'number' ? policy.history_length : undefined;
  // A group history with flatten_history_dim false: Isaac Lab's ObservationManager gives every term
  // the group's history and keeps each (N, H, D_i), then concatenates them along the last dim into
  // (N, H, ΣD): flattened, whole frames in a row, oldest first (axon's per_frame layout).
  const perFrame = groupHistory !== undefined && groupHistory > 1 && policy.flatten_history_dim === false;
  for (const [k, want] of Object.entries(groupSettings))
    if (perFrame && k === 'flatten_history_dim')
      note(`observations.policy.${k}`, `is false with history_length ${groupHistory}: Isaac Lab stacks the group as (N, ${groupHistory}, ΣD), whole frames oldest first, written as history_layout "per_frame"; its ONNX input may then be 3-D [1, ${groupHistory}, ΣD], which axon does not feed (export it flattened)`);
    else if (want !== undefined && k in policy && policy[k] !== want) note(`observations.policy.${k}`, `is ${JSON.stringify(policy[k])}; axon reads the terms as one flat vector (${k}: ${JSON.stringify(want)})`);
  refuseSortedGroup(policy, file);
  const corruption = policy.enable_corruption !== false;
  const terms: ModelManifest['observation']['terms'] = [];
  let commandName: string | undefined;
  const feedbackOf: { where: string; name: string }[] = [];
  for (const [key, t] of Object.entries(policy)) {
    if (key in groupSettings || t === null) continue; // a term set to None is not in the group
    const where = `${file}: observations.policy.${key}`;
    if (!isObj(t)) {
      note(`observations.policy.${key}`, `ignored (${JSON.stringify(t)}; not a group setting axon reads)`);
      continue;
    }
    if ('func' in t && typeof t.func !== 'string')
      throw new ImportError(`${where}.func`, `is ${JSON.stringify(t.func)}`, 'the observation function as "module:function" (a !!python/name tag is read as null)');
    const func = lastName(String(t.func ?? key));
    const term = termByFunc[func];
    if (!term) throw new ImportError(`${where}.func`, `is "${t.func}", a term axon cannot compute`, `one of ${Object.keys(termByFunc).join(', ')}`);
    const module = typeof t.func === 'string' && t.func.includes(':') ? t.func.split(':')[0] : undefined;
    if (term === 'gait_phase')
      note(`observations.policy.${key}.func`, `is "${t.func}": read as unitree_rl_lab's gait_phase, sin and cos of (steps · step_dt % period) / period; axon's first step reads two step_dt into the cycle (count_from 2), as unitree_rl_lab's deploy controller does (its ObservationManager::reset() evaluates the term once after zeroing the phase; the training's first step after a reset read 0)`);
    else if (module !== undefined && !isaacLabModule(module))
      note(`observations.policy.${key}.func`, `is "${t.func}", from a module that is not Isaac Lab's: read as Isaac Lab's ${func}${term === 'base_lin_vel' ? ' (the centre of mass\'s velocity; a project\'s own base_lin_vel may read root_link_lin_vel_b, the link origin\'s: then set the term\'s "point" to "origin")' : ''}`);
    for (const k of Object.keys(t)) if (!termKeys.has(k)) note(`observations.policy.${key}.${k}`, 'ignored');
    // Isaac Lab: value -> modifiers -> noise -> clip -> scale; bias/scale/clip are read, others refused.
    const mods = termModifiers(t.modifiers, `${where}.modifiers`);
    const params = isObj(t.params) ? t.params : {};
    const period = term === 'gait_phase' ? gaitPeriod(params, `${where}.params`) : undefined;
    for (const [pk, pv] of Object.entries(params)) {
      if (term === 'velocity_commands' && pk === 'command_name' && typeof pv === 'string') commandName = pv;
      else if (term === 'gait_phase' && pk === 'period') continue;
      else if (term === 'last_action' && pk === 'action_name' && typeof pv === 'string') feedbackOf.push({ where: `${where}.params.action_name`, name: pv });
      else if (pk === 'asset_cfg' && isObj(pv) && (pv.name ?? 'robot') === 'robot') {
        if (pv.joint_names === null || pv.joint_names === undefined) continue; // every joint: what axon's term reads
        const sel = selectJoints(pv.joint_names, o.joints, `${where}.params.asset_cfg.joint_names`, pv.preserve_order === true);
        // preserve_order: Isaac Lab's find_joints gives the columns in the list's order (robot_lab lists every joint so).
        if (sel.length === o.joints.length && sel.some((j, i) => j !== o.joints[i]))
          throw new ImportError(
            `${where}.params.asset_cfg.joint_names`,
            `selects all ${sel.length} joints in its own order (preserve_order: true), not the --joints order: that list's order is the policy's joint order`,
            `--joints in that order (${sel.join(',')}), as for every other term that lists the joints; the action's own order comes from actions.<name>.joint_names`,
          );
        if (sel.length !== o.joints.length)
          throw new ImportError(`${where}.params.asset_cfg.joint_names`, `selects ${sel.join(', ')}`, 'every joint in the articulation order: axon terms cover all joints');
      } else note(`observations.policy.${key}.params.${pk}`, `ignored (${JSON.stringify(pv)})`);
    }
    const termHistory = typeof t.history_length === 'number' ? t.history_length : 0;
    const history = groupHistory ?? termHistory;
    if (groupHistory === undefined && t.flatten_history_dim === false && history > 0) note(`observations.policy.${key}.flatten_history_dim`, 'is false; axon stacks the history flat');
    let clip: number | undefined;
    const noClip = Array.isArray(t.clip) && t.clip.length === 2 && t.clip[0] === -Infinity && t.clip[1] === Infinity; // [-.inf, .inf] clips nothing
    let bound = mods.clip; // the modifiers' clip, then the term's: one symmetric bound on the modified value
    let clipWhere = `${where}.modifiers`;
    if (Array.isArray(t.clip) && !noClip) {
      const [lo, hi] = t.clip.map((x, i) => num(x, `${where}.clip[${i}]`));
      if (lo !== -hi || !(hi > 0)) throw new ImportError(`${where}.clip`, `is [${lo}, ${hi}]`, 'a symmetric range [-c, c]: axon clips |x| <= c');
      bound = Math.min(bound, hi);
      clipWhere = `${where}.clip`;
    } else if (t.clip !== undefined && t.clip !== null && !noClip) throw new ImportError(`${where}.clip`, `is ${JSON.stringify(t.clip)}`, 'null or [-c, c]');
    const termScale = typeof t.scale === 'number' || Array.isArray(t.scale) ? (t.scale as number | number[]) : undefined;
    if (bound !== Infinity) {
      // Isaac Lab clips before scaling, axon after: clip(x, ±c)·s = clip(x·s, ±c·|s|).
      const scales = typeof termScale === 'number' ? [termScale] : Array.isArray(termScale) ? termScale.map((x, i) => num(x, `${where}.scale[${i}]`)) : [1];
      if (!scales.every((s) => Math.abs(s) === Math.abs(scales[0])) || scales[0] === 0)
        throw new ImportError(clipWhere, `is [${-bound}, ${bound}] before a scale that differs per element`, 'one non-zero scale for the term: axon clips after scaling with one bound');
      clip = Number((bound * Math.abs(scales[0])).toPrecision(12));
    }
    // The modifiers' scale multiplies the term's (axon: (x + bias)·scale, then the clip above).
    const k = (x: number) => Number((x * mods.factor).toPrecision(12));
    const scale = mods.factor === 1 ? termScale : termScale === undefined ? mods.factor : typeof termScale === 'number' ? k(termScale) : termScale.map(k);
    const n = isObj(t.noise) ? t.noise : undefined;
    const noise = !corruption || !n ? undefined : typeof n.n_max === 'number' ? Math.abs(n.n_max) : typeof n.std === 'number' ? Math.abs(n.std) : undefined;
    if (corruption && n && noise === undefined) note(`observations.policy.${key}.noise`, `not recorded (${JSON.stringify(n)}; axon records n_max or std)`);
    terms.push({
      term,
      ...(scale !== undefined ? { scale } : {}),
      ...(clip !== undefined ? { clip } : {}),
      ...(mods.bias !== 0 ? { bias: mods.bias } : {}),
      ...(history > 1 ? { history } : {}),
      ...(noise !== undefined ? { noise } : {}),
      // Isaac Lab's base_lin_vel is root_lin_vel_b: the root body's centre of mass, not its origin.
      ...(term === 'base_lin_vel' ? { point: 'com' as const } : {}),
      ...(period !== undefined ? { period, count_from: 2 as const } : {}),
    });
  }

  const unitree = terms.some((t) => t.term === 'gait_phase');
  const stacked = terms.filter((t) => (t.history ?? 1) > 1);
  if (unitree && stacked.length > 0)
    note('observations.policy', `${stacked.map((t) => t.term).join(', ')} keep a history; after a reset it holds each term as unitree_rl_lab's deploy controller evaluates it in ObservationManager::reset() (last_action zeros${stacked.some((t) => t.term === 'gait_phase') ? ', gait_phase one step_dt into the cycle' : ''}), the first step's value after it (history_fill "reset"); Isaac Lab's training filled it with the first step's value`);

  // --- action: Isaac Lab concatenates its action terms in order (Spot: legs, then the arm) ---
  const actions = need(cfg, 'actions', file);
  if (!isObj(actions) || Object.keys(actions).length === 0) throw new ImportError(`${file}: actions`, 'holds no action term', 'one or more joint action terms');
  const robot = isObj(cfg.scene) && isObj(cfg.scene.robot) ? cfg.scene.robot : {};
  // Not given: Isaac Lab's InitialStateCfg default ({".*": 0.0}). Given as anything but a {pattern: value}
  // mapping (an OrderedDict is read as one by parsePythonYaml), refused: a zero pose would be the wrong
  // standing pose and the wrong offset of every action.
  if (robot.init_state !== undefined && !isObj(robot.init_state))
    throw new ImportError(`${file}: scene.robot.init_state`, `is ${JSON.stringify(robot.init_state)}`, 'a mapping holding joint_pos');
  const init = isObj(robot.init_state) ? robot.init_state.joint_pos : undefined;
  const iw = `${file}: scene.robot.init_state.joint_pos`;
  if (init !== undefined && !isObj(init))
    throw new ImportError(iw, `is ${JSON.stringify(init)?.slice(0, 200)}, not a mapping`, 'a {joint pattern: angle} mapping (as Isaac Lab dumps a dict or an OrderedDict)');
  const defaults = isObj(init) ? matchValues(init, o.joints, iw).map((v, i) => (v === undefined ? 0 : num(v, `${iw} (${o.joints[i]})`))) : o.joints.map(() => 0);
  // A term set to None is not in the action (Isaac Lab's ActionManager skips it: the stock reach env's gripper_action).
  for (const [key, act] of Object.entries(actions)) if (act === null) note(`actions.${key}`, 'is null: not part of the action, as Isaac Lab skips it');
  const given = Object.entries(actions).filter(([, act]) => act !== null);
  if (given.length === 0) throw new ImportError(`${file}: actions`, 'holds no action term (every one is null)', 'one or more joint action terms');
  const parts = given.map(([key, act]) => actionTerm(key, act, o.joints, defaults, file));
  const type = parts[0].type;
  for (const p of parts.slice(1))
    if (p.type !== type) throw new ImportError(p.where, `is a ${p.type} action after a ${type} one`, 'action terms of one type: axon sends one control mode');
  const actJoints = parts.flatMap((p) => p.joints);
  const twice = actJoints.find((j, i) => actJoints.indexOf(j) !== i);
  if (twice !== undefined) throw new ImportError(`${file}: actions`, `drive joint "${twice}" in two terms`, 'each joint in one action term');
  const scale = compact(parts.flatMap((p) => p.scale));
  const reordered = actJoints.length !== o.joints.length || actJoints.some((j, i) => j !== o.joints[i]);
  // One raw bound for the whole action -> action.clip; else each joint's target bounds -> action.target_clip.
  const clipped = parts.filter((p) => p.clip !== undefined);
  if (clipped.length > 0 && clipped.length < parts.length)
    throw new ImportError(`${clipped[0].where}.clip`, `bounds its joints while actions.${parts.find((p) => p.clip === undefined)!.key} has no clip`, 'a clip on every action term or on none (action.target_clip bounds every action joint)');
  const oneBound = clipped.length > 0 && clipped.every((p) => p.clip!.bound !== undefined && p.clip!.bound === clipped[0].clip!.bound);
  const actClip = oneBound ? clipped[0].clip!.bound : undefined;
  const targetClip = clipped.length > 0 && !oneBound ? parts.flatMap((p) => p.clip!.target) : undefined;
  if (targetClip) note(`actions.{${parts.map((p) => p.key).join(', ')}}.clip`, 'bounds each joint\'s target, not one raw bound for every joint: written as action.target_clip (axon clamps the command after scale and offset, as Isaac Lab does)');
  // last_action(action_name=X) feeds back only term X's raw action; axon feeds back the whole action.
  for (const f of feedbackOf)
    if (parts.length > 1 || f.name !== parts[0].key)
      throw new ImportError(f.where, `is "${f.name}": the raw action of that term alone`, `no action_name, or the one action term ("${parts.map((p) => p.key).join('", "')}"): axon's last_action is the whole action`);

  // --- actuators ---
  const { pd, actuators } = readActuators(robot.actuators, o.joints, actJoints, file, note, { spawn: robot.spawn, urdfVelocity: o.urdfVelocityLimits });

  // --- commands ---
  let commandRanges: ModelManifest['command_ranges'];
  const cmds = cfg.commands;
  if (isObj(cmds)) {
    const cname = commandName ?? ('base_velocity' in cmds ? 'base_velocity' : undefined);
    if (commandName && !isObj(cmds[commandName])) throw new ImportError(`${file}: commands.${commandName}`, 'is missing', 'the command observations.policy names in params.command_name');
    for (const k of Object.keys(cmds)) if (k !== cname && cmds[k] !== null) note(`commands.${k}`, cname ? `ignored (the velocity command is "${cname}")` : 'ignored (no velocity command: no velocity_commands term names one and there is no base_velocity)');
    const c = cname ? cmds[cname] : undefined;
    if (cname && isObj(c)) {
      const cw = `commands.${cname}`;
      // generated_commands returns whatever the command is: a pose command (reach envs) is 7 values, not a velocity.
      const kind = typeof c.class_type === 'string' ? lastName(c.class_type) : undefined;
      if (kind !== undefined && !/VelocityCommand$/.test(kind) && terms.some((t) => t.term === 'velocity_commands'))
        throw new ImportError(`${file}: ${cw}.class_type`, `is "${c.class_type}", which the policy reads through generated_commands: not a velocity command, and axon gives only vx, vy and a yaw rate`, 'a velocity command (UniformVelocityCommand or a subclass): a pose or other command is a term axon cannot compute');
      if (c.heading_command === true) note(`${cw}.heading_command`, "is true: in training the yaw rate came from a heading error (heading_control_stiffness); axon commands the yaw rate itself, within ang_vel_z");
      // A curriculum (UniformLevelVelocityCommand) starts at `ranges` and widens them up to
      // `limit_ranges`: the trained policy has seen the limits, and unitree_rl_lab's deploy.yaml
      // exporter writes them, so they are what command_ranges holds when given.
      const key = isObj(c.limit_ranges) ? 'limit_ranges' : 'ranges';
      const given = c[key];
      if (isObj(given)) {
        commandRanges = {};
        for (const [rk, rv] of Object.entries(given)) {
          if (rk === 'lin_vel_x' || rk === 'lin_vel_y' || rk === 'ang_vel_z') commandRanges[rk] = range(rv, `${file}: ${cw}.${key}.${rk}`);
          else if (rv !== null) note(`${cw}.${key}.${rk}`, `ignored (${JSON.stringify(rv)}; axon commands vx, vy and a yaw rate)`);
        }
        if (key === 'limit_ranges' && isObj(c.ranges))
          note(`${cw}.ranges`, `${JSON.stringify(c.ranges)}: the curriculum's start; command_ranges holds limit_ranges, as unitree_rl_lab's deploy.yaml does`);
      } else note(cw, 'has no ranges, so no command_ranges are written');
    }
  }

  return validateManifest(
    {
      schema: 'axon.model/1',
      name: o.name,
      kind: 'policy',
      robot: o.robot,
      joints: [...o.joints],
      default_joint_pos: defaults,
      control_hz: 1 / (dt * decimation),
      decimation,
      onnx: o.onnx ?? { file: 'policy.onnx', input: 'obs', output: 'actions' },
      // unitree_rl_lab's gait_phase: a policy for unitree's C++ controller, which fills each history from its reset's evaluation.
      observation: { terms: rawFeedback(terms, actClip), history_order: 'oldest_first', history_layout: perFrame ? 'per_frame' : 'per_term', ...(unitree ? { history_fill: 'reset' as const } : {}) },
      action: { type, ...(reordered ? { joints: actJoints } : {}), scale, ...(actClip !== undefined ? { clip: actClip } : {}), ...(targetClip ? { target_clip: targetClip } : {}) },
      ...(pd ? { pd } : {}),
      ...(actuators ? { actuators } : {}),
      ...(commandRanges && Object.keys(commandRanges).length > 0 ? { command_ranges: commandRanges } : {}),
      provenance: { command: `axon manifest from-isaaclab ${file}` },
    },
    `manifest (from ${file})`,
  );
}

/**
 * A policy group re-saved by a key-sorting dump (PyYAML's yaml.dump, sort_keys=True by default;
 * Isaac Lab's dump_yaml writes sort_keys=False) holds its terms in alphabetical order, not the
 * config's: the same size, a permuted policy input. Isaac Lab writes the group's settings first, in
 * ObservationGroupCfg's order (concatenate_terms before concatenate_dim), and each term's func
 * first (ObservationTermCfg's order); a group whose keys are all sorted and break one of these is
 * refused, naming it. One term has no order to lose.
 */
function refuseSortedGroup(policy: Obj, file: string): void {
  const keys = Object.keys(policy);
  const terms = keys.filter((k) => !(k in groupSettings) && policy[k] !== null);
  if (terms.length < 2 || keys.some((k, i) => i > 0 && keys[i - 1] > k)) return;
  const firstTerm = keys.findIndex((k) => !(k in groupSettings));
  const settingAfterTerm = keys.find((k, i) => i > firstTerm && k in groupSettings);
  const dimFirst = 'concatenate_dim' in policy && 'concatenate_terms' in policy && keys.indexOf('concatenate_dim') < keys.indexOf('concatenate_terms');
  const funcLate = terms.find((k) => isObj(policy[k]) && Object.keys(policy[k]).length > 1 && 'func' in policy[k] && Object.keys(policy[k])[0] !== 'func');
  const why = settingAfterTerm !== undefined
    ? `group setting ${settingAfterTerm} comes after term ${keys[firstTerm]}`
    : dimFirst
      ? 'concatenate_dim comes before concatenate_terms'
      : funcLate !== undefined
        ? `term ${funcLate}'s fields are sorted too (${Object.keys(policy[funcLate] as Obj).slice(0, 3).join(', ')}, ...; Isaac Lab writes func first)`
        : undefined;
  if (why === undefined) return;
  throw new ImportError(
    `${file}: observations.policy`,
    `has its keys in alphabetical order (${keys.join(', ')}; ${why}), as a key-sorting dump writes them (PyYAML's yaml.dump sorts by default; Isaac Lab's dump_yaml does not): the order of the terms, the policy's input order, is lost, and reading them in this order would feed the policy a permuted input`,
    "the params/env.yaml Isaac Lab wrote beside the checkpoint, or this file with observations.policy's group settings first and its terms in the order of the task's observation config (its PolicyCfg class), and several action terms in its ActionsCfg order",
  );
}

/** One of a run's action terms: its type, joints (articulation order unless preserve_order), scale per joint and raw clip. */
function actionTerm(key: string, act: unknown, joints: readonly string[], defaults: readonly number[], file: string) {
  const where = `${file}: actions.${key}`;
  if (!isObj(act)) throw new ImportError(where, 'is not a mapping');
  const cls = typeof act.class_type === 'string' ? lastName(act.class_type) : undefined;
  const kind = cls === undefined ? undefined : actionByClass[cls];
  if (!kind)
    throw new ImportError(`${where}.class_type`, cls === undefined ? `is ${JSON.stringify(act.class_type)}` : `is "${act.class_type}", an action axon cannot map`, `"module:Class" with Class one of ${Object.keys(actionByClass).join(', ')}`);
  const offsetZero = act.offset === undefined || act.offset === null || act.offset === 0 || (isObj(act.offset) && Object.values(act.offset).every((v) => v === 0));
  let type: ModelManifest['action']['type'];
  if (kind === 'position' && act.use_default_offset !== false) type = 'joint_position';
  else if (!offsetZero) throw new ImportError(`${where}.offset`, `is ${JSON.stringify(act.offset)}`, kind === 'position' ? '0 (axon: target = scale·a, or use_default_offset: true for default + scale·a)' : "0: axon's action has no offset");
  else type = kind === 'position' ? 'joint_position_abs' : kind;
  const termJoints = selectJoints(act.joint_names, joints, `${where}.joint_names`, act.preserve_order === true);
  const scale = isObj(act.scale)
    ? matchValues(act.scale, termJoints, `${where}.scale`).map((v, i) => (v === undefined ? 1 : num(v, `${where}.scale (${termJoints[i]})`)))
    : termJoints.map(() => num(act.scale ?? 1, `${where}.scale`));
  const offset = type === 'joint_position' ? termJoints.map((j) => defaults[joints.indexOf(j)]) : termJoints.map(() => 0);
  const clip = actionClip(act.clip, termJoints, scale, offset, `${where}.clip`);
  return { key, where, type, joints: termJoints, scale, clip };
}

/**
 * A JointAction's clip ({pattern: [lo, hi]}): Isaac Lab clamps the processed action, the joint
 * target raw·scale + offset. `target`: each action joint's [lo, hi] (action.target_clip, which
 * axon applies the same way); `bound`: the one raw bound |a| <= c they amount to, when they do
 * (action.clip, before scale and offset). unitree_rl_lab's and robot_lab's `{".*": (-100, 100)}`
 * around a default pose is not one raw bound.
 */
function actionClip(clip: unknown, joints: readonly string[], scale: readonly number[], offset: readonly number[], where: string): { bound?: number; target: [number, number][] } | undefined {
  if (clip === undefined || clip === null) return undefined;
  if (!isObj(clip)) throw new ImportError(where, `is ${JSON.stringify(clip)}`, 'null or a {joint pattern: [lo, hi]} map');
  const pairs = matchValues(clip, joints, where);
  const open = joints.filter((_, i) => pairs[i] === undefined);
  if (open.length > 0) throw new ImportError(where, `bounds some action joints and not ${open.join(', ')}`, 'a bound for every action joint (Isaac Lab leaves the others unbounded, which action.target_clip cannot say)');
  const bounds = pairs.map((p, i) => range(p, `${where} (${joints[i]})`));
  const bound = scale.every((x) => x !== 0) ? rawActionClip(bounds, scale, offset).bound : undefined;
  return { ...(bound !== undefined ? { bound } : {}), target: bounds };
}
