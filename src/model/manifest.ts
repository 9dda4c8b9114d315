import { readFileSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AxonError } from '../core/errors.ts';
import { schemaErrorText } from '../core/schemaErrorText.ts';
import { WorldModelSchema, worldModelStateNames } from './worldModelManifest.ts';

/** A manifest that does not describe a usable model. `where` is the file and a JSON pointer. */
export class ManifestError extends AxonError {
  constructor(code: string, where: string, message: string, expected?: string) {
    super(code, where, message, expected);
  }
}

/**
 * Observation terms, Isaac Lab / legged_gym vocabulary. Each reads from the Observation:
 * - joint_pos: joint positions (rad|m); joint_pos_rel: minus the default pose
 * - joint_vel / joint_vel_rel: joint velocities (default velocity is 0, so they are the same)
 * - joint_effort: applied effort
 * - last_action: the policy's previous raw output (after clip, before scale; with
 *   `before_clip: true`, before the clip too, as Isaac Lab feeds back its raw action)
 * - base_ang_vel: IMU angular velocity (base frame); projected_gravity: unit gravity in the base frame
 * - base_lin_vel: privileged base linear velocity in the base frame (simulation only), of the base
 *   link's origin, or with `point: "com"` of the base body's centre of mass (Isaac Lab's
 *   root_lin_vel_b)
 * - velocity_commands: the operator's (vx, vy, yaw rate) command, zeros unless set
 * - gait_phase: a gait clock [sin 2πφ, cos 2πφ], φ = (k·dt mod period) / period, dt = 1 / control_hz,
 *   k the policy steps since the episode start (or the last re-arm) counting this one: the first
 *   step reads k = 1, as unitree_rl_gym's deploy_mujoco.py and deploy_real.py advance the phase
 *   before reading it; with `count_from: 0` the first step reads k = 0 (humanoid-gym's sim2sim.py
 *   and training), with `count_from: 2` k = 2 (unitree_rl_lab's and unitree_rl_mjlab's C++
 *   controllers: their ObservationManager::reset() evaluates every term once after zeroing the
 *   phase, so the clock has moved a step before the first policy step moves it again). With
 *   `stand_below: v` both values are 0 while the velocity command's norm ‖(vx, vy, ωz)‖ is below v
 *   (unitree_rl_mjlab's `phase` term and its controller's gait_phase, v = 0.1); the clock runs on
 *   underneath, as theirs do
 * - base_euler_xyz: the IMU orientation as roll, pitch, yaw (rad, each in [-π, π]; x-y-z Tait-Bryan
 *   angles, R = Rz(yaw)·Ry(pitch)·Rx(roll), pitch's sine clipped to [-1, 1]), as humanoid-gym's
 *   `base_euler_xyz` and sim2sim.py's quaternion_to_euler_array; yaw is in the IMU's reference (the
 *   simulator's world, a real IMU's own start-up heading)
 */
export const observationTermNames = [
  'joint_pos',
  'joint_pos_rel',
  'joint_vel',
  'joint_vel_rel',
  'joint_effort',
  'last_action',
  'base_ang_vel',
  'projected_gravity',
  'base_lin_vel',
  'velocity_commands',
  'gait_phase',
  'base_euler_xyz',
] as const;
export type ObservationTermName = (typeof observationTermNames)[number];

/** `observation.history_fill` values: what a term's history holds after a reset, before it has filled. */
export const historyFills = ['first', 'zeros', 'reset'] as const;
export type HistoryFill = (typeof historyFills)[number];

/** Terms read from the robot's IMU (its orientation or angular velocity). */
export const imuTerms: ReadonlySet<ObservationTermName> = new Set(['base_ang_vel', 'projected_gravity', 'base_euler_xyz']);

/** How an action is turned into a joint command. */
export const actionTypes = ['joint_position', 'joint_position_abs', 'joint_velocity', 'joint_effort'] as const;
export type ActionType = (typeof actionTypes)[number];

const NumberOrList = Type.Union([Type.Number(), Type.Array(Type.Number(), { minItems: 1 })]);
const NonNegativeOrList = Type.Union([Type.Number({ minimum: 0 }), Type.Array(Type.Number({ minimum: 0 }), { minItems: 1 })]);
const PositiveOrList = Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 })]);
const Range = Type.Tuple([Type.Number(), Type.Number()]);

const ObservationTermSchema = Type.Object(
  {
    term: Type.Union(observationTermNames.map((n) => Type.Literal(n))),
    /** Multiplies the raw value (one number, or one per element). */
    scale: Type.Optional(NumberOrList),
    /** Symmetric clip after scaling (|x| <= clip). */
    clip: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Added to the raw value before scale and clip: clip((raw + bias)·scale), Isaac Lab's `bias` modifier (docs/byom.md). */
    bias: Type.Optional(Type.Number()),
    /** Number of past values stacked, >= 1. */
    history: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /** Std of the noise added in training (Isaac Lab `noise`); recorded, never added at run time. */
    noise: Type.Optional(Type.Number({ minimum: 0 })),
    /** base_lin_vel only: the point whose velocity is read, the base link's origin (default) or the base body's centre of mass. */
    point: Type.Optional(Type.Union([Type.Literal('origin'), Type.Literal('com')])),
    /** last_action only: feed back the raw action before action.clip (Isaac Lab, whose clip bounds the target), not after (legged_gym). */
    before_clip: Type.Optional(Type.Boolean()),
    /** gait_phase only (and required there): the gait cycle (s). */
    period: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** gait_phase only: k on the first policy step after a reset, 1 (default: unitree_rl_gym's deploy scripts), 0 (humanoid-gym) or 2 (unitree's C++ controllers). */
    count_from: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)])),
    /** gait_phase only: both values read 0 while ‖velocity command‖ (vx m/s, vy m/s, ωz rad/s, before the term's scale) is below this (unitree_rl_mjlab: 0.1). */
    stand_below: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /**
     * IMU terms only (base_ang_vel, projected_gravity, base_euler_xyz): the link (an MJCF's body)
     * whose frame this term is read in, when the training read it elsewhere than `imu_link`
     * (unitree_rl_mjlab's H1_2: the gyro on torso_link, gravity projected in the root pelvis).
     * Absent or equal to `imu_link`: the IMU. A simulator reads the named link's orientation and
     * angular velocity; a robot that measures only its IMU refuses a term naming another link.
     */
    link: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const ModelManifestSchema = Type.Object(
  {
    schema: Type.Literal('axon.model/1'),
    name: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('policy'), Type.Literal('world-model')]),
    /** Robot it was trained for (informational; the joint names are what is checked). */
    robot: Type.String({ minLength: 1 }),
    /** Joint names in the model's order. */
    joints: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Default pose per model joint (rad|m); when absent the robot's defaults are used. */
    default_joint_pos: Type.Optional(Type.Array(Type.Number())),
    /** Policy rate (Hz). */
    control_hz: Type.Number({ exclusiveMinimum: 0, maximum: 10000 }),
    onnx: Type.Object(
      {
        file: Type.String({ minLength: 1 }),
        /** Policy: the observation input. World model: the state input [batch, stateSize] (normalised, see world_model.state). */
        input: Type.String({ minLength: 1 }),
        /** Policy: the action output. World model: the next-state output [batch, stateSize] (normalised, see world_model.output). */
        output: Type.String({ minLength: 1 }),
        /** World model only: the action input [batch, actionSize] (raw actions, after the action clip). */
        action_input: Type.Optional(Type.String({ minLength: 1 })),
        /** World model only, optional heads: reward [batch, 1] and termination probability [batch, 1]. */
        reward_output: Type.Optional(Type.String({ minLength: 1 })),
        done_output: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    observation: Type.Object(
      {
        terms: Type.Array(ObservationTermSchema, { minItems: 1 }),
        /** Within a history: oldest value first (Isaac Lab) or newest first. */
        history_order: Type.Optional(Type.Union([Type.Literal('oldest_first'), Type.Literal('newest_first')])),
        /**
         * per_term (Isaac Lab): each term's history is contiguous, [a(t-2) a(t-1) a(t) b(t-2) ...].
         * per_frame (legged_gym frame stacking): whole frames in a row, [a(t-2) b(t-2) a(t-1) b(t-1) ...];
         * every term must then have the same history length.
         */
        history_layout: Type.Optional(Type.Union([Type.Literal('per_term'), Type.Literal('per_frame')])),
        /**
         * What the history holds before it has filled, after a reset: copies of the first
         * observation (`first`, default: Isaac Lab's CircularBuffer), zeros (`zeros`: humanoid-gym
         * and legged_gym-style frame stacks that start from a zeroed deque), or each term as
         * evaluated at the reset, the first step's own value pushed after it (`reset`: unitree's C++
         * controllers, whose ObservationManager::reset() calls every term once and fills its history
         * with that value; the reset reads the episode's first observation, last_action zeros and
         * gait_phase at k = count_from − 1).
         */
        history_fill: Type.Optional(Type.Union(historyFills.map((n) => Type.Literal(n)))),
      },
      { additionalProperties: false },
    ),
    action: Type.Object(
      {
        type: Type.Union(actionTypes.map((n) => Type.Literal(n))),
        /** Joints the action drives, in output order; a subset of `joints`. Default: all of `joints`. */
        joints: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        scale: Type.Optional(NumberOrList),
        /** Symmetric clip of the raw output before scaling. */
        clip: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        /** Per action joint [lo, hi] on the command sent (offset + scale·a, after `clip`; rad, rad/s or N·m): Isaac Lab's JointAction clip, which bounds its processed action. */
        target_clip: Type.Optional(Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { minItems: 1 })),
        /**
         * Action chunking: the model outputs `length` actions at once ([1, length, n] or [1, length·n]).
         * Without `ensemble_decay` the chunk is queued and `execute` steps of it are sent before the
         * model is run again; with it the model runs every tick and the chunks that cover this tick
         * are averaged with weights exp(-decay·i), i = 0 for the oldest (ACT's temporal ensembling).
         */
        chunk: Type.Optional(
          Type.Object(
            {
              length: Type.Integer({ minimum: 1, maximum: 1000 }),
              execute: Type.Optional(Type.Integer({ minimum: 1 })),
              ensemble_decay: Type.Optional(Type.Number({ minimum: 0 })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    /** Physics steps per policy step in training (Isaac Lab `decimation`); checked against the sim's rate when given. */
    decimation: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Recurrent state carried between ticks (GRU/LSTM h, c): fed from the previous call's output, zeros at episode start. */
    recurrent: Type.Optional(
      Type.Array(
        Type.Object(
          { input: Type.String({ minLength: 1 }), output: Type.String({ minLength: 1 }), shape: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    /**
     * PD gains per action joint for position actions (override the robot's defaults). `held`: the
     * gains of model joints outside the action (held at their default pose), by joint name, with
     * where they came from (an Isaac Lab actuator group drives every joint it matches, action or not).
     */
    pd: Type.Optional(
      Type.Object(
        {
          kp: Type.Array(Type.Number({ minimum: 0 })),
          kd: Type.Array(Type.Number({ minimum: 0 })),
          held: Type.Optional(
            Type.Record(
              Type.String({ minLength: 1 }),
              Type.Object({ kp: Type.Number({ minimum: 0 }), kd: Type.Number({ minimum: 0 }), from: Type.Optional(Type.String()) }, { additionalProperties: false }),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * The actuators as the training pipeline modelled them (Isaac Lab actuator cfg): one number
     * for every model joint or one value per model joint (`joints` order). A simulator applies
     * them; a real robot has its own. Override the URDF's effort/velocity limits and dynamics.
     */
    actuators: Type.Optional(
      Type.Object(
        {
          /** Reflected rotor inertia per joint (kg·m² | kg), added to the joint's own inertia. */
          armature: Type.Optional(NonNegativeOrList),
          /** Passive viscous damping (N·m·s/rad | N·s/m). */
          damping: Type.Optional(NonNegativeOrList),
          /** Coulomb friction (N·m | N). */
          friction: Type.Optional(NonNegativeOrList),
          /** Effort limit (N·m | N), replacing the URDF's. */
          effort_limit: Type.Optional(PositiveOrList),
          /** Velocity limit (rad/s | m/s), replacing the URDF's. */
          velocity_limit: Type.Optional(PositiveOrList),
          /** implicit: PD solved with the next step's velocity (Isaac Lab ImplicitActuator, stable on light links); explicit: torque from this step's state. Default implicit. */
          pd: Type.Optional(Type.Union([Type.Literal('implicit'), Type.Literal('explicit')])),
        },
        { additionalProperties: false },
      ),
    ),
    /** Link whose frame carries the IMU the policy was trained with (base_ang_vel, projected_gravity); an IMU term's own `link` overrides it for that term. */
    imu_link: Type.Optional(Type.String({ minLength: 1 })),
    /** The robot's base is fixed to the world at its root link (an arm on a table). */
    fixed_base: Type.Optional(Type.Boolean()),
    /** Height (m) of the root link above the ground at spawn (Isaac Lab init_state.pos z); default: lowest collision geometry on the ground. */
    base_height: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    /** Ranges of the velocity command the policy was trained on (m/s, m/s, rad/s), [min, max]. */
    command_ranges: Type.Optional(
      Type.Object(
        { lin_vel_x: Type.Optional(Range), lin_vel_y: Type.Optional(Range), ang_vel_z: Type.Optional(Range) },
        { additionalProperties: false },
      ),
    ),
    /** Required for kind "world-model", refused for a policy. */
    world_model: Type.Optional(WorldModelSchema),
    provenance: Type.Optional(
      Type.Object(
        {
          script: Type.Optional(Type.String()),
          seed: Type.Optional(Type.Number()),
          command: Type.Optional(Type.String()),
          eval: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ModelManifest = Static<typeof ModelManifestSchema>;
export type ObservationTerm = Static<typeof ObservationTermSchema>;

/** A model folder, loaded and checked: the manifest plus resolved paths. */
export interface ModelFolder {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly onnxPath: string;
}

/** Checks a parsed manifest; `file` names it in errors. Returns the typed manifest or throws ManifestError. */
export function validateManifest(raw: unknown, file = 'manifest.json'): ModelManifest {
  const first = Value.Errors(ModelManifestSchema, raw).First();
  if (first) {
    const pointer = first.path === '' ? '/' : first.path;
    const t = schemaErrorText(first);
    throw new ManifestError('MANIFEST_FIELD', `${file}#${pointer}`, t.message, t.expected);
  }
  const m = raw as ModelManifest;
  const n = m.joints.length;
  const dup = m.joints.find((j, i) => m.joints.indexOf(j) !== i);
  if (dup !== undefined) throw new ManifestError('MANIFEST_FIELD', `${file}#/joints`, `joint "${dup}" is listed twice`, 'unique names');
  if (m.default_joint_pos && m.default_joint_pos.length !== n)
    throw new ManifestError('MANIFEST_FIELD', `${file}#/default_joint_pos`, `has ${m.default_joint_pos.length} values for ${n} joints`, `${n} values`);
  const actJoints = m.action.joints ?? m.joints;
  for (const [i, j] of actJoints.entries())
    if (!m.joints.includes(j)) throw new ManifestError('MANIFEST_FIELD', `${file}#/action/joints/${i}`, `"${j}" is not one of the model's joints`, `one of ${m.joints.join(', ')}`);
  checkListLength(m.action.scale, actJoints.length, `${file}#/action/scale`);
  const tc = m.action.target_clip ?? [], badPair = tc.findIndex(([lo, hi]) => !(lo <= hi));
  if (tc.length > 0 && tc.length !== actJoints.length) throw new ManifestError('MANIFEST_FIELD', `${file}#/action/target_clip`, `has ${tc.length} pairs for ${actJoints.length} action joints`, `${actJoints.length} [lo, hi] pairs, one per action joint`);
  if (badPair >= 0) throw new ManifestError('MANIFEST_FIELD', `${file}#/action/target_clip/${badPair}`, `is [${tc[badPair].join(', ')}]`, '[lo, hi] with lo <= hi');
  if (m.pd) {
    checkListLength(m.pd.kp, actJoints.length, `${file}#/pd/kp`);
    checkListLength(m.pd.kd, actJoints.length, `${file}#/pd/kd`);
    for (const j of Object.keys(m.pd.held ?? {})) {
      if (!m.joints.includes(j)) throw new ManifestError('MANIFEST_FIELD', `${file}#/pd/held/${j}`, `"${j}" is not one of the model's joints`, `one of ${m.joints.join(', ')}`);
      if (actJoints.includes(j)) throw new ManifestError('MANIFEST_FIELD', `${file}#/pd/held/${j}`, `"${j}" is an action joint (its gains are pd.kp/pd.kd)`, 'a model joint outside the action');
    }
  }
  for (const [k, v] of Object.entries(m.actuators ?? {})) if (k !== 'pd') checkListLength(v as number | number[], n, `${file}#/actuators/${k}`);
  for (const [k, r] of Object.entries(m.command_ranges ?? {}))
    if (!(r[0] <= r[1])) throw new ManifestError('MANIFEST_FIELD', `${file}#/command_ranges/${k}`, `is [${r[0]}, ${r[1]}]`, '[min, max] with min <= max');
  for (const [i, t] of m.observation.terms.entries()) {
    checkListLength(t.scale, termWidth(m, t.term), `${file}#/observation/terms/${i}/scale`);
    if (t.point !== undefined && t.term !== 'base_lin_vel')
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/point`, `is given on term ${t.term}`, 'point only on a base_lin_vel term');
    if (t.link !== undefined && !imuTerms.has(t.term))
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/link`, `is given on term ${t.term}`, `link only on an IMU term (${[...imuTerms].join(', ')})`);
    if (t.before_clip !== undefined && t.term !== 'last_action')
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/before_clip`, `is given on term ${t.term}`, 'before_clip only on a last_action term');
    if ((t.period !== undefined) !== (t.term === 'gait_phase'))
      throw t.period === undefined
        ? new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/period`, 'is missing', 'the gait cycle in seconds (> 0) on a gait_phase term')
        : new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/period`, `is given on term ${t.term}`, 'period only on a gait_phase term');
    if (t.count_from !== undefined && t.term !== 'gait_phase')
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/count_from`, `is given on term ${t.term}`, 'count_from only on a gait_phase term');
    if (t.stand_below !== undefined && t.term !== 'gait_phase')
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/stand_below`, `is given on term ${t.term}`, 'stand_below only on a gait_phase term');
    if (t.stand_below !== undefined && !m.observation.terms.some((u) => u.term === 'velocity_commands'))
      throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/stand_below`, 'gates the gait clock on the velocity command, but no term reads the command', 'a velocity_commands term in the observation (the command the gate reads)');
  }
  const feedback = m.observation.terms.map((t, i) => [t, i] as const).filter(([t]) => t.term === 'last_action');
  const differs = feedback.find(([t]) => (t.before_clip ?? false) !== (feedback[0][0].before_clip ?? false));
  if (differs) throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${differs[1]}/before_clip`, 'differs from the first last_action term\'s', 'one feedback for every last_action term');
  if (m.observation.history_layout === 'per_frame') {
    const h = m.observation.terms[0].history ?? 1;
    const i = m.observation.terms.findIndex((t) => (t.history ?? 1) !== h);
    if (i >= 0) throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/history`, `is ${m.observation.terms[i].history ?? 1} but per_frame stacking needs every term's history equal`, `${h}`);
  }
  const chunk = m.action.chunk;
  if (chunk?.execute !== undefined && chunk.execute > chunk.length)
    throw new ManifestError('MANIFEST_FIELD', `${file}#/action/chunk/execute`, `is ${chunk.execute}, longer than the chunk`, `at most ${chunk.length}`);
  if (m.kind === 'world-model') checkWorldModel(m, file);
  else if (m.world_model !== undefined)
    throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model`, 'is only for kind "world-model"', 'no world_model section in a policy manifest');
  return m;
}

function checkListLength(v: number | number[] | undefined, want: number, where: string): void {
  if (Array.isArray(v) && v.length !== want) throw new ManifestError('MANIFEST_FIELD', where, `has ${v.length} values`, `one number or ${want} values`);
}

/**
 * The links other than the IMU's that IMU terms are read in (each term's `link` that is not
 * `imu_link`), each once, in term order: what a simulator must report besides its IMU.
 */
export function termFrameLinks(m: Pick<ModelManifest, 'observation' | 'imu_link'>): string[] {
  const out: string[] = [];
  for (const t of m.observation.terms) if (t.link !== undefined && t.link !== m.imu_link && !out.includes(t.link)) out.push(t.link);
  return out;
}

/** Width of one history entry of a term, from the manifest alone. */
export function termWidth(m: ModelManifest, term: ObservationTermName): number {
  switch (term) {
    case 'joint_pos':
    case 'joint_pos_rel':
    case 'joint_vel':
    case 'joint_vel_rel':
    case 'joint_effort':
      return m.joints.length;
    case 'last_action':
      return (m.action.joints ?? m.joints).length;
    case 'base_ang_vel':
    case 'projected_gravity':
    case 'base_lin_vel':
    case 'velocity_commands':
    case 'base_euler_xyz':
      return 3;
    case 'gait_phase':
      return 2;
  }
}

/** Length of the flat observation vector the model takes. */
export function observationSize(m: ModelManifest): number {
  return m.observation.terms.reduce((s, t) => s + termWidth(m, t.term) * (t.history ?? 1), 0);
}

/** Number of actions sent per tick (one per action joint). */
export function actionSize(m: ModelManifest): number {
  return (m.action.joints ?? m.joints).length;
}

/** Number of raw outputs one model call produces: a whole chunk for chunked policies. */
export function outputSize(m: ModelManifest): number {
  return actionSize(m) * (m.action.chunk?.length ?? 1);
}

/** Reads and checks a manifest.json (no ONNX file needed): MANIFEST_JSON or the schema's ManifestError naming the file. */
export function readManifest(file: string): ModelManifest {
  let raw: unknown;
  try {
    // A byte-order mark (Windows editors write one) is not JSON; an invisible one would be named as a bad token.
    raw = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ManifestError('MANIFEST_JSON', file, `is not valid JSON (${(e as Error).message})`);
  }
  return validateManifest(raw, file);
}

/** Loads `<dir>/manifest.json` and checks that the ONNX file it names exists. */
export function loadModelFolder(dir: string): ModelFolder {
  const abs = resolve(dir);
  const file = join(abs, 'manifest.json');
  if (!existsSync(abs)) throw new ManifestError('MODEL_NOT_FOUND', dir, 'no such model folder', 'a folder with model.onnx and manifest.json');
  // A file given for the folder (its model.onnx, its manifest.json): named as such, not as a folder missing its manifest.
  if (!statSync(abs).isDirectory())
    throw new ManifestError('MODEL_NOT_FOUND', dir, 'is a file, not a model folder', 'a folder with manifest.json and the ONNX file it names (for a bare .onnx: axon inspect X.onnx --draft manifest.json writes one)');
  if (!existsSync(file)) throw new ManifestError('MODEL_NOT_FOUND', file, 'no manifest.json in the model folder', 'a manifest.json beside the ONNX file');
  const manifest = readManifest(file);
  // The folder is the model (copied, shipped and hashed as one): its ONNX file lies inside it.
  const inside = relative(abs, resolve(abs, manifest.onnx.file));
  const outside = isAbsolute(manifest.onnx.file) ? 'an absolute path' : inside === '' ? 'the model folder itself' : inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? 'a path that leads out of the model folder' : undefined;
  if (outside !== undefined) throw new ManifestError('MANIFEST_FIELD', `${file}#/onnx/file`, `is "${manifest.onnx.file}", ${outside}`, 'a path relative to the model folder, to a file inside it (model.onnx)');
  const onnxPath = join(abs, manifest.onnx.file);
  if (!existsSync(onnxPath)) throw new ManifestError('MODEL_NOT_FOUND', `${file}#/onnx/file`, `names "${manifest.onnx.file}", which does not exist in ${dir}`);
  return { dir: abs, manifest, onnxPath };
}

/** Cross-field checks of a world model: sizes of the statistics, state names, ONNX names, dt. */
function checkWorldModel(m: ModelManifest, file: string): void {
  const wm = m.world_model;
  if (wm === undefined) throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model`, 'is missing', 'a world_model section (dt, state, output) for kind "world-model"');
  if (m.onnx.action_input === undefined)
    throw new ManifestError('MANIFEST_FIELD', `${file}#/onnx/action_input`, 'is missing', 'the name of the ONNX action input for kind "world-model"');
  for (const [i, t] of m.observation.terms.entries())
    if ((t.history ?? 1) !== 1) throw new ManifestError('MANIFEST_FIELD', `${file}#/observation/terms/${i}/history`, `is ${t.history}`, '1: a world model state has no history');
  const n = observationSize(m);
  const names = worldModelStateNames(m);
  const list = (v: number[], where: string) => {
    if (v.length !== n) throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model/${where}`, `has ${v.length} values`, `${n}, one per state element (${names.join(', ')})`);
  };
  list(wm.state.mean, 'state/mean');
  list(wm.state.std, 'state/std');
  list(wm.output.mean, 'output/mean');
  list(wm.output.std, 'output/std');
  if (wm.error_std) list(wm.error_std, 'error_std');
  const ref = (name: string, where: string) => {
    if (!names.includes(name)) throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model/${where}`, `"${name}" is not a state element`, `one of ${names.join(', ')}`);
  };
  for (const [i, a] of (wm.state.angles ?? []).entries()) ref(a, `state/angles/${i}`);
  for (const [i, t] of (wm.cost?.terms ?? []).entries()) ref(t.state, `cost/terms/${i}/state`);
  if (wm.cost?.energy) {
    ref(wm.cost.energy.angle, 'cost/energy/angle');
    ref(wm.cost.energy.velocity, 'cost/energy/velocity');
  }
  for (const [i, c] of (wm.constraints ?? []).entries()) {
    ref(c.state, `constraints/${i}/state`);
    if (c.lower === undefined && c.upper === undefined)
      throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model/constraints/${i}`, 'has neither lower nor upper', 'at least one bound');
    if (c.lower !== undefined && c.upper !== undefined && !(c.lower < c.upper))
      throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model/constraints/${i}`, `lower ${c.lower} is not below upper ${c.upper}`, 'lower < upper');
  }
  if (Math.abs(wm.dt * m.control_hz - 1) > 1e-6)
    throw new ManifestError('MANIFEST_FIELD', `${file}#/world_model/dt`, `is ${wm.dt} s but control_hz ${m.control_hz} implies ${1 / m.control_hz} s`, 'dt = 1 / control_hz');
}
