/**
 * metadata_props as mjlab writes them into a policy ONNX (mujocolab/mjlab src/mjlab/rl/exporter_utils.py:
 * get_base_metadata, then attach_metadata_to_onnx appends one StringStringEntryProto per key in the
 * dict's order, `list_to_csv_str(v)` for a list, `str(v)` otherwise). list_to_csv_str formats a
 * number (a Python bool is one) with "{:.3f}", so -0.0 is "-0.000" and True "1.000"; an element that
 * is a list was str()-formatted by PR #903's exporter ("[-inf, inf]", Python reprs) and is joined
 * with ";" by later ones ("-inf;inf").
 */

/** Python's "{:.3f}".format(x): the sign of a negative zero kept, inf as "inf". */
export function pyFixed3(x: number | boolean): string {
  if (typeof x === 'boolean') return x ? '1.000' : '0.000';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.000';
  return x.toFixed(3); // (-0.0001).toFixed(3) is "-0.000", as Python's
}

/** Python's repr of a float inside str(list): 1.0, 0.25, inf. */
function pyRepr(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

export type PyValue = number | boolean | string | readonly number[];

/** mjlab's list_to_csv_str; `nested` is how a list element is written: PR #903's str(list) or the later ";" join. */
export function listToCsvStr(arr: readonly PyValue[], nested: 'str' | 'semicolon' = 'str'): string {
  return arr
    .map((x) => {
      if (typeof x === 'string') return x;
      if (typeof x === 'number' || typeof x === 'boolean') return pyFixed3(x);
      return nested === 'str' ? `[${x.map(pyRepr).join(', ')}]` : x.map(pyFixed3).join(';');
    })
    .join(',');
}

export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}

/** attach_metadata_to_onnx's entries: lists through list_to_csv_str, anything else through str(). */
export function mjlabEntries(meta: Readonly<Record<string, PyValue | readonly PyValue[]>>, nested: 'str' | 'semicolon' = 'str'): MetadataEntry[] {
  return Object.entries(meta).map(([key, v]) => ({ key, value: Array.isArray(v) ? listToCsvStr(v as PyValue[], nested) : typeof v === 'number' ? String(v) : String(v) }));
}

/**
 * mjlab's Go1 (src/mjlab/asset_zoo/robots/unitree_go1/go1_constants.py): joints in its go1.xml's
 * order (FR, FL, RR, RL; depth first), which is not the order a URDF of the robot lists them in.
 * Gains from the reflected inertia (rotor 0.000111842 kg·m², gears 6 and 9) at a 10 Hz natural
 * frequency and damping ratio 2; action scale 0.25 · effort limit / stiffness; INIT_STATE pose.
 */
export const GO1_JOINTS = ['FR', 'FL', 'RR', 'RL'].flatMap((leg) => [`${leg}_hip_joint`, `${leg}_thigh_joint`, `${leg}_calf_joint`]);
const W = 10 * 2.0 * 3.1415926535; // NATURAL_FREQ as go1_constants.py writes it
const HIP_ARMATURE = 0.000111842 * 6 ** 2;
const KNEE_ARMATURE = 0.000111842 * 9 ** 2;
const go1 = (hip: number, knee: number) => GO1_JOINTS.map((j) => (j.endsWith('calf_joint') ? knee : hip));
export const GO1_STIFFNESS = go1(HIP_ARMATURE * W ** 2, KNEE_ARMATURE * W ** 2);
export const GO1_DAMPING = go1(2 * 2 * HIP_ARMATURE * W, 2 * 2 * KNEE_ARMATURE * W);
export const GO1_ACTION_SCALE = go1((0.25 * 23.7) / (HIP_ARMATURE * W ** 2), (0.25 * 35.55) / (KNEE_ARMATURE * W ** 2));
/** ".*thigh_joint": 0.9, ".*calf_joint": -1.8, ".*R_hip_joint": 0.1, ".*L_hip_joint": -0.1. */
export const GO1_DEFAULT_POS = GO1_JOINTS.map((j) => (j.endsWith('thigh_joint') ? 0.9 : j.endsWith('calf_joint') ? -1.8 : j.startsWith('FR') || j.startsWith('RR') ? 0.1 : -0.1));

/** The velocity task's actor terms without the height scan (the flat variant), in velocity_env_cfg.py's order. */
export const VELOCITY_TERMS = ['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'joint_pos', 'joint_vel', 'actions', 'command'];

/** get_base_metadata of a Go1 flat velocity run, after PR #903 (per-term scale, flatten, history, clip). */
export function go1VelocityMetadata(over: Record<string, PyValue | readonly PyValue[]> = {}): Record<string, PyValue | readonly PyValue[]> {
  const t = VELOCITY_TERMS.length;
  return {
    run_path: 'local',
    joint_names: GO1_JOINTS,
    joint_stiffness: GO1_STIFFNESS,
    joint_damping: GO1_DAMPING,
    default_joint_pos: GO1_DEFAULT_POS,
    command_names: ['twist'],
    observation_names: VELOCITY_TERMS,
    observation_terms_scale: Array(t).fill(1.0),
    observation_terms_flatten_history_dim: Array(t).fill(true),
    observation_terms_history_length: Array(t).fill(0),
    observation_terms_clip: Array(t).fill([-Infinity, Infinity]),
    action_scale: GO1_ACTION_SCALE,
    ...over,
  };
}

/** Observation width of the flat velocity task for n joints: 3 + 3 + 3 + 3n + 3. */
export const velocityObsWidth = (n: number) => 12 + 3 * n;

/** mjlab's G1 in its g1.xml order (left leg, right leg, waist yaw/roll/pitch, left arm, right arm). */
export const G1_JOINTS = [
  ...['left', 'right'].flatMap((s) => ['hip_pitch', 'hip_roll', 'hip_yaw', 'knee', 'ankle_pitch', 'ankle_roll'].map((j) => `${s}_${j}_joint`)),
  'waist_yaw_joint',
  'waist_roll_joint',
  'waist_pitch_joint',
  ...['left', 'right'].flatMap((s) => ['shoulder_pitch', 'shoulder_roll', 'shoulder_yaw', 'elbow', 'wrist_roll', 'wrist_pitch', 'wrist_yaw'].map((j) => `${s}_${j}_joint`)),
];

/**
 * A G1 velocity run's metadata as printed, value for value, in the description of mujocolab/mjlab
 * PR #903 (2026-04-13, "Extend information of the exported ONNX metadata"): every term with a history
 * of 5, clip written "[-inf, inf]" (the PR's first key name, observation_term_clip, was renamed
 * observation_terms_clip in review), the 29 joints' gains and action scales. The PR's dump stops
 * before default_joint_pos; that is KNEES_BENT_KEYFRAME's (g1_constants.py).
 */
export function g1Pr903Metadata(): MetadataEntry[] {
  const rep = (s: string, n: number) => Array(n).fill(s).join(',');
  const leg = (a: string, b: string, c: string) => [a, b, a, b, c, c];
  const arm = (a: string, b: string) => [a, a, a, a, a, b, b];
  const per = (legs: string[], waist: string[], arms: string[]) => [...legs, ...legs, ...waist, ...arms, ...arms].join(',');
  const kneesBent: Record<string, number> = { hip_pitch: -0.312, knee: 0.669, ankle_pitch: -0.363, elbow: 0.6 };
  const defaults = G1_JOINTS.map((j) => {
    const name = j.replace(/^(left|right)_/, '').replace(/_joint$/, '');
    if (j === 'left_shoulder_roll_joint') return 0.2;
    if (j === 'right_shoulder_roll_joint') return -0.2;
    if (name === 'shoulder_pitch') return 0.2;
    return kneesBent[name] ?? 0;
  });
  return [
    { key: 'run_path', value: '2026-04-13_15-49-03_mjlab_1204_g1_lin_vel_obs_hist' },
    { key: 'joint_names', value: G1_JOINTS.join(',') },
    { key: 'joint_stiffness', value: per(leg('40.179', '99.098', '28.501'), ['40.179', '28.501', '28.501'], arm('14.251', '16.778')) },
    { key: 'joint_damping', value: per(leg('2.558', '6.309', '1.814'), ['2.558', '1.814', '1.814'], arm('0.907', '1.068')) },
    { key: 'default_joint_pos', value: listToCsvStr(defaults) },
    { key: 'command_names', value: 'twist' },
    { key: 'observation_names', value: 'base_lin_vel,base_ang_vel,projected_gravity,joint_pos,joint_vel,actions,command' },
    { key: 'observation_terms_scale', value: rep('1.000', 7) },
    { key: 'observation_terms_flatten_history_dim', value: rep('1.000', 7) },
    { key: 'observation_terms_history_length', value: rep('5.000', 7) },
    { key: 'observation_terms_clip', value: rep('[-inf, inf]', 7) },
    { key: 'action_scale', value: '0.548,0.351,0.548,0.351,0.439,0.439,0.548,0.351,0.548,0.351,0.439,0.439,0.548,0.439,0.439,0.439,0.439,0.439,0.439,0.439,0.075,0.075,0.439,0.439,0.439,0.439,0.439,0.075,0.075' },
  ];
}
