/**
 * What an axon MCAP recording holds: its channels (topic, JSON schema) and metadata names.
 *
 * Every message is JSON (message encoding `json`, schema encoding `jsonschema`), so Foxglove opens
 * the file as it is; `/joint_states` uses Foxglove's own `foxglove.JointStates` schema. All messages
 * of one tick share one log time: the tick's clock time (s) in nanoseconds. Non-finite numbers
 * (a NaN command that safety rejected) are written as `null`.
 */
import { JointStates } from '@foxglove/schemas/jsonschema.js';

/** Channel topics, in the order one tick writes them. */
export const topics = {
  /** Everything the robot reported except joint states: time, seq, IMU, contacts, base, extras. */
  observation: '/axon/observation',
  /** Joint position (rad|m), velocity, effort per joint by name (foxglove.JointStates). */
  jointStates: '/joint_states',
  /** Model input, the policy's raw action and the action after the world-model hook. */
  policy: '/axon/policy',
  /** Joint command before safety (robot joint order). */
  proposed: '/axon/command/proposed',
  /** Joint command after safety: what was sent to the robot. */
  sent: '/axon/command/sent',
  /**
   * The world model's predicted trajectory (plan: the plan the planner settled on this tick, whose
   * first action was sent, rolled out from this tick's state; shield: the rollout of the command it
   * let through or chose, then the continuation): start state and H predicted states.
   * Only on ticks where a plan or shield hook rolled the model out (recorded with `--record`).
   */
  worldModel: '/axon/world_model/predicted',
  /** Timings (lateness, stage durations), safety state, episode return, the velocity command. */
  tick: '/axon/tick',
  /** One safety event (clamp, e-stop, state change, ...). */
  safetyEvent: '/axon/safety/event',
} as const;
export type Topic = (typeof topics)[keyof typeof topics];

/** Metadata record names; each holds one key `json` with the JSON text. */
export const metadataNames = {
  robot: 'axon.robot_spec',
  manifest: 'axon.model_manifest',
  /** The world model behind /axon/world_model/predicted: mode, dt, horizon, state names, joint slots. */
  worldModel: 'axon.world_model',
  /** The world model's manifest (any --wm-mode). */
  worldModelManifest: 'axon.world_model_manifest',
  /** The run: command, robot, period, joints; for a URDF robot its `urdf` path and `drawing` (drawingMeta.ts, schema axon.drawing/1). */
  run: 'axon.run',
  /** How the episode ended (written at close, when the run knows it): success, seed, randomisation. */
  episode: 'axon.episode',
} as const;

/** Profile written in the MCAP header. */
export const mcapProfile = '';
export const mcapLibrary = 'axon';

const num = { type: ['number', 'null'] } as const;
const nums = { type: 'array', items: num } as const;
const xyz = { ...nums, minItems: 3, maxItems: 3 } as const;
const xyzw = { ...nums, minItems: 4, maxItems: 4 } as const;

const command = (title: string, description: string) => ({
  title,
  description,
  type: 'object',
  properties: {
    seq: { type: 'integer', description: 'loop tick sequence number' },
    mode: { enum: ['position', 'velocity', 'effort'] },
    target: { ...nums, description: 'per joint, robot order: rad|m, rad/s|m/s or N·m|N by mode' },
    kp: nums,
    kd: nums,
    feedforward: { ...nums, description: 'N·m|N' },
  },
  required: ['seq', 'mode', 'target'],
});

/** JSON schemas of the channels (jsonschema encoding). */
export const schemas: Record<Topic, { name: string; schema: object }> = {
  [topics.observation]: {
    name: 'axon.Observation',
    schema: {
      title: 'axon.Observation',
      type: 'object',
      properties: {
        seq: { type: 'integer', description: 'loop tick sequence number' },
        time: { type: 'number', description: 'measurement time stamp (s)' },
        obs_seq: { type: 'integer', description: "the robot's observation counter" },
        imu: {
          type: 'object',
          properties: { orientation: { ...xyzw, description: 'x y z w, base in world' }, angular_velocity: { ...xyz, description: 'rad/s' }, linear_acceleration: { ...xyz, description: 'm/s²' } },
        },
        contacts: { ...nums, description: 'normal force per contact sensor (N)' },
        base: {
          type: 'object',
          properties: {
            position: xyz,
            orientation: xyzw,
            linear_velocity: xyz,
            angular_velocity: xyz,
            com_position: { ...xyz, description: "the base body's centre of mass (m, world), when the robot reports it" },
            com_linear_velocity: { ...xyz, description: "the base body's centre-of-mass velocity (m/s, world), when the robot reports it" },
          },
        },
        extras: { type: 'object', additionalProperties: nums },
      },
      required: ['seq', 'time', 'obs_seq'],
    },
  },
  [topics.jointStates]: { name: 'foxglove.JointStates', schema: JointStates },
  [topics.policy]: {
    name: 'axon.PolicyStep',
    schema: {
      title: 'axon.PolicyStep',
      type: 'object',
      properties: {
        seq: { type: 'integer' },
        input: { ...nums, description: 'model input vector (manifest order)' },
        raw: { ...nums, description: "policy's raw action (model joint order)" },
        action: { ...nums, description: 'raw action after the world-model hook' },
        action_age: { type: 'integer', description: 'ticks since the input behind this action' },
        inference_s: { type: 'number', description: 'last inference duration (s)' },
      },
      required: ['seq', 'input', 'raw', 'action'],
    },
  },
  [topics.proposed]: { name: 'axon.JointCommand', schema: command('axon.JointCommand', 'joint command (robot order)') },
  [topics.sent]: { name: 'axon.JointCommand', schema: command('axon.JointCommand', 'joint command (robot order)') },
  [topics.worldModel]: {
    name: 'axon.WorldModelPrediction',
    schema: {
      title: 'axon.WorldModelPrediction',
      type: 'object',
      properties: {
        seq: { type: 'integer', description: 'loop tick sequence number' },
        mode: { enum: ['plan', 'shield'] },
        cost: { ...num, description: "plan: the plan's cost; shield: worst predicted constraint violation (0 = safe)" },
        states: {
          type: 'array',
          items: nums,
          description: 'start state and H predicted world-model states, one array per step dt (names in the axon.world_model metadata)',
        },
      },
      required: ['seq', 'mode', 'states'],
    },
  },
  [topics.tick]: {
    name: 'axon.Tick',
    schema: {
      title: 'axon.Tick',
      type: 'object',
      properties: {
        seq: { type: 'integer' },
        time: { type: 'number', description: 'tick time on the clock base (s)' },
        lateness_us: { type: 'number', description: 'wake time minus deadline (µs)' },
        stage_us: { type: 'object', additionalProperties: num, description: 'duration of each stage (µs)' },
        safety_state: { enum: ['running', 'degraded', 'safe-stop', 'e-stopped'] },
        episode_return: num,
        terminated: { type: 'boolean' },
        velocity_command: {
          ...xyz,
          description: "the operator's velocity command this tick's observation used: vx (m/s), vy (m/s), yaw rate wz (rad/s), base frame; present when the run has one (a policy with a velocity_commands term, or --command)",
        },
        world_model: {
          type: 'object',
          description: 'present when a world-model hook runs',
          properties: {
            surprise: { ...num, description: 'normalised one-step prediction error (monitor); null when none' },
            cost: { ...num, description: 'cost of the plan sent (plan) or of the checked command (shield); null when none' },
            vetoed: { type: 'boolean', description: 'the shield replaced the proposed command' },
          },
        },
      },
      required: ['seq', 'time', 'safety_state'],
    },
  },
  [topics.safetyEvent]: {
    name: 'axon.SafetyEvent',
    schema: {
      title: 'axon.SafetyEvent',
      type: 'object',
      properties: {
        time: { type: 'number', description: 'observation time (s)' },
        seq: { type: 'integer' },
        kind: { type: 'string' },
        state: { type: 'string', description: 'safety state after the event' },
        joint: { type: 'string' },
        value: num,
        reason: { type: 'string' },
      },
      required: ['time', 'seq', 'kind', 'state', 'reason'],
    },
  },
};
