/**
 * The robot side of the axon bridge: serves one Robot over WebSocket (hardware/PROTOCOL.md).
 *
 * A simulated robot is stepped here in real time on the server's own steady clock, one physics
 * step per loop tick (catching up when a wake-up was late); a real robot is read and written once
 * per loop tick. State frames go to every observer at the state rate. The server has its OWN
 * safety and never depends on a client to stop the robot:
 *
 *  - every command passes the server's SafetySupervisor (limits, bad values) before the robot;
 *  - command deadman: while running, a gap in the commander's commands longer than
 *    commandTimeoutS safe-stops the robot at the first loop tick past the deadline;
 *  - the commander's connection ending without `release` safe-stops the robot at once;
 *  - one commander at a time; a second is refused (COMMANDER_BUSY);
 *  - commanding and reset need the token; e-stop does not (stopping is always allowed) unless
 *    stopNeedsToken is set; observers need it only when configured;
 *  - a malformed frame or message gets an error reply and changes nothing.
 *
 * safe-stop and e-stopped are latched until an explicit `reset` (client or server operator).
 * A software stop is a protective stop (IEC 60204-1), not a category-0 emergency stop.
 *
 * Real-time rules: the loop tick (observe -> deadman -> supervisor -> command -> step) and the
 * command-frame path allocate nothing but the state frame buffer sent to clients; JSON, logging
 * and events happen only on connection, control messages, errors and state changes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Subject, type Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { createCommand, createObservation, isSimulated, type JointCommand, type Observation, type Robot, type SimulatedRobot } from '../../src/core/robot.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import { Pacer } from './Pacer.ts';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../../src/safety/types.ts';
import { BridgeError } from './BridgeError.ts';
import {
  commandFieldAt,
  decodeCommand,
  encodeState,
  FRAME_COMMAND,
  stateLayoutFor,
  type DecodedCommand,
  type FrameHeader,
  type StateLayout,
} from './frames.ts';
import { parseClientMessage, specToWire, type ClientMessage, type HelloMessage, type StatsMessage } from './messages.ts';
import {
  CloseCode,
  DEFAULT_COMMAND_TIMEOUT_S,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  DEFAULT_HEARTBEAT_TIMEOUT_S,
  DEFAULT_PORT,
  ErrorCode,
  errorName,
  HTTP_VERSION_MISMATCH,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  VERSIONS_HEADER,
  type Role,
  type RobotState,
  type StateCause,
} from './protocol.ts';
import { generateToken, isLoopback, tokenMatches } from './tokens.ts';

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
  /** Pacing: seconds before each loop deadline at which the timer hands over to an I/O-polling spin (Pacer); 0 = timer only. Default 0.0011. */
  readonly spinMarginS?: number;
  /** Most loop time (s) caught up after a late wake-up; beyond it the time is skipped and counted as overruns. Default 0.1. */
  readonly maxCatchUpS?: number;
  /** Send privileged base state in state frames; default: true for a simulated robot. */
  readonly sendBase?: boolean;
  /** Server safety settings (soft start is the client's business: default 0 here). */
  readonly safety?: Partial<SafetyConfig>;
  /** Free text in the hello's `server` field. */
  readonly serverName?: string;
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
}

/** What happens on the server, for the CLI's log and for tests. Times are server steady time (s). */
export type BridgeServerEvent =
  | { readonly kind: 'connect'; readonly client: number; readonly remote: string; readonly time: number }
  | { readonly kind: 'disconnect'; readonly client: number; readonly code: number; readonly reason: string; readonly time: number }
  | { readonly kind: 'role'; readonly client: number; readonly role: Role | 'observer-unauthenticated'; readonly time: number }
  | {
      readonly kind: 'state';
      readonly robotState: RobotState;
      readonly cause: StateCause;
      readonly reason: string;
      readonly time: number;
      /** Loop time (s) of the step from which the new state applies to the robot: k·dt on the server clock. */
      readonly loopTime: number;
      /** Arrival time of the last accepted command (s), NaN when none. */
      readonly lastCommandAt: number;
      readonly client?: number;
    }
  | { readonly kind: 'refused'; readonly client: number; readonly code: number; readonly name: string; readonly text: string; readonly time: number };

interface Client {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  authed: boolean;
  observing: boolean;
  /** Timed out: being closed, ignored meanwhile. */
  dead: boolean;
  lastHeard: number;
  /** Error replies left in this second (rate limit), and when the budget refills. */
  errorBudget: number;
  budgetAt: number;
  suppressed: number;
  dropped: number;
  /** Seq of the last command frame accepted from this connection (0: none yet). */
  lastSeq: number;
}

/** True when `seq` comes after `last` in the wrapping u32 sequence 1, 2, ..., 2³²−1, 1, ... (at most 2³¹−1 ahead). */
export function seqAfter(seq: number, last: number): boolean {
  const d = (seq - last) >>> 0;
  return d !== 0 && d < 0x80000000;
}

const ERRORS_PER_S = 20;
/** Above this much unsent data a client gets no state frames until it drains (bytes). */
const MAX_BUFFERED = 256 * 1024;
const RTT_CAPACITY = 1 << 16;
const SENT_RING = 1 << 10;
const _binary = { binary: true } as const;

/** A robot served over the bridge protocol. Create with `BridgeServer.listen(options)`. */
export class BridgeServer {
  readonly robot: Robot;
  readonly host: string;
  readonly token: string;
  /** True when the token was generated (no token was given). */
  readonly tokenGenerated: boolean;
  readonly observeWithoutToken: boolean;
  readonly stopNeedsToken: boolean;
  readonly sim: boolean;
  /** Loop period (s) and rates (Hz). */
  readonly dt: number;
  readonly loopHz: number;
  readonly stateHz: number;
  readonly commandTimeoutS: number;
  readonly heartbeatIntervalS: number;
  readonly heartbeatTimeoutS: number;
  readonly layout: StateLayout;
  readonly events$ = new Subject<BridgeServerEvent>();

  /** Counters since listen. */
  readonly counts = { stateFramesSent: 0, commandsAccepted: 0, commandsRejected: 0, overruns: 0, framesDropped: 0, errorsSent: 0, errorsDropped: 0 };

  private readonly _http: Server;
  private readonly _wss: WebSocketServer;
  private _port = 0;
  private readonly _clients = new Set<Client>();
  private _nextId = 1;
  private _commander: Client | undefined;
  private readonly _decimation: number;
  private readonly _pacer: Pacer;
  private readonly _maxCatchUp: number;
  private readonly _safetyConfig: Partial<SafetyConfig>;
  private readonly _serverName: string;
  private readonly _clock: () => number;
  private readonly _paced: boolean;

  // Loop state.
  private _origin = 0;
  private _k = 0;
  private _closed = false;
  private _obs: Observation;
  private _sup!: SafetySupervisor;
  private _supSub: Subscription | undefined;
  private _supReason = '';
  private readonly _out;
  private readonly _cmd: DecodedCommand;
  private readonly _scratch: DecodedCommand;
  private readonly _h: FrameHeader = { type: 0, seq: 0, time: 0, ack: 0, count: 0, flags: 0 };
  private _lastCommandAt = Number.NaN;
  private _lastCommandSeq = 0;
  private _stateSeq = 0;
  private _published: RobotState = 'idle';
  private _lastCause: StateCause | null = null;
  private _lastReason = '';
  private readonly _sentSeq = new Uint32Array(SENT_RING);
  private readonly _sentAt = new Float64Array(SENT_RING);
  private readonly _rtt = new Float64Array(RTT_CAPACITY);
  private _rttCount = 0;
  private _heartbeatTimer: NodeJS.Timeout | undefined;

  private constructor(o: BridgeServerOptions) {
    const robot = o.robot;
    this.robot = robot;
    this.host = o.host ?? '127.0.0.1';
    if (o.token !== undefined && o.token.length === 0) throw new BridgeError('BRIDGE_CONFIG', 'token', 'is empty', 'a non-empty token');
    if (o.token === undefined && !isLoopback(this.host))
      throw new BridgeError('BRIDGE_CONFIG', 'host', `"${this.host}" is reachable from other machines and no token was given`, 'a token when binding beyond loopback');
    this.tokenGenerated = o.token === undefined;
    this.token = o.token ?? generateToken();
    this.observeWithoutToken = o.observeWithoutToken ?? true;
    this.stopNeedsToken = o.stopNeedsToken ?? false;
    this.sim = isSimulated(robot);
    if (this.sim) {
      this.dt = (robot as SimulatedRobot).physicsDt;
    } else {
      const hz = o.loopHz;
      if (hz === undefined || !(hz > 0 && hz <= 100_000)) throw new BridgeError('BRIDGE_CONFIG', 'loopHz', `is ${hz}`, 'a loop rate in (0, 100000] Hz for a real robot');
      this.dt = 1 / hz;
    }
    this.loopHz = 1 / this.dt;
    this.stateHz = o.stateHz ?? this.loopHz;
    const dec = this.loopHz / this.stateHz;
    if (!(this.stateHz > 0) || Math.abs(dec - Math.round(dec)) > 1e-6 || Math.round(dec) < 1)
      throw new BridgeError('BRIDGE_CONFIG', 'stateHz', `${this.stateHz} Hz does not divide the loop rate ${this.loopHz} Hz`, `a divisor of ${this.loopHz}`);
    this._decimation = Math.round(dec);
    this.commandTimeoutS = positive(o.commandTimeoutS ?? DEFAULT_COMMAND_TIMEOUT_S, 'commandTimeoutS');
    this.heartbeatIntervalS = positive(o.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S, 'heartbeatIntervalS');
    this.heartbeatTimeoutS = positive(o.heartbeatTimeoutS ?? DEFAULT_HEARTBEAT_TIMEOUT_S, 'heartbeatTimeoutS');
    if (this.heartbeatTimeoutS <= this.heartbeatIntervalS)
      throw new BridgeError('BRIDGE_CONFIG', 'heartbeatTimeoutS', `${this.heartbeatTimeoutS} s is not longer than the interval ${this.heartbeatIntervalS} s`, 'a timeout longer than the heartbeat interval');
    this._clock = o.now ?? steadyNow;
    this._paced = o.paced ?? true;
    this._origin = this._clock();
    this._pacer = new Pacer(o.spinMarginS ?? 0.0011, this._clock);
    this._maxCatchUp = Math.max(1, Math.round((o.maxCatchUpS ?? 0.1) / this.dt));
    this._safetyConfig = { softStartS: 0, ...o.safety, deadlineMissesToSafeStop: 1 };
    this._serverName = o.serverName ?? 'axon';

    const spec = robot.spec;
    const base = o.sendBase ?? this.sim;
    this.layout = stateLayoutFor(spec, base);
    this._out = createCommand(spec, 'position');
    const mk = (): DecodedCommand => ({ command: createCommand(spec, 'effort') as DecodedCommand['command'], hasGains: false, hasFeedforward: false });
    this._cmd = mk();
    this._scratch = mk();
    this._obs = createObservation(spec);
    this._newSupervisor();

    this._wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this._http = createServer((_req, res) => {
      res.writeHead(HTTP_VERSION_MISMATCH, { 'content-type': 'text/plain', [VERSIONS_HEADER]: SUBPROTOCOL, upgrade: 'websocket' });
      res.end(`axon bridge: a WebSocket endpoint (subprotocol ${SUBPROTOCOL}); see hardware/PROTOCOL.md\n`);
    });
    this._http.on('upgrade', (req, socket, head) => this._onUpgrade(req, socket, head));
  }

  /**
   * Binds, starts the robot's loop and serves. Rejects with BridgeError BRIDGE_CONFIG (bad
   * options) or BRIDGE_LISTEN (address in use, not allowed).
   */
  static async listen(o: BridgeServerOptions): Promise<BridgeServer> {
    const s = new BridgeServer(o);
    await s.robot.connect();
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) =>
        reject(new BridgeError('BRIDGE_LISTEN', `${s.host}:${o.port ?? DEFAULT_PORT}`, `cannot listen: ${e.code ?? e.message}`, 'a free port on an interface of this machine'));
      s._http.once('error', onError);
      s._http.listen(o.port ?? DEFAULT_PORT, s.host, () => {
        s._http.off('error', onError);
        resolve();
      });
    });
    const addr = s._http.address();
    s._port = typeof addr === 'object' && addr ? addr.port : (o.port ?? DEFAULT_PORT);
    s._obs = s.robot.observe();
    s._startLoop();
    if (s._paced) s._heartbeatTimer = setInterval(() => s._heartbeat(), s.heartbeatIntervalS * 1000);
    return s;
  }

  get port(): number {
    return this._port;
  }

  /** ws://host:port of this server. */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${h}:${this._port}`;
  }

  /** The robot's state as the protocol reports it. */
  get robotState(): RobotState {
    const s = this._sup.state;
    return !this._sup.armed && s === 'safe-stop' ? 'idle' : s;
  }

  /** The supervisor currently guarding the robot (replaced on reset, release and sim_reset). */
  get safety(): SafetySupervisor {
    return this._sup;
  }

  /** Server steady time (s) since listen. */
  now(): number {
    return this._clock() - this._origin;
  }

  /** The command the robot was last given (after the server's safety). */
  get lastSent(): JointCommand {
    return this._out;
  }

  /** The latest observation of the served robot (valid until the next loop tick). */
  get observation(): Observation {
    return this._obs;
  }

  get commanderId(): number | undefined {
    return this._commander?.id;
  }

  /** Server operator's protective stop (latched until reset). */
  estop(reason: string): void {
    this._sup.estop(`server operator: ${reason}`, this._obs.time, this._k);
    this._publish('estop', `e-stop by the server operator: ${reason}`);
  }

  /** Server operator's reset: leaves safe-stop / e-stopped for idle (the next command re-arms). */
  reset(reason: string): void {
    if (this.robotState !== 'safe-stop' && this.robotState !== 'e-stopped') return;
    this._newSupervisor();
    this._publish('reset', `reset by the server operator: ${reason}`);
  }

  /** Round trip and traffic figures (allocates: not for the tick path). */
  stats(): StatsMessage {
    const n = Math.min(this._rttCount, RTT_CAPACITY);
    const p = percentilesUs(this._rtt.subarray(0, n));
    return {
      type: 'stats',
      time: this.now(),
      stateFramesSent: this.counts.stateFramesSent,
      commandsAccepted: this.counts.commandsAccepted,
      commandsRejected: this.counts.commandsRejected,
      roundTripUs: { count: this._rttCount, p50: p.p50, p99: p.p99, max: p.max },
      overruns: this.counts.overruns,
      errorsSent: this.counts.errorsSent,
      errorsDropped: this.counts.errorsDropped,
    };
  }

  /** Clears the round-trip samples (benchmarks measure a window). */
  clearStats(): void {
    this._rttCount = 0;
  }

  /**
   * Stops serving: the robot is stopped (e-stopped, one last safe command written), every client
   * is told (close 1001), the port is released. The robot itself is not closed (its owner does).
   */
  async close(): Promise<void> {
    if (this._closed) return;
    if (this._sup.armed && this.robotState !== 'e-stopped') {
      this._sup.estop('server shutting down', this._obs.time, this._k);
      this._publish('estop', 'server shutting down');
    }
    this._sup.check(this._cmd.command, this._obs, this._obs.time, this._k, this._out);
    this.robot.command(this._out);
    this._closed = true;
    this._pacer.cancel();
    if (this._heartbeatTimer) clearInterval(this._heartbeatTimer);
    for (const c of this._clients) c.ws.close(CloseCode.GOING_AWAY, 'server shutting down');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const c of this._clients) c.ws.terminate();
        resolve();
      }, 500);
      const check = () => {
        if (this._clients.size === 0) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
    this._wss.close();
    this._http.closeAllConnections();
    await new Promise<void>((resolve) => this._http.close(() => resolve()));
    this._supSub?.unsubscribe();
    this.events$.complete();
  }

  // ---- the loop ----

  /**
   * Unpaced servers (`paced: false`): runs the loop steps due at the clock's present time, sends
   * the state frames they produce. Returns the steps run.
   */
  runDue(): number {
    const k0 = this._k;
    this._runDue();
    return this._k - k0;
  }

  /** Unpaced servers: one heartbeat round now (send heartbeats, time out silent clients). */
  heartbeat(): void {
    this._heartbeat();
  }

  private _startLoop(): void {
    this._origin = this._clock();
    this._k = 0;
    if (!this._paced) return;
    const fire = () => {
      if (this._closed) return;
      this._runDue();
      if (!this._closed) this._pacer.at(this._origin + (this._k + 1) * this.dt, fire);
    };
    fire();
  }

  private _runDue(): void {
    if (this._closed) return;
    {
      try {
        const due = Math.floor(this.now() / this.dt);
        if (due - this._k > this._maxCatchUp) {
          this.counts.overruns += due - this._k - this._maxCatchUp;
          this._k = due - this._maxCatchUp;
        }
        let send = false;
        while (this._k < due) {
          this._tick();
          this._k++;
          if (this._k % this._decimation === 0) send = true;
        }
        if (send) this._broadcastState();
      } catch (e) {
        // Nothing in a tick should throw; if the robot does, stop it protectively, skip the lost
        // steps and go on serving (clients see the e-stop and its reason).
        this._k = Math.max(this._k + 1, Math.floor(this.now() / this.dt));
        this._internalStop(e);
      }
    }
  }

  /** One loop step k -> k+1 (scheduled at k·dt on the server clock). */
  private _tick(): void {
    const t = this._k * this.dt;
    const sup = this._sup;
    const obs = this._obs;
    if (sup.armed && (sup.state === 'running' || sup.state === 'degraded') && t - this._lastCommandAt > this.commandTimeoutS) {
      const gap = t - this._lastCommandAt;
      this._safeStop('deadman', `command deadman: no command for ${gap.toFixed(3)} s (limit ${this.commandTimeoutS} s)`);
    }
    sup.check(this._cmd.command, obs, obs.time, this._k, this._out);
    if (this.robotState !== this._published) this._publish('safety', this._supReason);
    this.robot.command(this._out);
    if (this.sim) (this.robot as SimulatedRobot).step(this.dt);
    this._obs = this.robot.observe();
  }

  private _broadcastState(): void {
    if (this._clients.size === 0) return;
    const seq = (this._stateSeq = this._stateSeq >= 0xffffffff ? 1 : this._stateSeq + 1);
    const buf = Buffer.allocUnsafe(this.layout.bytes);
    encodeState(buf, this.layout, seq, this._k * this.dt, this._lastCommandSeq, this._obs);
    const i = seq & (SENT_RING - 1);
    this._sentSeq[i] = seq;
    this._sentAt[i] = this.now();
    for (const c of this._clients) {
      if (!c.observing) continue;
      if (c.ws.bufferedAmount > MAX_BUFFERED) {
        c.dropped++;
        this.counts.framesDropped++;
        continue;
      }
      c.ws.send(buf, _binary);
    }
    this.counts.stateFramesSent++;
  }

  private _newSupervisor(): void {
    this._supSub?.unsubscribe();
    this._sup = new SafetySupervisor(this.robot.spec, this.dt, this._safetyConfig);
    this._supSub = this._sup.events$.subscribe((e) => {
      if (e.kind === 'state_change') this._supReason = e.reason;
    });
  }

  /** Safe-stop through the supervisor (a 'safe_stop' event, latched until reset). */
  private _safeStop(cause: StateCause, reason: string): void {
    this._sup.safeStop(reason, this._obs.time, this._k);
    this._publish(cause, reason);
  }

  private _internalStop(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this._sup.state === 'e-stopped') return;
    try {
      this._sup.estop(`internal error: ${msg}`, this._obs.time, this._k);
      this._publish('safety', `internal error in the server loop: ${msg}`);
    } catch {
      /* nothing more to do */
    }
  }

  /** Broadcasts a status when the reported state changed. */
  private _publish(cause: StateCause, reason: string, client?: Client): void {
    const state = this.robotState;
    if (state === this._published && cause !== 'sim_reset') return;
    this._published = state;
    this._lastCause = cause;
    this._lastReason = reason;
    const time = this.now();
    const msg = JSON.stringify({ type: 'status', robotState: state, cause, reason, commander: this._commander !== undefined, time });
    for (const c of this._clients) c.ws.send(msg);
    this.events$.next({
      kind: 'state',
      robotState: state,
      cause,
      reason,
      time,
      loopTime: this._k * this.dt,
      lastCommandAt: this._lastCommandAt,
      ...(client ? { client: client.id } : {}),
    });
  }

  // ---- connections ----

  private _onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    if (!offered.includes(SUBPROTOCOL)) {
      const body = JSON.stringify({
        type: 'error',
        code: ErrorCode.VERSION_MISMATCH,
        name: 'VERSION_MISMATCH',
        text: `client offered ${offered.length ? offered.join(', ') : 'no subprotocol'}; this server speaks ${SUBPROTOCOL} only`,
        supported: [SUBPROTOCOL],
      });
      socket.end(
        `HTTP/1.1 ${HTTP_VERSION_MISMATCH} Upgrade Required\r\n` +
          `content-type: application/json\r\n${VERSIONS_HEADER}: ${SUBPROTOCOL}\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this._wss.handleUpgrade(req, socket, head, (ws) => this._onConnection(ws, req));
  }

  private _onConnection(ws: WebSocket, req: IncomingMessage): void {
    if (this._closed) {
      ws.close(CloseCode.GOING_AWAY, 'server shutting down');
      return;
    }
    const now = this.now();
    const c: Client = {
      id: this._nextId++,
      ws,
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      authed: false,
      observing: this.observeWithoutToken,
      dead: false,
      lastHeard: now,
      errorBudget: ERRORS_PER_S,
      budgetAt: now + 1,
      suppressed: 0,
      dropped: 0,
      lastSeq: 0,
    };
    this._clients.add(c);
    ws.on('error', () => {
      /* a protocol violation (bad UTF-8, oversize message) closes the socket; 'close' follows */
    });
    ws.on('close', (code, reason) => this._onClose(c, code, reason.toString()));
    ws.on('message', (data, isBinary) => {
      if (c.dead) return;
      try {
        c.lastHeard = this.now();
        const buf = data as Buffer;
        if (isBinary) this._onBinary(c, buf);
        else this._onText(c, buf.toString('utf8'));
      } catch (e) {
        this._sendError(c, ErrorCode.INTERNAL, `server failed on this message: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    const hello: HelloMessage = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      subprotocol: SUBPROTOCOL,
      server: this._serverName,
      client: c.id,
      robot: specToWire(this.robot.spec),
      sim: this.sim,
      rates: { loopHz: this.loopHz, stateHz: this.stateHz },
      frame: { imu: this.layout.imu, contacts: this.layout.contacts, base: this.layout.base },
      heartbeat: { intervalS: this.heartbeatIntervalS, timeoutS: this.heartbeatTimeoutS },
      commandTimeoutS: this.commandTimeoutS,
      auth: { observeWithoutToken: this.observeWithoutToken },
      robotState: this.robotState,
      stateCause: this._lastCause,
      stateReason: this._lastReason,
      commander: this._commander !== undefined,
    };
    ws.send(JSON.stringify(hello));
    this.events$.next({ kind: 'connect', client: c.id, remote: c.remote, time: now });
  }

  private _onClose(c: Client, code: number, reason: string): void {
    this._clients.delete(c);
    this.events$.next({ kind: 'disconnect', client: c.id, code, reason, time: this.now() });
    this._loseCommander(c, `disconnected without release (close ${code})`);
  }

  /** The commander is gone (closed or silent): free the role, and safe-stop a running robot at once. */
  private _loseCommander(c: Client, why: string): void {
    if (this._commander !== c) return;
    this._commander = undefined;
    const s = this.robotState;
    if (s === 'running' || s === 'degraded') this._safeStop('commander_lost', `commander (client ${c.id}) ${why}`);
  }

  private _heartbeat(): void {
    const now = this.now();
    const msg = JSON.stringify({ type: 'heartbeat', time: now });
    for (const c of this._clients) {
      if (now - c.lastHeard > this.heartbeatTimeoutS) {
        if (!c.dead) {
          // Silent peer: it loses its role now, not when a close handshake it cannot answer gives up.
          const why = `heartbeat timeout: nothing heard for ${(now - c.lastHeard).toFixed(3)} s`;
          c.dead = true;
          c.observing = false;
          this._loseCommander(c, why);
          c.ws.close(CloseCode.HEARTBEAT_TIMEOUT, why);
          setTimeout(() => c.ws.terminate(), 200).unref();
        }
        continue;
      }
      c.ws.send(msg);
    }
  }

  /** Error reply, at most ERRORS_PER_S per client and second (the rest are counted in `suppressed`). */
  private _sendError(c: Client, code: number, text: string, seq?: number, offset?: number): void {
    const now = this.now();
    if (now >= c.budgetAt) {
      c.errorBudget = ERRORS_PER_S;
      c.budgetAt = now + 1;
    }
    if (c.errorBudget <= 0) {
      c.suppressed++;
      this.counts.errorsDropped++;
      return;
    }
    c.errorBudget--;
    this.counts.errorsSent++;
    this.events$.next({ kind: 'refused', client: c.id, code, name: errorName(code), text, time: now });
    const m: Record<string, unknown> = { type: 'error', code, name: errorName(code), text };
    if (seq !== undefined) m.seq = seq;
    if (offset !== undefined) m.offset = offset;
    c.ws.send(JSON.stringify(m));
  }

  // ---- command frames (the hot path from the commander) ----

  private _onBinary(c: Client, buf: Buffer): void {
    if (!c.authed) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'binary frame from a client that has not authenticated: send {"type":"auth","token":...,"role":"command"} first');
    }
    if (this._commander !== c) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.NOT_COMMANDER, 'command frame from a client that is not the commander: send auth with role "command" first');
    }
    const spec = this.robot.spec;
    const n = spec.joints.length;
    const h = this._h;
    const bad = decodeCommand(buf, n, spec.controlModes, h, this._scratch);
    if (bad) {
      this.counts.commandsRejected++;
      const field = bad.code === ErrorCode.FRAME_VALUE ? ` (${commandFieldAt(bad.offset, n, h.flags)}, joint ${spec.joints[Math.floor((bad.offset - 24) / 4) % n]?.name ?? '?'})` : '';
      return this._sendError(c, bad.code, `${bad.text}${field}`, bad.seq, bad.offset);
    }
    if (h.seq === 0) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.FRAME_SEQ, 'command frame with seq 0 (expected 1, 2, 3, ...: 0 is never used)', 0, 4);
    }
    if (c.lastSeq !== 0 && !seqAfter(h.seq, c.lastSeq)) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.FRAME_STALE, `command frame seq ${h.seq} is not newer than seq ${c.lastSeq}, the last accepted on this connection: an older frame arriving late is not applied`, h.seq, 4);
    }
    const s = this.robotState;
    if (s === 'safe-stop' || s === 'e-stopped') {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.ROBOT_STOPPED, `robot is ${s} (latched): command seq ${h.seq} refused; send {"type":"reset"} after the cause is cleared`, h.seq);
    }
    // Accept: copy scratch into the held command; absent gains are the spec's, absent feed-forward 0.
    const src = this._scratch;
    const dst = this._cmd.command;
    dst.mode = src.command.mode;
    dst.target.set(src.command.target);
    if (src.hasGains) {
      dst.kp.set(src.command.kp);
      dst.kd.set(src.command.kd);
    } else {
      for (let i = 0; i < n; i++) {
        dst.kp[i] = spec.joints[i].kp;
        dst.kd[i] = spec.joints[i].kd;
      }
    }
    if (src.hasFeedforward) dst.feedforward.set(src.command.feedforward);
    else dst.feedforward.fill(0);
    const now = this.now();
    this._lastCommandAt = now;
    this._lastCommandSeq = h.seq;
    c.lastSeq = h.seq;
    this.counts.commandsAccepted++;
    const ack = h.ack;
    if (ack !== 0) {
      const i = ack & (SENT_RING - 1);
      if (this._sentSeq[i] === ack) {
        this._rtt[this._rttCount % RTT_CAPACITY] = now - this._sentAt[i];
        this._rttCount++;
        this._sentSeq[i] = 0; // one sample per state frame
      }
    }
    if (s === 'idle') {
      this._sup.arm(this._obs, this._k);
      this._publish('armed', `armed by client ${c.id}'s first command (mode ${dst.mode})`, c);
    }
  }

  // ---- control messages ----

  private _onText(c: Client, text: string): void {
    const m = parseClientMessage(text);
    if ('code' in m) return this._sendError(c, m.code, m.text);
    this._onMessage(c, m);
  }

  private _onMessage(c: Client, m: ClientMessage): void {
    switch (m.type) {
      case 'heartbeat':
        return;
      case 'auth':
        return this._onAuth(c, m.role, m.token);
      case 'stats':
        if (!c.observing) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'stats need a token on this server');
        c.ws.send(JSON.stringify(this.stats()));
        return;
      case 'estop':
        if (!c.authed && this.stopNeedsToken) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'e-stop needs a valid token on this server (auth first)');
        this._sup.estop(`client ${c.id}: ${m.reason ?? 'e-stop'}`, this._obs.time, this._k);
        this._publish('estop', `e-stop by client ${c.id}${m.reason ? `: ${m.reason}` : ''}`, c);
        return;
      case 'reset': {
        if (!c.authed) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'reset needs a valid token (auth first)');
        if (this._commander !== c) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'reset is the commander\'s: auth with role "command" first');
        const s = this.robotState;
        if (s === 'safe-stop' || s === 'e-stopped') {
          this._newSupervisor();
          this._publish('reset', `reset by client ${c.id}${m.reason ? `: ${m.reason}` : ''}`, c);
        } else this._sendStatus(c, 'reset', `nothing to reset: robot is ${s}`);
        return;
      }
      case 'release':
        if (this._commander !== c) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'release from a client that is not the commander');
        this._commander = undefined;
        this.events$.next({ kind: 'role', client: c.id, role: 'observe', time: this.now() });
        if (this.robotState === 'running' || this.robotState === 'degraded') {
          this._newSupervisor();
          this._publish('release', `client ${c.id} released the robot`, c);
        } else this._sendStatus(c, 'release', `released; robot is ${this.robotState}`);
        return;
      case 'sim_reset': {
        if (!c.authed) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'sim_reset needs a valid token (auth first)');
        if (this._commander !== c) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'sim_reset is the commander\'s: auth with role "command" first');
        if (!this.sim) return this._sendError(c, ErrorCode.UNSUPPORTED, 'sim_reset: this robot is not simulated');
        const s = this.robotState;
        if (s === 'e-stopped') return this._sendError(c, ErrorCode.ROBOT_STOPPED, 'sim_reset refused while e-stopped: reset first');
        (this.robot as SimulatedRobot).reset(m.seed);
        this._obs = this.robot.observe();
        this._cmd.command.target.fill(0);
        this._cmd.command.feedforward.fill(0);
        this._newSupervisor();
        this._publish('sim_reset', `simulation reset by client ${c.id}${m.seed !== undefined ? ` (seed ${m.seed})` : ''}`, c);
        return;
      }
    }
  }

  private _sendStatus(c: Client, cause: StateCause, reason: string): void {
    c.ws.send(JSON.stringify({ type: 'status', robotState: this.robotState, cause, reason, commander: this._commander !== undefined, time: this.now() }));
  }

  private _onAuth(c: Client, role: Role, token: string | undefined): void {
    if (token === undefined) {
      if (role === 'observe' && this.observeWithoutToken) {
        c.ws.send(JSON.stringify({ type: 'auth_ok', role: 'observe' }));
        this.events$.next({ kind: 'role', client: c.id, role: 'observer-unauthenticated', time: this.now() });
        return;
      }
      return this._sendError(c, ErrorCode.AUTH_REQUIRED, role === 'command' ? 'commanding needs a token' : 'observing needs a token on this server');
    }
    if (!tokenMatches(token, this.token)) {
      this._sendError(c, ErrorCode.AUTH_FAILED, 'wrong token: connection closed');
      c.ws.close(CloseCode.AUTH_FAILED, 'wrong token');
      return;
    }
    c.authed = true;
    c.observing = true;
    if (role === 'command') {
      if (this._commander !== undefined && this._commander !== c) {
        this._sendError(c, ErrorCode.COMMANDER_BUSY, `client ${this._commander.id} is the commander; you may observe (and e-stop)`);
        c.ws.send(JSON.stringify({ type: 'auth_ok', role: 'observe' }));
        return;
      }
      this._commander = c;
    } else if (this._commander === c) {
      this._commander = undefined; // stepping down to observer is a release
      if (this.robotState === 'running' || this.robotState === 'degraded') {
        this._newSupervisor();
        this._publish('release', `client ${c.id} stepped down to observer`, c);
      }
    }
    c.ws.send(JSON.stringify({ type: 'auth_ok', role }));
    this.events$.next({ kind: 'role', client: c.id, role, time: this.now() });
  }
}

function positive(x: number, name: string): number {
  if (!(x > 0 && Number.isFinite(x))) throw new BridgeError('BRIDGE_CONFIG', name, `is ${x}`, 'a finite number of seconds > 0');
  return x;
}
