/**
 * The axon bridge protocol, version 1: names, numbers and defaults shared by the server
 * (BridgeServer), the client (BridgeRobot) and hardware/PROTOCOL.md, which is the normative text.
 */

/** Protocol version carried in the subprotocol name, the hello and byte 2 of every binary frame. */
export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol (Sec-WebSocket-Protocol) of this version. */
export const SUBPROTOCOL = `axon.bridge.v${PROTOCOL_VERSION}`;

/** Subprotocol names look like this; the number is the protocol version. */
export const SUBPROTOCOL_PATTERN = /^axon\.bridge\.v(\d+)$/;

/** HTTP status a server answers an upgrade with when it speaks none of the offered versions. */
export const HTTP_VERSION_MISMATCH = 426;

/** Header a server adds to that answer: the subprotocols it speaks, comma-separated. */
export const VERSIONS_HEADER = 'x-axon-bridge-versions';

/** Default TCP port of `axon bridge`. */
export const DEFAULT_PORT = 8765;

/** Largest WebSocket message either side accepts (bytes); bigger ones close the socket (1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Largest message a server reads at all (bytes): one over MAX_MESSAGE_BYTES still closes the
 * socket (1009), but an `estop` up to this size is applied first (PROTOCOL.md section 1: stopping
 * is always allowed); past it the socket closes unread, as for any message.
 */
export const MAX_ESTOP_BYTES = 1024 * 1024;

/** Timing defaults (s), announced in the hello; the server's values are the ones that apply. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 0.1;
export const DEFAULT_HEARTBEAT_TIMEOUT_S = 0.5;
export const DEFAULT_COMMAND_TIMEOUT_S = 0.2;

/**
 * Error codes carried by `{"type":"error","code":N,"name":...}` messages. Stable numbers: a
 * client in any language matches on them. Ranges: 1xxx the message or frame was malformed,
 * 2xxx authentication and roles, 3xxx the robot's state refused it, 9xxx the server failed.
 */
export const ErrorCode = {
  /** A text message that is not a JSON object. */
  BAD_JSON: 1001,
  /** A JSON control message of unknown type or with a missing / wrong field. */
  BAD_MESSAGE: 1002,
  /** A binary frame shorter than the 24-byte header. */
  FRAME_SHORT: 1010,
  /** Bytes 0-1 are not "AX". */
  FRAME_MAGIC: 1011,
  /** Byte 2 is not the protocol version. */
  FRAME_VERSION: 1012,
  /** Byte 3 is not a frame type this peer accepts (a server accepts command frames only). */
  FRAME_TYPE: 1013,
  /** The joint count (bytes 20-21) differs from the robot's. */
  FRAME_COUNT: 1014,
  /** Unknown flag bits, or a mode number that is not one of the three. */
  FRAME_FLAGS: 1015,
  /** The frame's length differs from the one its header implies. */
  FRAME_LENGTH: 1016,
  /** A value is NaN, ±Infinity or beyond ±1e10: the whole frame is rejected. */
  FRAME_VALUE: 1017,
  /** A control mode the robot does not support. */
  MODE_UNSUPPORTED: 1018,
  /** A command frame with seq 0 (seqs run 1, 2, 3, ... and wrap to 1). */
  FRAME_SEQ: 1019,
  /** A command frame whose seq is not newer than the last one accepted on this connection (a stale, repeated or reordered frame). */
  FRAME_STALE: 1020,
  /** A velocity-mode command frame that would drive nothing: kd 0 on a driven joint (the velocity loop's gain). The robot is not armed by it, nor its held command changed. */
  COMMAND_UNDRIVEN: 1021,
  /** The client speaks no protocol version the server speaks (handshake answer body). */
  VERSION_MISMATCH: 1100,
  /** Commanding, reset and sim_reset need a valid token first; e-stop only on a server with stopNeedsToken, observing only on one without observeWithoutToken. */
  AUTH_REQUIRED: 2001,
  /** The token is wrong: the server closes the connection with 4401. */
  AUTH_FAILED: 2002,
  /** A command frame or commander-only message from a client that is not the commander. */
  NOT_COMMANDER: 2003,
  /** Another client holds the commander role. */
  COMMANDER_BUSY: 2004,
  /** Commands (and sim_reset, but for the state watchdog's safe-stop) refused while the robot is safe-stopped or e-stopped: send reset first. */
  ROBOT_STOPPED: 3001,
  /** The request needs something this robot has not (sim_reset on a real robot). */
  UNSUPPORTED: 3002,
  /** The server could not handle the message; the robot is unaffected or safe-stopped. */
  INTERNAL: 9000,
} as const;

export type ErrorName = keyof typeof ErrorCode;

const _names = new Map<number, ErrorName>(Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorName]));

/** The name of a numeric error code, or `UNKNOWN_<n>`. */
export function errorName(code: number): string {
  return _names.get(code) ?? `UNKNOWN_${code}`;
}

/** WebSocket close codes the server uses (4000-4999 are the application's). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** A client over its message or byte rate, or not reading its replies (docs/bridge.md, "A client that floods"). */
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  AUTH_FAILED: 4401,
  HEARTBEAT_TIMEOUT: 4408,
} as const;

/**
 * The robot's state as the server reports it. `idle`: no commander has armed it; it holds its
 * pose (safe output) and the first valid command arms it. The others are the safety
 * supervisor's: running -> degraded (holding this tick) -> safe-stop -> e-stopped; safe-stop and
 * e-stopped are latched until a `reset` (an explicit operator action), which returns to idle.
 */
export type RobotState = 'idle' | 'running' | 'degraded' | 'safe-stop' | 'e-stopped';

/** Every RobotState, as a receiver checks a status against them. */
export const ROBOT_STATES: readonly RobotState[] = ['idle', 'running', 'degraded', 'safe-stop', 'e-stopped'];

/** Why the robot entered a state (status.cause). */
export type StateCause =
  | 'armed' // the commander's first command after idle
  | 'deadman' // commands stopped arriving for longer than commandTimeoutS
  | 'commander_lost' // the commander's connection ended without `release`
  | 'estop' // an e-stop from a client or the server's operator
  | 'reset' // an operator reset (leaves safe-stop / e-stopped for idle)
  | 'release' // the commander gave the robot back cleanly
  | 'sim_reset' // a simulated robot was put back to its initial state
  | 'safety'; // the server's own supervisor (limits, bad values, stale observation)

/** Every StateCause, as a receiver checks a status against them. */
export const STATE_CAUSES: readonly StateCause[] = ['armed', 'deadman', 'commander_lost', 'estop', 'reset', 'release', 'sim_reset', 'safety'];

/** Roles a client asks for in `auth`. */
export type Role = 'observe' | 'command';
