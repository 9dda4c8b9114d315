/**
 * A manifest from an Isaac Lab run's `params/env.yaml` (the env config Isaac Lab dumps next to
 * every checkpoint). Fields read:
 *   sim.dt, decimation                          -> control_hz, decimation
 *   observations.policy.<term>.func             -> term (base_lin_vel, base_ang_vel, projected_gravity,
 *                                                  generated_commands -> velocity_commands, joint_pos,
 *                                                  joint_pos_rel, joint_vel, joint_vel_rel, last_action)
 *   observations.policy.<term>.scale|clip|history_length|noise.n_max, and the group's history_length
 *   actions.<name>: JointPositionActionCfg (use_default_offset -> joint_position, else _abs),
 *                   JointEffortActionCfg, JointVelocityActionCfg; joint_names, scale, clip
 *   scene.robot.init_state.joint_pos            -> default_joint_pos
 *   scene.robot.actuators.*.stiffness/damping   -> pd (when given per joint pattern or as numbers)
 * The joint order is the articulation's, which env.yaml does not hold: pass it (`--joints`, as
 * printed by `env.scene["robot"].joint_names`).
 */
import type { ModelManifest } from '../manifest.ts';
import { validateManifest } from '../manifest.ts';
import { ImportError, isObj, need, num, perJoint, selectJoints, type Obj } from './common.ts';

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
};

const groupKeys = new Set(['concatenate_terms', 'concatenate_dim', 'enable_corruption', 'history_length', 'flatten_history_dim']);

export interface ImportOptions {
  readonly joints: readonly string[];
  readonly name: string;
  readonly robot: string;
  readonly onnx?: { file: string; input: string; output: string };
  /** What was read but not mapped (ignored fields, defaults taken), one line each, appended here. */
  readonly notes?: string[];
}

export function manifestFromIsaacLab(cfg: Obj, o: ImportOptions, file = 'env.yaml'): ModelManifest {
  const dt = num(need(cfg, 'sim.dt', file), `${file}: sim.dt`);
  const decimation = num(need(cfg, 'decimation', file), `${file}: decimation`);
  const policy = need(cfg, 'observations.policy', file);
  if (!isObj(policy)) throw new ImportError(`${file}: observations.policy`, 'is not a mapping');
  const groupHistory = typeof policy.history_length === 'number' && policy.history_length > 0 ? policy.history_length : undefined;
  const terms: ModelManifest['observation']['terms'] = [];
  for (const [key, t] of Object.entries(policy)) {
    if (groupKeys.has(key) || t === null) continue;
    const where = `${file}: observations.policy.${key}`;
    if (!isObj(t)) throw new ImportError(where, 'is not a term mapping');
    const func = String(t.func ?? key).split(':').pop()!.split('.').pop()!;
    const term = termByFunc[func];
    if (!term) throw new ImportError(`${where}.func`, `is "${t.func}", a term axon cannot compute`, `one of ${Object.keys(termByFunc).join(', ')}`);
    const history = typeof t.history_length === 'number' && t.history_length > 0 ? t.history_length : groupHistory;
    let clip: number | undefined;
    if (Array.isArray(t.clip)) {
      const [lo, hi] = t.clip.map((x) => num(x, `${where}.clip`));
      if (lo !== -hi) throw new ImportError(`${where}.clip`, `is [${lo}, ${hi}]`, 'a symmetric range');
      clip = hi;
    }
    const noise = isObj(t.noise) && typeof t.noise.n_max === 'number' ? Math.abs(t.noise.n_max) : undefined;
    terms.push({
      term,
      ...(typeof t.scale === 'number' || Array.isArray(t.scale) ? { scale: t.scale as number | number[] } : {}),
      ...(clip !== undefined ? { clip } : {}),
      ...(history ? { history } : {}),
      ...(noise !== undefined ? { noise } : {}),
    });
  }
  const actions = need(cfg, 'actions', file);
  if (!isObj(actions) || Object.keys(actions).length !== 1) throw new ImportError(`${file}: actions`, 'must hold exactly one action term', 'one joint action term');
  const [actKey, act] = Object.entries(actions)[0];
  const aw = `${file}: actions.${actKey}`;
  if (!isObj(act)) throw new ImportError(aw, 'is not a mapping');
  const cls = String(act.class_type ?? '');
  const type = /Effort/.test(cls) ? 'joint_effort' : /Velocity/.test(cls) ? 'joint_velocity' : act.use_default_offset === false ? 'joint_position_abs' : 'joint_position';
  const actJoints = selectJoints(act.joint_names, o.joints, `${aw}.joint_names`);
  const init = isObj(cfg.scene) && isObj(cfg.scene.robot) && isObj(cfg.scene.robot.init_state) ? cfg.scene.robot.init_state.joint_pos : undefined;
  const defaults = perJoint(init, o.joints, `${file}: scene.robot.init_state.joint_pos`, 0);
  const scale = typeof act.scale === 'number' ? act.scale : perJoint(act.scale, actJoints, `${aw}.scale`);
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
      observation: { terms, history_order: 'oldest_first', history_layout: 'per_term' },
      action: { type, ...(actJoints.length !== o.joints.length ? { joints: actJoints } : {}), scale },
      provenance: { command: `axon manifest from-isaaclab ${file}` },
    },
    `manifest (from ${file})`,
  );
}
