/**
 * A manifest from the metadata mjlab writes into every policy it exports (mujocolab/mjlab
 * src/mjlab/rl/exporter_utils.py `get_base_metadata` + `attach_metadata_to_onnx`, called by the
 * velocity task's runner on each save; unitreerobotics/unitree_rl_mjlab's runner calls the same; the
 * motion-tracking exporters of mjlab and BeyondMimic write the same keys and more). The ONNX file is
 * then the whole description; what it does not say is listed, never guessed silently.
 *   joint_names                         -> joints (the MJCF's joint order, mjlab's "natural" order)
 *   default_joint_pos                   -> default_joint_pos
 *   joint_stiffness, joint_damping      -> pd.kp, pd.kd (MuJoCo position actuators' gainprm[0] and
 *                                          -biasprm[2]; an ideal-PD or DC-motor actuator is a <motor>,
 *                                          read as 1 and -0: then no pd is written)
 *   action_scale                        -> action (joint_position: mjlab's JointPositionAction with
 *                                          use_default_offset, target = default + scale · a)
 *   observation_names                   -> observation terms, in order (the velocity task's term keys)
 *   observation_terms_scale, _clip, _history_length, _flatten_history_dim -> each term's scale, clip
 *                                          (mjlab clips before scaling, axon after: c · |scale|) and
 *                                          history (oldest first, filled with the first value on reset:
 *                                          mjlab's CircularBuffer)
 *   command_names                       -> which command the `command` term reads (twist: a velocity)
 *   run_path                            -> provenance
 * Not in the file: the control rate (50 Hz is written: mjlab's velocity and tracking tasks step MuJoCo at 0.005 s
 * with decimation 4), the robot, command ranges, armature and effort limits, the IMU link, noise, an
 * observation delay, an action clip, use_default_offset (true assumed). Each is one `unfilled` line.
 * Read by assumption, and noted: a `joint_pos` term is joint_pos_rel by its key name; a gain or
 * action scale that reads 0.000 or below 0.05 (where the exporter's 3 decimals may be off by more
 * than 1 %) is named.
 */
import type { ModelManifest, ObservationTerm, ObservationTermName } from '../manifest.ts';
import { observationSize, termWidth, validateManifest } from '../manifest.ts';
import type { OnnxMetadataEntry } from '../onnxMetadata.ts';
import { compact } from './common.ts';
import { OnnxMetadataError, pyEntry, pyNumber, splitCsv } from './mjlabCsv.ts';

export { OnnxMetadataError } from './mjlabCsv.ts';

/** mjlab's observation term keys (velocity_env_cfg.py) and the Isaac Lab function names a fork may use instead. */
const termByName: Record<string, ObservationTermName> = {
  base_lin_vel: 'base_lin_vel',
  base_ang_vel: 'base_ang_vel',
  projected_gravity: 'projected_gravity',
  joint_pos: 'joint_pos_rel', // velocity_env_cfg.py: "joint_pos": ObservationTermCfg(func=mdp.joint_pos_rel)
  joint_pos_rel: 'joint_pos_rel',
  joint_vel: 'joint_vel', // func=mdp.joint_vel_rel; the default velocity is 0
  joint_vel_rel: 'joint_vel',
  actions: 'last_action', // func=mdp.last_action: the raw action
  last_action: 'last_action',
  command: 'velocity_commands', // func=mdp.generated_commands, when the command is a velocity one
  velocity_commands: 'velocity_commands',
};

/** Terms of stock mjlab tasks axon cannot compute, and why. */
const cannot: Record<string, string> = {
  height_scan: "a terrain height scan (the rough velocity task's ray-cast sensor): axon robots give no scan",
  motion_anchor_pos_b: "a motion-tracking task's reference motion (its anchor body's position)",
  motion_anchor_ori_b: "a motion-tracking task's reference motion (its anchor body's orientation)",
  motion_ref_pos_b: "a motion-tracking task's reference motion (its anchor body's position)",
  motion_ref_ori_b: "a motion-tracking task's reference motion (its anchor body's orientation)",
  body_pos: "a motion-tracking task's body positions",
  body_ori: "a motion-tracking task's body orientations",
};

/** Velocity commands, by the names mjlab (twist) and Isaac Lab / unitree_rl_lab (base_velocity) give them. */
const velocityCommands = new Set(['twist', 'base_velocity']);

/** Keys read here; others are listed as not read. */
const known = new Set([
  'run_path',
  'joint_names',
  'joint_stiffness',
  'joint_damping',
  'default_joint_pos',
  'command_names',
  'observation_names',
  'observation_terms_scale',
  'observation_terms_clip',
  'observation_terms_history_length',
  'observation_terms_flatten_history_dim',
  'action_scale',
]);

/** True when the metadata is mjlab's (or a trainer's that writes its keys): joint_names and observation_names. */
export function isMjlabMetadata(entries: readonly OnnxMetadataEntry[]): boolean {
  const keys = new Set(entries.map((e) => e.key));
  return keys.has('joint_names') && keys.has('observation_names');
}

export interface MjlabImportOptions {
  /** The ONNX file, as named in errors (`policy.onnx`). */
  readonly file: string;
  readonly name: string;
  readonly onnx: { file: string; input: string; output: string };
  /** The ONNX observation input's last dimension and the action output's, when numeric: checked against the terms. */
  readonly inputWidth?: number;
  readonly outputWidth?: number;
  /** Recurrent states (rsl_rl's LSTM/GRU export: h_in, c_in -> h_out, c_out). */
  readonly recurrent?: ModelManifest['recurrent'];
  /** How the manifest came to be, for provenance.command. */
  readonly command: string;
  /**
   * The robot's MJCF as mjlab builds it, when given (`inspect --draft --mjcf`): the body of its gyro
   * sensor's site (where mjlab's `base_ang_vel`, the builtin gyro sensor `robot/imu_ang_vel`, is
   * read), or without a gyro the body the simulator's imu* site rule picks, and its root body
   * (where `projected_gravity`, the root link's projected_gravity_b, is read). `from` says which:
   * the gyro (with the body the rule alone would pick), or the rule (with its reason).
   */
  readonly robotFrames?: {
    readonly imuBody: string;
    readonly root: string;
    readonly file: string;
    readonly from: { readonly gyro: string; readonly site: string; readonly ruleBody: string } | { readonly rule: string };
  };
}

export interface MjlabImport {
  readonly manifest: ModelManifest;
  /** What the file does not say: written by assumption (and why) or left out. One line each. */
  readonly unfilled: string[];
  /** What was read with an interpretation worth knowing, or not read. One line each. */
  readonly notes: string[];
}

export function manifestFromMjlab(entries: readonly OnnxMetadataEntry[], o: MjlabImportOptions): MjlabImport {
  const at = (key: string) => `${o.file} metadata_props["${key}"]`;
  // A key appended twice (an export whose metadata was attached twice) must say one thing.
  const meta = new Map<string, string>();
  for (const e of entries) {
    const prev = meta.get(e.key);
    if (prev !== undefined && prev !== e.value)
      throw new OnnxMetadataError('ONNX_METADATA', at(e.key), `appears twice with different values ("${clip(prev)}" and "${clip(e.value)}")`, 'each key once, or repeated with the same value');
    meta.set(e.key, e.value);
  }
  const need = (key: string): string => {
    const v = meta.get(key);
    if (v === undefined) throw new OnnxMetadataError('ONNX_METADATA', at(key), 'is missing', `mjlab's keys (${[...known].join(', ')})`);
    return v;
  };
  const numbers = (key: string, n: number, per: string): number[] => {
    const list = splitCsv(need(key)).map((t, i) => pyNumber(t, `${at(key)}[${i}]`));
    if (list.length !== n) throw new OnnxMetadataError('ONNX_METADATA', at(key), `has ${list.length} values for ${n} joint_names`, `${n} values, ${per}`);
    const bad = list.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new OnnxMetadataError('ONNX_METADATA', `${at(key)}[${bad}]`, `is ${list[bad]}`, 'a finite number');
    return list;
  };
  const unfilled: string[] = [];
  const notes: string[] = [];

  // --- joints ---
  const joints = splitCsv(need('joint_names'));
  if (joints.length === 0 || joints.some((j) => j === '')) throw new OnnxMetadataError('ONNX_METADATA', at('joint_names'), `is "${clip(need('joint_names'))}"`, 'comma-separated joint names');
  const dup = joints.find((j, i) => joints.indexOf(j) !== i);
  if (dup !== undefined) throw new OnnxMetadataError('ONNX_METADATA', at('joint_names'), `names "${dup}" twice`, 'each joint once');
  const n = joints.length;
  const defaults = numbers('default_joint_pos', n, 'one per joint (rad|m)');

  // --- action ---
  const scales = splitCsv(need('action_scale')).map((t, i) => pyNumber(t, `${at('action_scale')}[${i}]`));
  if (scales.length !== 1 && scales.length !== n)
    throw new OnnxMetadataError('ONNX_METADATA', at('action_scale'), `has ${scales.length} values for ${n} joint_names`, `one number, or ${n} (one per joint)`);
  const badScale = scales.findIndex((x) => !Number.isFinite(x));
  if (badScale >= 0) throw new OnnxMetadataError('ONNX_METADATA', at('action_scale'), `is ${scales[badScale]}`, 'finite numbers');
  const actionScale = scales.length === 1 ? scales[0] : compact(scales);
  if (o.outputWidth !== undefined && o.outputWidth !== n)
    throw new OnnxMetadataError('ONNX_METADATA', at('joint_names'), `names ${n} joints but the ONNX output "${o.onnx.output}" has ${o.outputWidth} values`, `one action per joint: mjlab's joint_pos action drives every actuated joint`);

  // --- gains: MuJoCo position actuators; a <motor> (ideal PD, DC motor) reads as kp 1, kd -0 ---
  let pd: ModelManifest['pd'];
  if (meta.has('joint_stiffness') && meta.has('joint_damping')) {
    const kp = numbers('joint_stiffness', n, 'one per actuated joint (mjlab writes none for a passive joint, so their names cannot be told apart)');
    const kd = numbers('joint_damping', n, 'one per actuated joint');
    for (const [key, list] of [['joint_stiffness', kp], ['joint_damping', kd]] as const) {
      const neg = list.findIndex((x) => x < 0);
      if (neg >= 0) throw new OnnxMetadataError('ONNX_METADATA', `${at(key)}[${neg}]`, `is ${list[neg]} (${joints[neg]})`, 'a gain >= 0');
    }
    const motors = joints.filter((_, i) => kp[i] === 1 && kd[i] === 0);
    if (motors.length > 0)
      unfilled.push(
        `pd: not written: joint_stiffness 1.000 and joint_damping -0.000 for ${motors.length === n ? 'every joint' : motors.join(', ')} is what mjlab's exporter reads from a MuJoCo <motor> actuator (IdealPdActuatorCfg, DcMotorActuatorCfg; mujocolab/mjlab issue #347), not the gains the policy trained with: set pd to the actuator cfg's stiffness and damping`,
      );
    else pd = { kp, kd: kd.map((x) => (Object.is(x, -0) ? 0 : x)) };
  } else unfilled.push("pd: none written: no joint_stiffness/joint_damping; the robot's own gains are used unless you set pd");

  // --- observation terms ---
  const names = splitCsv(need('observation_names'));
  if (names.length === 0) throw new OnnxMetadataError('ONNX_METADATA', at('observation_names'), 'is empty', 'the policy observation group\'s term names, in order');
  const commands = meta.has('command_names') ? splitCsv(meta.get('command_names')!) : [];
  // Each name is a term axon computes, or the refusal names it before any per-term value is read.
  const kinds = names.map((name, i) => termOf(name, commands, `${at('observation_names')}[${i}]`, at('command_names')));
  const perTerm = (key: string): string[] | undefined => {
    if (!meta.has(key)) return undefined;
    const list = splitCsv(meta.get(key)!);
    if (list.length !== names.length) throw new OnnxMetadataError('ONNX_METADATA', at(key), `has ${list.length} entries for ${names.length} observation_names`, `${names.length}, one per term (${names.join(', ')})`);
    return list;
  };
  const scaleOf = perTerm('observation_terms_scale');
  const clipOf = perTerm('observation_terms_clip');
  const historyOf = perTerm('observation_terms_history_length');
  const flatOf = perTerm('observation_terms_flatten_history_dim');
  if (!scaleOf && !clipOf && !historyOf)
    unfilled.push(
      "observation scale, clip and history: this export does not record them (mjlab's exporter before mujocolab/mjlab PR #903); written as mjlab's stock velocity task has them: scale 1, no clip, no history. Its gains may also be in actuator order rather than joint order if it predates PR #352 (2025-11-20): check pd",
    );
  // The manifest so far, for the terms' widths.
  const base = { joints, action: { type: 'joint_position' as const } } as unknown as ModelManifest;
  const terms: ObservationTerm[] = names.map((name, i) => {
    const term = kinds[i];
    const width = termWidth(base, term);
    const t: ObservationTerm = { term };
    if (scaleOf) {
      const s = pyEntry(scaleOf[i], `${at('observation_terms_scale')}[${i}]`);
      if (s.length !== 1 && s.length !== width) throw new OnnxMetadataError('ONNX_METADATA', `${at('observation_terms_scale')}[${i}]`, `has ${s.length} values for term ${name} (${width} wide)`, `one number or ${width}`);
      if (!s.every((x) => Number.isFinite(x))) throw new OnnxMetadataError('ONNX_METADATA', `${at('observation_terms_scale')}[${i}]`, `is "${scaleOf[i]}"`, 'finite numbers');
      const scale = s.length === 1 ? s[0] : compact(s);
      if (scale !== 1) t.scale = scale;
    }
    if (clipOf) {
      const w = `${at('observation_terms_clip')}[${i}]`;
      const c = pyEntry(clipOf[i], w);
      if (c.length !== 2) throw new OnnxMetadataError('ONNX_METADATA', w, `is "${clipOf[i]}"`, '[min, max]');
      const [lo, hi] = c;
      if (!(lo === -Infinity && hi === Infinity)) {
        if (!(hi > 0) || lo !== -hi || !Number.isFinite(hi)) throw new OnnxMetadataError('ONNX_METADATA', w, `is [${lo}, ${hi}]`, 'a symmetric range [-c, c] (axon clips |x| <= c), or [-inf, inf]');
        // mjlab clips, then scales; axon scales, then clips: clip(x, ±c)·s = clip(x·s, ±c·|s|).
        const s = t.scale === undefined ? [1] : Array.isArray(t.scale) ? t.scale : [t.scale];
        if (!s.every((x) => Math.abs(x) === Math.abs(s[0])) || s[0] === 0)
          throw new OnnxMetadataError('ONNX_METADATA', w, `is [${lo}, ${hi}] before a scale that differs per element`, 'one non-zero scale for the term: axon clips after scaling with one bound');
        t.clip = Number((hi * Math.abs(s[0])).toPrecision(12));
      }
    }
    if (historyOf) {
      const w = `${at('observation_terms_history_length')}[${i}]`;
      const h = pyNumber(historyOf[i], w);
      if (!Number.isInteger(h) || h < 0 || h > 1000) throw new OnnxMetadataError('ONNX_METADATA', w, `is "${historyOf[i]}"`, 'a whole number of frames, 0 (none) to 1000');
      const flat = flatOf ? pyNumber(flatOf[i], `${at('observation_terms_flatten_history_dim')}[${i}]`) : 1;
      if (h > 0 && flat === 0)
        throw new OnnxMetadataError('ONNX_METADATA', `${at('observation_terms_flatten_history_dim')}[${i}]`, `is false for term ${name} (history ${h})`, 'true: axon stacks a history flat, as mjlab does with flatten_history_dim');
      if (h > 1) t.history = h;
    }
    return t;
  });
  if (names.includes('joint_pos'))
    notes.push(
      "joint_pos: read as joint_pos_rel (position minus the default pose) by its key name, as mjlab's velocity task defines the term (func=mdp.joint_pos_rel); the file does not record the function: a task whose joint_pos is the absolute mdp.joint_pos would see every joint off by its default pose",
    );
  if (terms.some((t) => t.term === 'base_lin_vel'))
    notes.push(
      "base_lin_vel: read at the base link's origin in the base frame (mjlab's mdp.base_lin_vel, root_link_lin_vel_b); newer mjlab reads it from a velocimeter on the IMU site (robot/imu_lin_vel), a few centimetres off the origin. It is the simulator's privileged velocity: a real robot must estimate it",
    );
  if (terms.some((t) => t.term === 'velocity_commands')) unfilled.push("command_ranges: none written (mjlab's velocity task samples lin_vel_x, lin_vel_y in [-1, 1] and ang_vel_z in [-0.5, 0.5], which its curriculum widens)");

  const recurrent = o.recurrent && o.recurrent.length > 0 ? { recurrent: o.recurrent } : {};
  // mjlab reads base_ang_vel at the imu site and projected_gravity at the root: when those bodies differ (H1_2's torso IMU), each term says its link.
  const fr = o.robotFrames;
  const split = fr !== undefined && fr.imuBody !== fr.root;
  if (split) for (const t of terms) if (t.term === 'projected_gravity') t.link = fr.root;
  const manifestRaw = {
    schema: 'axon.model/1',
    name: o.name,
    kind: 'policy',
    robot: 'unknown',
    joints,
    default_joint_pos: defaults.map((x) => (Object.is(x, -0) ? 0 : x)),
    control_hz: 50,
    onnx: o.onnx,
    ...(fr !== undefined ? { imu_link: fr.imuBody } : {}),
    observation: { terms, history_order: 'oldest_first', history_layout: 'per_term', history_fill: 'first' },
    action: { type: 'joint_position', scale: actionScale },
    ...(pd ? { pd } : {}),
    ...recurrent,
    provenance: { command: o.command, source: 'mjlab ONNX metadata_props', ...(meta.has('run_path') ? { run_path: meta.get('run_path') } : {}) },
  };
  const manifest = validateManifest(manifestRaw, `manifest (from ${o.file} metadata_props)`);
  const size = observationSize(manifest);
  if (o.inputWidth !== undefined && o.inputWidth !== size)
    throw new OnnxMetadataError(
      'ONNX_METADATA',
      at('observation_names'),
      `gives ${size} values (${manifest.observation.terms.map((t) => `${t.term} ${termWidth(manifest, t.term) * (t.history ?? 1)}`).join(', ')}) but the ONNX input "${o.onnx.input}" takes ${o.inputWidth}`,
      'terms whose widths add up to the input: a term of another width than axon\'s (a command that is not vx, vy, yaw rate) cannot be read',
    );

  unfilled.unshift(
    "control_hz: 50 Hz written: mjlab's velocity and tracking tasks step MuJoCo at 0.005 s with decimation 4 (velocity_env_cfg.py, tracking_env_cfg.py); check your task's sim.mujoco.timestep × decimation",
    'robot: "unknown" written: the file does not name it',
  );
  unfilled.push(
    "actuators: none written: armature, effort and velocity limits are in mjlab's robot constants (g1_constants.py, go1_constants.py); axon uses the robot description's",
    ...(fr === undefined ? ["imu_link: none written: the robot description's imu* link, else its root, carries the IMU; give --mjcf (the robot's MJCF) to read it from the imu site"] : []),
    'noise: none written (a manifest only records it; it is never added at run time)',
    "observation delay: none: a term's delay_min_lag/delay_max_lag (mjlab's ObservationTermCfg, 0 by default) is not in the file, and axon's terms are not delayed: a policy trained on delayed terms reads fresher ones here",
    "action.clip: none written: mjlab's runner clips the policy's output only when the agent cfg sets clip_actions (None by default, src/mjlab/rl/config.py), and an action term's clip bounds its targets; neither is in the file: set action.clip (clip_actions) or action.target_clip (the term's clip) if your task had one",
    "use_default_offset: true assumed (mjlab's JointPositionActionCfg default and the velocity task's: target = default + scale · a); the file does not record it: a task with use_default_offset=False sends target = scale · a (action.type joint_position_abs)",
  );
  if (fr !== undefined) {
    const f = fr.from;
    const source =
      'gyro' in f
        ? `the body of ${fr.file}'s gyro sensor "${f.gyro}" (site "${f.site}"), where mjlab reads base_ang_vel${f.ruleBody !== fr.imuBody ? `; the imu* site rule alone would pick "${f.ruleBody}": the gyro decides` : ''}`
        : `no <gyro> sensor on a site in ${fr.file}, so the simulator's imu* site rule picked it (${f.rule}); mjlab reads base_ang_vel at its gyro sensor: check that body holds it`;
    notes.push(
      split
        ? `imu_link: "${fr.imuBody}", ${source}; projected_gravity reads the root "${fr.root}" (mjlab's projected_gravity is the root link's): link "${fr.root}" written on it, so on a robot that measures only its IMU the model is refused`
        : `imu_link: "${fr.imuBody}", the root body of ${fr.file}, ${source}; base_ang_vel and projected_gravity both read it${'gyro' in f ? ', as mjlab does' : ''}`,
    );
  }
  notes.push(...smallValues('joint_stiffness', pd?.kp, joints), ...smallValues('joint_damping', pd?.kd, joints), ...smallValues('action_scale', scales, scales.length === 1 ? ['every joint'] : joints));
  for (const k of meta.keys()) if (!known.has(k)) notes.push(`${k}: not read`);
  return { manifest, unfilled, notes };
}

/** The axon term of one of observation_names, or a typed error naming it. */
function termOf(name: string, commands: readonly string[], where: string, commandsAt: string): ObservationTermName {
  // unitreerobotics/unitree_rl_mjlab's velocity task (src/tasks/velocity/mdp/observations.py `phase`): axon's gait_phase with stand_below 0.1, but the period is a param the metadata does not carry.
  if (name === 'phase')
    throw new OnnxMetadataError(
      'ONNX_METADATA_TERM',
      where,
      `is "phase", unitree_rl_mjlab's gait clock (sin, cos of (steps · step_dt mod period) / period, both 0 while ‖command‖ < 0.1), whose period the file does not record`,
      "the period from its deploy.yaml: axon manifest from-deploy deploy.yaml --onnx <this file> --out DIR --sdk-joints a,b,... (its gait_phase params.period; the standing gate is written from this file's metadata)",
    );
  if (name in cannot) throw new OnnxMetadataError('ONNX_METADATA_TERM', where, `is "${name}", ${cannot[name]}: a term axon cannot compute`, `terms among ${Object.keys(termByName).join(', ')}`);
  const term = termByName[name];
  if (term === undefined) throw new OnnxMetadataError('ONNX_METADATA_TERM', where, `is "${name}", a term axon cannot compute`, `terms among ${Object.keys(termByName).join(', ')}`);
  if (term === 'velocity_commands') {
    if (commands.includes('motion'))
      throw new OnnxMetadataError('ONNX_METADATA_TERM', where, `is "${name}" and command_names holds "motion": a motion-tracking task's reference motion (joint positions and velocities), a term axon cannot compute`, 'a velocity task (command_names "twist")');
    const vel = commands.filter((c) => velocityCommands.has(c));
    if (vel.length !== 1 || commands.length !== 1)
      throw new OnnxMetadataError(
        'ONNX_METADATA_TERM',
        commandsAt,
        `is "${commands.join(',')}": the "${name}" term reads a command axon cannot tell is a velocity one`,
        `one velocity command, ${[...velocityCommands].join(' or ')} (vx, vy, yaw rate)`,
      );
  }
  return term;
}

/**
 * Below this, a value written with 3 decimals (mjlab's "{:.3f}") may be off by more than 1 % (half
 * its last decimal, 0.0005, over the value); 0.000 is anything below 0.0005, or a zero.
 */
export const SMALL_WRITTEN_VALUE = 0.05;

/** Notes naming the joints whose gain or action scale reads 0.000, or below SMALL_WRITTEN_VALUE. */
function smallValues(key: string, values: readonly number[] | undefined, joints: readonly string[]): string[] {
  if (!values) return [];
  const zero = joints.filter((_, i) => values[i] === 0);
  const small = joints.map((j, i) => [j, values[i]] as const).filter(([, v]) => v !== 0 && Math.abs(v) < SMALL_WRITTEN_VALUE);
  const out: string[] = [];
  const what = key === 'action_scale' ? "those joints' targets never leave the default pose" : key === 'joint_stiffness' ? 'pd.kp 0: those joints are not held to their targets' : 'pd.kd 0: those joints are not damped by the PD';
  if (zero.length > 0)
    out.push(`${key}: reads 0.000 for ${zero.join(', ')}: the exporter writes 3 decimals, so anything below 0.0005 reads 0 (${what}): check the training's value`);
  if (small.length > 0)
    out.push(
      `${key}: below ${SMALL_WRITTEN_VALUE} for ${small.map(([j, v]) => `${j} (${v}, ±${+((0.0005 / Math.abs(v)) * 100).toPrecision(2)} %)`).join(', ')}: the exporter's 3 decimals may be that far off the training's value: check it`,
    );
  return out;
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
