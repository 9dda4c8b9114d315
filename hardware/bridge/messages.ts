/**
 * JSON control messages of the axon bridge protocol (hardware/PROTOCOL.md, "Control messages"):
 * their shapes, and the checks each side runs on what it receives. Control messages are rare
 * (connection, auth, heartbeat at 10 Hz, e-stop, reset, errors): JSON is fine off the tick path.
 */
import type { ControlMode, JointSpec, JointType, RobotSpec } from '../../src/core/robot.ts';
import { BridgeError } from './BridgeError.ts';
import { printable } from '../../src/core/printable.ts';
import { Value } from '@sinclair/typebox/value';
import { ErrorCode, ROBOT_STATES, STATE_CAUSES, type Role, type RobotState, type StateCause } from './protocol.ts';
import type { Static } from '@sinclair/typebox';
import { CLIENT_MESSAGE_SCHEMAS, HelloEngineSchema, HelloImuLinkSchema, HelloRobotFileSchema, REASON_MAX } from './schemas.ts';

/**
 * A JointSpec as sent: an unbounded limit (lower/upper of a continuous joint, an unlimited
 * velocity or effort) is null, since JSON has no Infinity. Every other number is finite.
 */
export type WireJointSpec = { readonly [K in keyof JointSpec]: JointSpec[K] extends number ? number | null : JointSpec[K] };
export type WireRobotSpec = Omit<RobotSpec, 'joints'> & { readonly joints: readonly WireJointSpec[] };

/** Server -> client, first message on every connection. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocol: number;
  readonly subprotocol: string;
  /** Implementation and version, free text (e.g. "axon 0.1.0"). */
  readonly server: string;
  /** This connection's number on the server (for logs). */
  readonly client: number;
  readonly robot: WireRobotSpec;
  /** True when the robot is a simulation (sim_reset is served). */
  readonly sim: boolean;
  /** Physics engine of a simulated robot ("cannon", "mujoco"), null for hardware; absent from older servers (read it with helloEngine). */
  readonly engine?: string | null;
  /**
   * The robot description file the served robot was built from (name, sha256, set-up), null or
   * absent when the server names none (an older server, a shipped robot); a client reads it with
   * readHelloRobotFile (a malformed one is taken as none), a server checks its own with helloRobotFile.
   */
  readonly robotFile?: HelloRobotFile | null;
  /** Loop rate: physics steps per second (simulation) or read/write cycles (hardware); state frame rate. */
  readonly rates: { readonly loopHz: number; readonly stateHz: number };
  /**
   * Blocks every state frame carries (fixes its flags and length); `imuLink`: the link the IMU block
   * is read on, by its name in the served file (absent or null when the server does not say: read
   * it with helloImuLink).
   */
  readonly frame: { readonly imu: boolean; readonly contacts: number; readonly base: boolean; readonly imuLink?: string | null };
  readonly heartbeat: { readonly intervalS: number; readonly timeoutS: number };
  /** Deadman: commands must arrive at least this often while the robot is running (s). */
  readonly commandTimeoutS: number;
  readonly auth: { readonly observeWithoutToken: boolean };
  readonly robotState: RobotState;
  /** Cause and reason of the last state change (null / '' before any), as its status said. */
  readonly stateCause: StateCause | null;
  readonly stateReason: string;
  /** Whether a client holds the commander role now. */
  readonly commander: boolean;
}

export interface AuthOkMessage {
  readonly type: 'auth_ok';
  readonly role: Role;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: number;
  readonly name: string;
  readonly text: string;
  /** Seq of the frame it is about, when it is about a frame. */
  readonly seq?: number;
  /** Byte offset in that frame. */
  readonly offset?: number;
}

export interface StatusMessage {
  readonly type: 'status';
  readonly robotState: RobotState;
  readonly cause: StateCause;
  readonly reason: string;
  readonly commander: boolean;
  /** Server steady time (s). */
  readonly time: number;
  /**
   * Set by parseServerMessage on a status that failed its check (a robotState or cause the
   * protocol does not have, a missing field): the field (`status.robotState`). Such a status is
   * read as a stop (robotState safe-stop, cause safety, the reason saying what came): fail-safe.
   */
  readonly invalid?: string;
}

export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  /** Sender steady time (s). */
  readonly time: number;
}

export interface StatsMessage {
  readonly type: 'stats';
  readonly time: number;
  readonly stateFramesSent: number;
  readonly commandsAccepted: number;
  readonly commandsRejected: number;
  /** Server-measured round trip: a state frame sent -> the command acking it received (µs). */
  readonly roundTripUs: { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number };
  /** Physics steps that ran late enough to be skipped (the server fell behind real time). */
  readonly overruns: number;
  /** Error replies sent, and dropped by the 20-per-second limit (all connections, since listen). */
  readonly errorsSent: number;
  readonly errorsDropped: number;
}

export type ServerMessage = HelloMessage | AuthOkMessage | ErrorMessage | StatusMessage | HeartbeatMessage | StatsMessage;

export interface AuthMessage {
  readonly type: 'auth';
  readonly token?: string;
  readonly role: Role;
}
export interface EstopMessage {
  readonly type: 'estop';
  readonly reason?: string;
  /**
   * Set by parseClientMessage when the message failed its schema (a reason too long, not a
   * string): the stop is applied all the same, with the reason truncated or left out, and this
   * 1002 is sent after it (PROTOCOL.md 4.1: stopping is always allowed).
   */
  readonly issue?: MessageIssue;
}
export interface ResetMessage {
  readonly type: 'reset';
  readonly reason?: string;
}
export interface ReleaseMessage {
  readonly type: 'release';
}
export interface SimResetMessage {
  readonly type: 'sim_reset';
  /** Seed for the simulated robot's reset (its randomisation, when the server randomises). */
  readonly seed?: number;
}
export interface StatsRequest {
  readonly type: 'stats';
}

export type ClientMessage = AuthMessage | HeartbeatMessage | EstopMessage | ResetMessage | ReleaseMessage | SimResetMessage | StatsRequest;

/** A rejected message: code and words, as the error reply carries them. */
export interface MessageIssue {
  readonly code: number;
  readonly text: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** What a schema failure says a field should be, in words. */
function expectedOf(schema: { [k: string]: unknown } | undefined): string {
  if (!schema) return 'a valid value';
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as { const?: unknown }[]).map((x) => JSON.stringify(x.const)).join(' or ');
  if (schema.type === 'string') return schema.maxLength !== undefined ? `a string of at most ${String(schema.maxLength)} characters` : 'a string';
  if (schema.type === 'integer') return `a whole number from ${String(schema.minimum)} to ${String(schema.maximum)}`;
  if (schema.type === 'number') return 'a finite number (s)';
  return 'a valid value';
}

/**
 * Parses and checks a client -> server control message against its TypeBox schema
 * (hardware/bridge/schemas.ts; the JSON Schema in PROTOCOL.md section 4.1). Unknown fields are
 * dropped; a wrong or missing field is BAD_MESSAGE naming `type.field` and what was expected.
 */
export function parseClientMessage(text: string): ClientMessage | MessageIssue {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return { code: ErrorCode.BAD_JSON, text: `text message is not JSON (expected a JSON object with a "type")` };
  }
  if (!isObject(m)) return { code: ErrorCode.BAD_JSON, text: 'text message is not a JSON object (expected {"type": ...})' };
  const schema = typeof m.type === 'string' && Object.hasOwn(CLIENT_MESSAGE_SCHEMAS, m.type) ? CLIENT_MESSAGE_SCHEMAS[m.type] : undefined;
  if (!schema)
    return {
      code: ErrorCode.BAD_MESSAGE,
      text: `unknown message type ${JSON.stringify(m.type)?.slice(0, 40)} (expected ${Object.keys(CLIENT_MESSAGE_SCHEMAS).join(', ')})`,
    };
  const first = Value.Errors(schema, m).First();
  // JSON has no NaN or Infinity, but a number may still be huge: heartbeat.time must be finite.
  const nonFinite = Object.keys(schema.properties).find((k) => typeof m[k] === 'number' && !Number.isFinite(m[k] as number));
  if (first || nonFinite) {
    const field = first ? first.path.replace(/^\//, '').split('/')[0] : nonFinite!;
    const issue = { code: ErrorCode.BAD_MESSAGE, text: `${String(m.type)}.${field}: expected ${expectedOf(schema.properties[field] as { [k: string]: unknown } | undefined)}` };
    if (m.type === 'estop') return lenientEstop(m.reason, issue);
    return issue;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(schema.properties)) if (m[k] !== undefined) out[k] = m[k];
  return out as unknown as ClientMessage;
}

/**
 * An estop whose other fields failed the schema is an estop all the same (PROTOCOL.md sections 3
 * and 4.1: stopping is always allowed): a string reason is cut to REASON_MAX characters, any other
 * is left out, and the issue says what was wrong and what was done.
 */
function lenientEstop(reason: unknown, issue: MessageIssue): EstopMessage {
  const kept = typeof reason === 'string' ? reason.slice(0, REASON_MAX) : undefined;
  const done = kept !== undefined ? `truncated to ${REASON_MAX} characters` : 'ignored';
  return { type: 'estop', ...(kept !== undefined ? { reason: kept } : {}), issue: { code: issue.code, text: `${issue.text}; the e-stop was applied, its reason ${done}` } };
}

/**
 * Parses a server -> client message far enough to dispatch on its type; the hello is checked by
 * checkHello. A `status` is checked in full (PROTOCOL.md section 4: robotState one of the five
 * states, cause one of the listed causes, reason a string, commander a boolean, time a finite
 * number): one that fails is returned as a stop (checkStatus), never taken at its word.
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(m) || typeof m.type !== 'string') return undefined;
  if (m.type === 'status') return checkStatus(m);
  return m as unknown as ServerMessage;
}

/**
 * A server's status, checked: as sent when every field is what the protocol says; otherwise a
 * safe-stop (cause `safety`) whose reason names the field and what came, with `invalid` set, so
 * that a client runs no policy on a robot whose state it cannot know (a third-party server's
 * "estopped" is a stop, not a running robot).
 */
export function checkStatus(m: Record<string, unknown>): StatusMessage {
  const bad =
    !ROBOT_STATES.includes(m.robotState as RobotState) ? ['robotState', `one of ${ROBOT_STATES.join(', ')}`]
    : !STATE_CAUSES.includes(m.cause as StateCause) ? ['cause', `one of ${STATE_CAUSES.join(', ')}`]
    : typeof m.reason !== 'string' ? ['reason', 'a string']
    : typeof m.commander !== 'boolean' ? ['commander', 'true or false']
    : typeof m.time !== 'number' || !Number.isFinite(m.time) ? ['time', 'a finite number (s)']
    : undefined;
  if (bad === undefined) return { type: 'status', robotState: m.robotState as RobotState, cause: m.cause as StateCause, reason: m.reason as string, commander: m.commander as boolean, time: m.time as number };
  const [field, expected] = bad;
  const got = m[field] === undefined ? 'nothing' : printable(JSON.stringify(m[field]).slice(0, 40));
  return {
    type: 'status',
    robotState: 'safe-stop',
    cause: 'safety',
    reason: `the server sent an invalid status: status.${field} is ${got} (expected ${expected}); taken as a stop`,
    commander: m.commander === true,
    time: typeof m.time === 'number' && Number.isFinite(m.time) ? m.time : Number.NaN,
    invalid: `status.${field}`,
  };
}

/**
 * The hello's physics engine, checked against HelloEngineSchema: a lower-case name for a
 * simulation, null for hardware or a server that does not send the field.
 * @throws BridgeError BRIDGE_BAD_HELLO naming `hello.engine`
 */
export function helloEngine(h: { readonly engine?: unknown }, where = ''): string | null {
  if (h.engine === undefined) return null;
  if (!Value.Check(HelloEngineSchema, h.engine)) throw new BridgeError('BRIDGE_BAD_HELLO', `${where ? `${where} ` : ''}hello.engine`, `cannot be used (${JSON.stringify(h.engine)?.slice(0, 40)})`, 'null or a lower-case engine name such as "cannon" or "mujoco"');
  return h.engine as string | null;
}

/**
 * The hello's `frame.imuLink`, checked against HelloImuLinkSchema: the link the served IMU is on,
 * null when the server does not say (the field absent, as from a server before it, or null). Read
 * only by a client that derives another link from the IMU, so a bad one costs no other link.
 * @throws BridgeError BRIDGE_BAD_HELLO naming `hello.frame.imuLink`
 */
export function helloImuLink(h: { readonly frame?: { readonly imuLink?: unknown } }, where = ''): string | null {
  const l = h.frame?.imuLink;
  if (l === undefined || l === null) return null;
  if (!Value.Check(HelloImuLinkSchema, l)) throw new BridgeError('BRIDGE_BAD_HELLO', `${where ? `${where} ` : ''}hello.frame.imuLink`, `cannot be used (${printable(JSON.stringify(l)?.slice(0, 60) ?? '')})`, 'null, or a link name of 1 to 255 characters without control characters');
  return l as string;
}

/** The hello's `robotFile` (PROTOCOL.md section 4): the served robot's description file by name and sha256, with the set-up that places its root. */
export type HelloRobotFile = Readonly<Static<typeof HelloRobotFileSchema>>;

/**
 * The hello's robot file, checked against HelloRobotFileSchema: null when the server names none
 * (the field absent, as from a server before it, or null). A client reads it with
 * readHelloRobotFile, which takes a malformed one as none; a server's own is checked with this.
 * @throws BridgeError BRIDGE_BAD_HELLO naming the field (`hello.robotFile.sha256`) and what it must be
 */
export function helloRobotFile(h: { readonly robotFile?: unknown }, where = ''): HelloRobotFile | null {
  const f = h.robotFile;
  if (f === undefined || f === null) return null;
  const at = `${where ? `${where} ` : ''}hello.robotFile`;
  if (!isObject(f)) throw new BridgeError('BRIDGE_BAD_HELLO', at, `cannot be used (${JSON.stringify(f)?.slice(0, 40)})`, 'null, or { format, name, sha256, bytes, fixedBase, basePosition, baseOrientation }');
  const first = Value.Errors(HelloRobotFileSchema, f).First();
  const field = first ? first.path.replace(/^\//, '').split('/')[0] : ['basePosition', 'baseOrientation'].find((k) => !(f[k] as number[]).every(Number.isFinite));
  if (field !== undefined) {
    const schema = HelloRobotFileSchema.properties[field as keyof typeof HelloRobotFileSchema.properties] as { description?: string; pattern?: string } | undefined;
    const what = field === 'name' ? 'a file name without any folder (no / or \\) and no control or bidi characters' : field === 'sha256' ? '64 lower-case hex digits' : field === 'basePosition' ? '3 finite numbers (m)' : field === 'baseOrientation' ? '4 finite numbers (x y z w)' : (schema?.description ?? 'a valid value');
    throw new BridgeError('BRIDGE_BAD_HELLO', `${at}.${field || '?'}`, `cannot be used (${JSON.stringify(f[field])?.slice(0, 80)})`, what);
  }
  return { format: f.format as string, name: f.name as string, sha256: f.sha256 as string, bytes: f.bytes as number, fixedBase: f.fixedBase as boolean, basePosition: [...(f.basePosition as number[])], baseOrientation: [...(f.baseOrientation as number[])] };
}

/**
 * The hello's robot file as a client reads it (PROTOCOL.md section 4, hello.robotFile): as
 * helloRobotFile, but a malformed one is taken as none (`file` null) and `problem` says why. The
 * field only lets a client draw the robot: a bad one must not cost a link that runs a policy.
 */
export function readHelloRobotFile(h: { readonly robotFile?: unknown }, where = ''): { readonly file: HelloRobotFile | null; readonly problem?: string } {
  try {
    return { file: helloRobotFile(h, where) };
  } catch (e) {
    return { file: null, problem: (e as Error).message };
  }
}

/** True when two hellos name the same robot file with the same set-up (or both name none). */
export function sameRobotFile(a: HelloRobotFile | null, b: HelloRobotFile | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---- RobotSpec on the wire ----

export function specToWire(spec: RobotSpec): WireRobotSpec {
  const fin = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    name: spec.name,
    joints: spec.joints.map((j) => ({
      name: j.name,
      type: j.type,
      lower: fin(j.lower),
      upper: fin(j.upper),
      velocityLimit: fin(j.velocityLimit),
      effortLimit: fin(j.effortLimit),
      defaultPosition: fin(j.defaultPosition),
      kp: fin(j.kp),
      kd: fin(j.kd),
      // Gain bounds and the servo's own velocity loop (added within version 1: absent when the
      // robot sets none, and from older servers; PROTOCOL.md 5.1).
      ...(j.kpMax !== undefined && Number.isFinite(j.kpMax) ? { kpMax: j.kpMax } : {}),
      ...(j.kdMax !== undefined && Number.isFinite(j.kdMax) ? { kdMax: j.kdMax } : {}),
      ...(j.ownVelocityLoop === true ? { ownVelocityLoop: true } : {}),
      // A <mimic> follower (added within version 1: absent on every other joint, and from older servers).
      ...(j.mimic ? { mimic: { joint: j.mimic.joint, multiplier: j.mimic.multiplier, offset: j.mimic.offset } } : {}),
    })),
    sensors: { imu: spec.sensors.imu, contacts: [...spec.sensors.contacts] },
    controlModes: [...spec.controlModes],
  };
}

const JOINT_TYPES: readonly JointType[] = ['revolute', 'continuous', 'prismatic'];
const MODES: readonly ControlMode[] = ['position', 'velocity', 'effort'];

/**
 * Checks a hello's robot and turns it back into a RobotSpec (null lower/upper -> ∓Infinity; a
 * joint's `mimic`, absent or null for a joint that is driven, kept for a follower).
 * @throws BridgeError BAD_HELLO naming the field (e.g. `hello.robot.joints[2].effortLimit`)
 */
export function specFromWire(w: unknown, where = 'hello.robot'): RobotSpec {
  const fail = (field: string, expected: string): never => {
    throw new BridgeError('BRIDGE_BAD_HELLO', `${where}${field}`, 'cannot be used', expected);
  };
  if (!isObject(w)) return fail('', 'a RobotSpec object');
  if (typeof w.name !== 'string') fail('.name', 'a string');
  if (!Array.isArray(w.joints) || w.joints.length === 0 || w.joints.length > 0xffff) fail('.joints', 'an array of 1 to 65535 joints');
  const joints: JointSpec[] = (w.joints as unknown[]).map((j, i) => {
    const at = `.joints[${i}]`;
    if (!isObject(j)) return fail(at, 'a JointSpec object');
    if (typeof j.name !== 'string') fail(`${at}.name`, 'a string');
    if (!JOINT_TYPES.includes(j.type as JointType)) fail(`${at}.type`, JOINT_TYPES.join(' | '));
    const num = (k: string, ifNull: number | undefined): number => {
      const x = j[k];
      if (x === null && ifNull !== undefined) return ifNull;
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${at}.${k}`, ifNull === undefined ? 'a finite number' : 'a finite number or null');
      return x as number;
    };
    return {
      name: j.name as string,
      type: j.type as JointType,
      lower: num('lower', -Infinity),
      upper: num('upper', Infinity),
      velocityLimit: num('velocityLimit', Infinity),
      effortLimit: num('effortLimit', Infinity),
      defaultPosition: num('defaultPosition', undefined),
      kp: num('kp', undefined),
      kd: num('kd', undefined),
      ...gainMaxFromWire(j, 'kpMax', () => fail(`${at}.kpMax`, 'absent, null, or a finite number >= 0 (the largest kp a command may carry)')),
      ...gainMaxFromWire(j, 'kdMax', () => fail(`${at}.kdMax`, 'absent, null, or a finite number >= 0 (the largest kd a command may carry)')),
      ...ownVelocityLoopFromWire(j.ownVelocityLoop, () => fail(`${at}.ownVelocityLoop`, 'absent, null or a boolean')),
      ...mimicFromWire(j.mimic, `${where}${at}.mimic`),
    };
  });
  const s = w.sensors;
  if (!isObject(s) || typeof s.imu !== 'boolean' || !Array.isArray(s.contacts) || !s.contacts.every((c) => typeof c === 'string'))
    fail('.sensors', '{ imu: boolean, contacts: string[] }');
  const sensors = s as { imu: boolean; contacts: string[] };
  if (!Array.isArray(w.controlModes) || w.controlModes.length === 0 || !w.controlModes.every((m) => MODES.includes(m as ControlMode)))
    fail('.controlModes', 'a non-empty array of "position" | "velocity" | "effort"');
  return { name: w.name as string, joints, sensors: { imu: sensors.imu, contacts: [...sensors.contacts] }, controlModes: [...(w.controlModes as ControlMode[])] };
}

/** A wire joint's `kpMax` / `kdMax` (none when absent or null; a finite number >= 0 otherwise). */
function gainMaxFromWire(j: Record<string, unknown>, k: 'kpMax' | 'kdMax', bad: () => never): { kpMax?: number } | { kdMax?: number } {
  const x = j[k];
  if (x === undefined || x === null) return {};
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) bad();
  return { [k]: x as number };
}

/** A wire joint's `ownVelocityLoop` (false when absent or null). */
function ownVelocityLoopFromWire(x: unknown, bad: () => never): { ownVelocityLoop?: boolean } {
  if (x === undefined || x === null || x === false) return {};
  if (x !== true) bad();
  return { ownVelocityLoop: true };
}

/** A wire joint's `mimic` as JointSpec's (none when absent or null). */
function mimicFromWire(m: unknown, where: string): { mimic?: NonNullable<JointSpec['mimic']> } {
  if (m === undefined || m === null) return {};
  const ok = isObject(m) && typeof m.joint === 'string' && m.joint.length > 0 && Number.isFinite(m.multiplier) && Number.isFinite(m.offset);
  if (!ok) throw new BridgeError('BRIDGE_BAD_HELLO', where, 'cannot be used', 'null, or { joint: the name of the joint it follows, multiplier: a finite number, offset: a finite number }');
  return { mimic: { joint: m.joint as string, multiplier: m.multiplier as number, offset: m.offset as number } };
}

/** True when two specs describe the same robot (names, joints, limits, sensors, modes). */
export function sameSpec(a: RobotSpec, b: RobotSpec): boolean {
  return JSON.stringify(specToWire(a)) === JSON.stringify(specToWire(b));
}
