/**
 * TypeBox schemas of the bridge's client -> server JSON control messages (hardware/PROTOCOL.md,
 * section 4). One declaration gives the check the server runs and the JSON Schema the document
 * publishes (section 4.1, kept equal to `clientMessageJsonSchema()` by a test). Unknown fields
 * are allowed (and ignored), as the protocol says.
 */
import { Type, type TObject } from '@sinclair/typebox';
import { UNPRINTABLE_CLASS } from '../../src/core/printable.ts';

/** Longest `reason` a client may give (characters). */
export const REASON_MAX = 200;
/** Longest token accepted (characters). */
export const TOKEN_MAX = 1024;

const reason = Type.Optional(Type.String({ maxLength: REASON_MAX, description: 'free text for logs and the status it causes' }));

export const AuthSchema = Type.Object(
  {
    type: Type.Literal('auth'),
    token: Type.Optional(Type.String({ maxLength: TOKEN_MAX, description: 'the server token; may be omitted for role "observe" where hello.auth.observeWithoutToken' })),
    role: Type.Union([Type.Literal('observe'), Type.Literal('command')]),
  },
  { title: 'auth' },
);
export const HeartbeatSchema = Type.Object(
  {
    type: Type.Literal('heartbeat'),
    time: Type.Number({ description: "the sender's steady (monotonic) clock (s), origin arbitrary; informational (finite)" }),
  },
  { title: 'heartbeat' },
);
export const EstopSchema = Type.Object({ type: Type.Literal('estop'), reason }, { title: 'estop' });
export const ResetSchema = Type.Object({ type: Type.Literal('reset'), reason }, { title: 'reset' });
export const ReleaseSchema = Type.Object({ type: Type.Literal('release') }, { title: 'release' });
export const SimResetSchema = Type.Object(
  {
    type: Type.Literal('sim_reset'),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
  },
  { title: 'sim_reset' },
);
export const StatsRequestSchema = Type.Object({ type: Type.Literal('stats') }, { title: 'stats' });

/**
 * The hello's `engine` (server -> client): the physics engine of a simulated robot, lower-case
 * (`cannon` for cannon-es, `mujoco` for MuJoCo), or null for a real robot. A server from before
 * the field sends none; the client reads that as null.
 */
export const HelloEngineSchema = Type.Union([Type.Null(), Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' })], { title: 'hello.engine' });

/**
 * The hello's `robotFile` (server -> client, added within version 1): the robot description file
 * the served robot was built from, so that a client can draw it from its own copy, checked by
 * sha256 (PROTOCOL.md section 4, hello). The file's name only, never its path: a path names the
 * server's folders (user names, project layout) to any client, observers without a token included,
 * and is of no use on the client's machine. `fixedBase`, `basePosition`, `baseOrientation`: the
 * set-up that places the drawing's root (m, world; x y z w), as a recording's `drawing` keeps it
 * (src/record/drawingMeta.ts). Absent or null: the server names no file (an older server, a shipped
 * robot, hardware).
 */
export const HelloRobotFileSchema = Type.Object(
  {
    format: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,15}$', description: 'the file\'s kind: "urdf" or "mjcf" (the ones axon sends and draws; an MJCF\'s top file only)' }),
    // No character a terminal acts on (a client prints the name): C0, DEL, C1, line separators, bidi controls.
    name: Type.String({ minLength: 1, maxLength: 255, pattern: `^(?!\\.{1,2}$)[^/\\\\${UNPRINTABLE_CLASS}]+$`, description: 'the file name without any folder' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the file\'s bytes, lower-case hex' }),
    bytes: Type.Integer({ minimum: 0, description: 'the file\'s size in bytes' }),
    fixedBase: Type.Boolean({ description: 'the root link is fixed to the world' }),
    basePosition: Type.Array(Type.Number(), { minItems: 3, maxItems: 3, description: 'where the set-up put the root link before the first step (m, world)' }),
    baseOrientation: Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: 'its orientation (x y z w)' }),
  },
  { title: 'hello.robotFile' },
);

/**
 * The hello's `frame.imuLink` (server -> client, added within version 1): the link (an MJCF's body)
 * the served IMU is on, by its name in the served robot file, so that a client deriving another
 * link from the IMU starts its chain there (docs/byom.md, an IMU term's `link`). Absent or null:
 * the server does not say (an older server, hardware that does not know).
 */
export const HelloImuLinkSchema = Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 255, pattern: `^[^${UNPRINTABLE_CLASS}]+$` })], { title: 'hello.frame.imuLink' });

/** Each client message type and its schema. */
export const CLIENT_MESSAGE_SCHEMAS: Readonly<Record<string, TObject>> = {
  auth: AuthSchema,
  heartbeat: HeartbeatSchema,
  estop: EstopSchema,
  reset: ResetSchema,
  release: ReleaseSchema,
  sim_reset: SimResetSchema,
  stats: StatsRequestSchema,
};

export const ClientMessageSchema = Type.Union(Object.values(CLIENT_MESSAGE_SCHEMAS), { $id: 'urn:axon:bridge:v1:client-message', title: 'axon.bridge.v1 client -> server control message' });

/** The JSON Schema (draft 2020-12 compatible) of every client -> server control message, as published in PROTOCOL.md. */
export function clientMessageJsonSchema(): unknown {
  return JSON.parse(JSON.stringify(ClientMessageSchema));
}
