/**
 * The bridge server's options: what `BridgeServer.listen` is given, their defaults and their
 * checks (a bad option is a BridgeError BRIDGE_CONFIG naming it), and the default pacing by loop
 * rate. `resolveServerOptions` turns the options into the settings the server runs with; what the
 * server does with them is BridgeServer's.
 */
import { isSimulated, type Robot, type SimulatedRobot } from '../../src/core/robot.ts';
import type { SafetyConfig } from '../../src/safety/types.ts';
import type { StateWatch } from './RobotLoop.ts';
import { BridgeError } from './BridgeError.ts';
import { helloImuLink, helloRobotFile, type HelloRobotFile } from './messages.ts';
import { printable } from '../../src/core/printable.ts';
import { DEFAULT_COMMAND_TIMEOUT_S, DEFAULT_HEARTBEAT_INTERVAL_S, DEFAULT_HEARTBEAT_TIMEOUT_S } from './protocol.ts';
import { generateToken, isLoopback } from './tokens.ts';

export interface BridgeServerOptions {
  /** The robot served. A SimulatedRobot is stepped by the server in real time; it must not be stepped elsewhere. */
  readonly robot: Robot;
  /** Interface to bind; default 127.0.0.1. Anything but loopback requires `token`. */
  readonly host?: string;
  /** TCP port; default 8765; 0 picks a free one (see `port` after listen). */
  readonly port?: number;
  /** Token that commanding (and e-stop, reset) requires. Absent: a random one is generated (loopback only). */
  readonly token?: string;
  /** Let clients without a token receive state frames; default true. */
  readonly observeWithoutToken?: boolean;
  /**
   * E-stop needs the token too; default false: stopping is always allowed, any client may e-stop.
   * Set it for a server exposed beyond the robot's own network.
   */
  readonly stopNeedsToken?: boolean;
  /** Loop rate of a real (not simulated) robot (Hz); a simulated robot's is 1 / physicsDt. */
  readonly loopHz?: number;
  /** State frame rate (Hz); must divide the loop rate; default the loop rate. */
  readonly stateHz?: number;
  /** Command deadman (s); default 0.2. */
  readonly commandTimeoutS?: number;
  /** Heartbeat interval and timeout (s); defaults 0.1 and 0.5. */
  readonly heartbeatIntervalS?: number;
  readonly heartbeatTimeoutS?: number;
  /**
   * What wakes a paced loop at its step deadlines: 'worker' (the default up to 4 kHz), a timing thread
   * sleeping in Atomics.wait on the steady clock (WorkerPacer), which leaves this thread idle
   * between steps; 'poll' (the default above 4 kHz, with an injected `now` or with `spinMarginS`), a timer then an I/O-polling spin of
   * `spinMarginS` (Pacer), which keeps this thread busy for the margin. docs/timing.md, "The bridge
   * server's pacing".
   */
  readonly pacing?: 'poll' | 'worker';
  /** Poll pacing only: seconds before each loop deadline at which the timer hands over to the spin; 0 = timer only. Default 0.0011. */
  readonly spinMarginS?: number;
  /** Most loop time (s) caught up after a late wake-up; beyond it the time is skipped and counted as overruns. Default 0.1. */
  readonly maxCatchUpS?: number;
  /** Send privileged base state in state frames; default: true for a simulated robot. */
  readonly sendBase?: boolean;
  /** Server safety settings (soft start is the client's business: default 0 here). */
  readonly safety?: Partial<SafetyConfig>;
  /**
   * A check of every observation the served robot gives (a simulation's state watchdog): once it
   * fails, a running robot is safe-stopped ('state_watchdog'), and again each time it is re-armed,
   * until `sim_reset` puts the simulation back (which resets the check). Default none.
   */
  readonly watch?: StateWatch;
  /** Free text in the hello's `server` field. */
  readonly serverName?: string;
  /** The hello's `engine`: physics engine of a simulated robot ("cannon", "mujoco"); default null. */
  readonly engine?: string;
  /**
   * The hello's `robotFile`: the robot description file the served robot was built from, by name
   * (never its path) and sha256, with the set-up that places its root; default none (a shipped
   * robot, hardware). A client draws the robot from its own copy once the sha256 matches.
   */
  readonly robotFile?: HelloRobotFile;
  /**
   * The hello's `frame.imuLink`: the link (an MJCF's body) the robot's IMU is on, by its name in the
   * robot file; default none (the field is left out). Only for a robot with an IMU.
   */
  readonly imuLink?: string;
  /**
   * The server's steady clock (s, origin arbitrary): loop steps, the deadman, heartbeat timeouts
   * and every time it reports. Default performance.now(). Tests inject virtual time.
   */
  readonly now?: () => number;
  /**
   * Pace the loop in real time on `now` (default true). false: the owner runs the steps due with
   * `runDue()` after advancing its clock (virtual-time tests); heartbeats are then sent by
   * `heartbeat()` too.
   */
  readonly paced?: boolean;
  /** What one client, and connecting clients, may make the server do (docs/bridge.md, "A client that floods"). */
  readonly limits?: BridgeLimits;
  /**
   * Browser origins (`http://host:port`, as a page's `Origin` header says it) whose pages may
   * connect. Default none: an upgrade that carries an `Origin` (only browsers send one) is
   * refused 403; a client that sends none (a Node, Python, C++ client) is let in.
   */
  readonly allowOrigins?: readonly string[];
}

/**
 * Per-connection buckets, checked on every message before it is read (a message that finds one
 * empty closes the connection 1008, unread; an estop in it is applied first), the server-wide
 * bound on WebSocket upgrades, and the most a client may leave unread. A connection that has
 * authenticated with the token gets the first pair, sized by default from the loop rate so that a
 * commander sending one command frame per loop step never meets them (`tokenLimits`): 1.25 times
 * the loop rate plus 20 messages a second, at least 2000, and as many frames of the robot's
 * largest command frame (gains and feed-forward) in bytes, at least 2 MiB. One without the token
 * (it may observe, stop, ask for stats and authenticate: 10 heartbeats a second) gets the
 * `tokenless` pair, and at most `maxTokenlessConnections` of them are open at once.
 */
export interface BridgeLimits {
  /** Messages a second an authenticated connection may send on average, and at once beyond it; defaults max(2000, 1.25 × loop rate + 20), both. */
  readonly messagesPerS?: number;
  readonly burstMessages?: number;
  /** Its bytes a second on average, and at once; defaults max(2 MiB, messages a second × the largest command frame), both. */
  readonly bytesPerS?: number;
  readonly burstBytes?: number;
  /** The same for a connection without the token; defaults 100 and 100 messages, 64 KiB and 128 KiB. */
  readonly tokenlessMessagesPerS?: number;
  readonly tokenlessBurstMessages?: number;
  readonly tokenlessBytesPerS?: number;
  readonly tokenlessBurstBytes?: number;
  /** Upgrades without the token a second the whole server accepts on average, and at once; beyond, 503. Defaults 10 and 20. An upgrade with the token (`authorization: Bearer`) is not counted. */
  readonly upgradesPerS?: number;
  readonly burstUpgrades?: number;
  /** Connections without the token (in their upgrade or by `auth`) open at once; beyond, an upgrade without the token gets 503. Default 32. */
  readonly maxTokenlessConnections?: number;
  /** Bytes a client may leave unsent when it is sent a reply or a status; beyond, it is closed 1008. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
}

/** The limits with their defaults filled in. */
export type ResolvedLimits = Required<BridgeLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = {
  messagesPerS: 2000,
  burstMessages: 2000,
  bytesPerS: 2 << 20,
  burstBytes: 2 << 20,
  tokenlessMessagesPerS: 100,
  tokenlessBurstMessages: 100,
  tokenlessBytesPerS: 64 * 1024,
  tokenlessBurstBytes: 128 * 1024,
  upgradesPerS: 10,
  burstUpgrades: 20,
  maxTokenlessConnections: 32,
  maxBufferedBytes: 1 << 20,
};

/**
 * The token holder's buckets for a loop rate and joint count: a commander sends at most one
 * command frame per loop step that counts (later ones in a step only overwrite it), plus 10
 * heartbeats and the odd control message; 1.25 × leaves room for a client clock that runs ahead
 * of the server's. Never below DEFAULT_LIMITS (2000 messages, 2 MiB a second).
 */
export function tokenLimits(loopHz: number, joints: number): Pick<ResolvedLimits, 'messagesPerS' | 'burstMessages' | 'bytesPerS' | 'burstBytes'> {
  const msgs = Math.max(DEFAULT_LIMITS.messagesPerS, Math.ceil(1.25 * loopHz + 20));
  const bytes = Math.max(DEFAULT_LIMITS.bytesPerS, msgs * (24 + 16 * joints)); // PROTOCOL.md section 5.3, gains and feed-forward
  return { messagesPerS: msgs, burstMessages: msgs, bytesPerS: bytes, burstBytes: bytes };
}

/**
 * Most loop rate (Hz) the timing thread paces by default: it kept 97 % of its slots at 4 kHz and
 * 46 % at 16 kHz on this host (tests/bench/bridge.ts, docs/timing.md "The bridge server's pacing").
 */
export const WORKER_PACING_MAX_HZ = 4000;

/** The pacing a server uses when none is given: the timing thread up to WORKER_PACING_MAX_HZ, the poll pacer (whose spin then covers the whole period) above. */
export function defaultPacing(loopHz: number): 'poll' | 'worker' {
  return loopHz <= WORKER_PACING_MAX_HZ + 1e-6 ? 'worker' : 'poll';
}

/**
 * Checks `o` (BridgeError BRIDGE_CONFIG naming the first bad option) and fills in the defaults:
 * the settings the server runs with (rates in Hz, times in s, `decimation` loop steps per state frame).
 */
export function resolveServerOptions(o: BridgeServerOptions) {
  const robot = o.robot;
  const host = o.host ?? '127.0.0.1';
  if (o.token !== undefined && o.token.length === 0) throw new BridgeError('BRIDGE_CONFIG', 'token', 'is empty', 'a non-empty token');
  if (o.token === undefined && !isLoopback(host))
    throw new BridgeError('BRIDGE_CONFIG', 'host', `"${host}" is reachable from other machines and no token was given`, 'a token when binding beyond loopback');
  const tokenGenerated = o.token === undefined;
  const token = o.token ?? generateToken();
  const observeWithoutToken = o.observeWithoutToken ?? true;
  const stopNeedsToken = o.stopNeedsToken ?? false;
  const sim = isSimulated(robot);
  let dt: number;
  if (sim) {
    dt = (robot as SimulatedRobot).physicsDt;
  } else {
    const hz = o.loopHz;
    if (hz === undefined || !(hz > 0 && hz <= 100_000)) throw new BridgeError('BRIDGE_CONFIG', 'loopHz', `is ${hz}`, 'a loop rate in (0, 100000] Hz for a real robot');
    dt = 1 / hz;
  }
  const loopHz = 1 / dt;
  const stateHz = o.stateHz ?? loopHz;
  const dec = loopHz / stateHz;
  if (!(stateHz > 0) || Math.abs(dec - Math.round(dec)) > 1e-6 || Math.round(dec) < 1)
    throw new BridgeError('BRIDGE_CONFIG', 'stateHz', `${stateHz} Hz does not divide the loop rate ${loopHz} Hz`, `a divisor of ${loopHz}`);
  const commandTimeoutS = positive(o.commandTimeoutS ?? DEFAULT_COMMAND_TIMEOUT_S, 'commandTimeoutS');
  const heartbeatIntervalS = positive(o.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S, 'heartbeatIntervalS');
  const heartbeatTimeoutS = positive(o.heartbeatTimeoutS ?? DEFAULT_HEARTBEAT_TIMEOUT_S, 'heartbeatTimeoutS');
  if (heartbeatTimeoutS <= heartbeatIntervalS)
    throw new BridgeError('BRIDGE_CONFIG', 'heartbeatTimeoutS', `${heartbeatTimeoutS} s is not longer than the interval ${heartbeatIntervalS} s`, 'a timeout longer than the heartbeat interval');
  if (o.pacing !== undefined && o.pacing !== 'poll' && o.pacing !== 'worker')
    throw new BridgeError('BRIDGE_CONFIG', 'pacing', `"${String(o.pacing)}" is not a pacing`, "'poll' or 'worker'");
  const pacingKind = o.pacing ?? (o.now === undefined && o.spinMarginS === undefined ? defaultPacing(loopHz) : 'poll');
  if (pacingKind === 'worker' && o.now !== undefined && (o.paced ?? true))
    throw new BridgeError('BRIDGE_CONFIG', 'pacing', "'worker' paces on the steady clock, and a clock `now` was given", "pacing 'poll' with an injected clock, or no `now`");
  if (pacingKind === 'worker' && o.spinMarginS !== undefined)
    throw new BridgeError('BRIDGE_CONFIG', 'spinMarginS', "is a setting of pacing 'poll', and the pacing is 'worker'", "pacing 'poll' with spinMarginS, or no spinMarginS");
  const paced = o.paced ?? true;
  const serverName = o.serverName ?? 'axon';
  const engine = o.engine ?? null;
  let robotFile: HelloRobotFile | null;
  try {
    robotFile = helloRobotFile(o);
  } catch (e) {
    const b = e as BridgeError;
    throw new BridgeError('BRIDGE_CONFIG', b.where.replace(/^hello\./, ''), b.detail, b.expected);
  }
  let imuLink: string | null = null;
  if (o.imuLink !== undefined) {
    if (!robot.spec.sensors.imu) throw new BridgeError('BRIDGE_CONFIG', 'imuLink', `is "${printable(o.imuLink)}", and the robot has no IMU`, 'no imuLink for a robot without an IMU');
    try {
      imuLink = helloImuLink({ frame: { imuLink: o.imuLink } });
    } catch (e) {
      const b = e as BridgeError;
      throw new BridgeError('BRIDGE_CONFIG', 'imuLink', b.detail, b.expected);
    }
  }
  const limits = { ...DEFAULT_LIMITS, ...tokenLimits(loopHz, robot.spec.joints.length) };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof ResolvedLimits)[]) {
    const v = o.limits?.[k];
    if (v === undefined) continue;
    if (!(v > 0 && Number.isFinite(v))) throw new BridgeError('BRIDGE_CONFIG', `limits.${k}`, `is ${v}`, 'a finite number > 0');
    limits[k] = v;
  }
  const allowOrigins = new Set<string>();
  for (const origin of o.allowOrigins ?? []) {
    let u: URL | undefined;
    try {
      u = new URL(origin);
    } catch {
      u = undefined;
    }
    if (u === undefined || u.origin === 'null' || u.origin !== origin.replace(/\/$/, '').toLowerCase())
      throw new BridgeError('BRIDGE_CONFIG', 'allowOrigins', `"${printable(origin)}" is not an origin`, 'a scheme, host and port, e.g. http://localhost:3000');
    allowOrigins.add(u.origin);
  }
  return { limits, allowOrigins, host, token, tokenGenerated, observeWithoutToken, stopNeedsToken, sim, dt, loopHz, stateHz, decimation: Math.round(dec), commandTimeoutS, heartbeatIntervalS, heartbeatTimeoutS, pacingKind, paced, serverName, engine, robotFile, imuLink };
}

function positive(x: number, name: string): number {
  if (!(x > 0 && Number.isFinite(x))) throw new BridgeError('BRIDGE_CONFIG', name, `is ${x}`, 'a finite number of seconds > 0');
  return x;
}
