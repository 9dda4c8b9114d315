/**
 * The client side of the axon bridge: a Robot whose body is behind a WebSocket
 * (hardware/PROTOCOL.md). The same loop, policy and safety code run against it as against a
 * simulated robot; `runLive(robot, ...)` drives it on a wall clock.
 *
 * Staleness: `observe()` returns the newest state frame with `seq` = the frame's seq and `time`
 * = when that frame arrived (s, not when observe() is called; a frame read late, while the loop's
 * thread slept or ticked, is dated from the server's own stamp on it: ArrivalEstimate), on the
 * run's clock once runLive gave it one (`useClock`), else on this robot's steady clock (`now`).
 * The safety supervisor judges staleness by `seq`: while frames flow, seq advances every tick;
 * when the link drops, seq stops while the loop clock goes on, so the supervisor's
 * stale-observation deadline holds and then safe-stops the loop (SafetyConfig staleAfterS,
 * staleTicksToSafeStop). `time` dates the data for health$ (stale), recordings and the world
 * model; the frame's age is in `extras.bridge_age` (s since that date). Meanwhile the robot
 * itself is protected by the server's command deadman.
 *
 * Time is injected (docs/style.md 6): `now` (steady s) and `timers` drive the heartbeat, the
 * link timeout, staleness, the reconnect backoff and the request timeouts, so tests run them on
 * virtual time (src/clock/VirtualTime.ts); `random` draws the backoff jitter.
 *
 * health$: connected (socket up and authenticated), stale (no state frame for staleAfterS),
 * faults (the server reports safe-stop / e-stopped, or the bridge cannot go on: bad token, a
 * different robot after a reconnect). runLive safe-stops its loop on any fault (PROTOCOL.md 6:
 * after a reconnect the served robot is usually in safe-stop, and the loop joins it there).
 *
 * Reconnects with exponential backoff (0.1 s doubling to 2 s, ±20 % jitter) until close().
 *
 * Its state streams in between ticks (`streamsState`): a loop that blocks its thread between ticks
 * takes an event-loop turn just before each tick, so observe() returns the newest frame.
 *
 * Real-time rules: observe() copies preallocated arrays; command() encodes into a new small
 * Buffer (the socket keeps it until written) and never throws or blocks.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { WebSocket } from 'ws';
import { createObservation, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../../src/core/robot.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import { realTimers, type TimerHandle, type Timers } from '../../src/clock/Timers.ts';
import { ArrivalEstimate } from './ArrivalEstimate.ts';
import { BridgeError } from './BridgeError.ts';
import { commandBytes, commandFlags, decodeState, encodeCommand, stateLayout, type FrameHeader, type StateLayout } from './frames.ts';
import { parseServerMessage, readHelloRobotFile, sameRobotFile, type ErrorMessage, type HelloMessage, type HelloRobotFile, type ServerMessage, type StatsMessage, type StatusMessage } from './messages.ts';
import { openLink, type AcceptHello, type Link } from './openLink.ts';
import { CloseCode, type Role, type RobotState } from './protocol.ts';

export interface BridgeRobotOptions {
  /** Token the server requires for commanding; default $AXON_BRIDGE_TOKEN. */
  readonly token?: string;
  /** 'command' (default) or 'observe'. */
  readonly role?: Role;
  /** On the first connection to a simulated robot, reset its episode (with this seed) before resolving. Ignored for real robots. */
  readonly simReset?: { readonly seed?: number };
  /** The first connection's hello, checked before auth and any sim reset: what it throws rejects connectBridgeRobot (not called on reconnects). */
  readonly acceptHello?: AcceptHello;
  /** Give up the first connection after this long (s); default 5. */
  readonly connectTimeoutS?: number;
  /** Reconnect backoff: first delay and cap (s), default 0.1 and 2; false: do not reconnect. */
  readonly reconnect?: false | { readonly initialS?: number; readonly maxS?: number };
  /** No state frame for this long sets health.stale (s); default max(0.05, 5 state periods). */
  readonly staleAfterS?: number;
  /** Steady clock (s) for the link's deadlines and the frames' receive stamps; default performance.now(). */
  readonly now?: () => number;
  /** Timers for the heartbeat, timeouts and backoff, on `now`'s time; default Node's. */
  readonly timers?: Timers;
  /** Uniform [0, 1) draws for the backoff jitter; default Math.random. */
  readonly random?: () => number;
}

/** What happens on the link, for logs and tests; `time` on the run's clock (useClock), else on `now` (s). */
export type BridgeClientEvent = BridgeClientEventBody & { readonly time: number };
type BridgeClientEventBody =
  | { readonly kind: 'connected'; readonly hello: HelloMessage; readonly role: Role }
  | { readonly kind: 'disconnected'; readonly code: number; readonly reason: string }
  | { readonly kind: 'reconnecting'; readonly attempt: number }
  | { readonly kind: 'reconnect_failed'; readonly error: BridgeError; readonly retryInS: number }
  | { readonly kind: 'status'; readonly status: StatusMessage }
  /** A reconnect found the hello naming another robot file or set-up than the first link's (a server restarted on another revision, same joints). */
  | { readonly kind: 'robot_file_changed'; readonly first: HelloRobotFile | null; readonly now: HelloRobotFile | null }
  | { readonly kind: 'error'; readonly error: ErrorMessage };

const _binary = { binary: true } as const;
const MAX_BUFFERED = 64 * 1024;
/** Codes after which reconnecting cannot help. */
const FATAL = new Set(['BRIDGE_AUTH', 'BRIDGE_VERSION', 'BRIDGE_BAD_HELLO', 'BRIDGE_ROBOT_CHANGED']);

/**
 * Connects to an axon bridge server and returns its robot, authenticated in the asked role and
 * with a first state frame received. Rejects with a BridgeError: BRIDGE_CONNECT (unreachable,
 * closed), BRIDGE_TIMEOUT, BRIDGE_VERSION (no common protocol version), BRIDGE_BAD_HELLO,
 * BRIDGE_AUTH (token missing or wrong), BRIDGE_BUSY (another client commands), BRIDGE_REFUSED.
 */
export async function connectBridgeRobot(url: string, options: BridgeRobotOptions = {}): Promise<BridgeRobot> {
  const link = await openLink(url, options, undefined, options.simReset, options.timers ?? realTimers, options.acceptHello);
  return new BridgeRobot(url, options, link);
}

export class BridgeRobot implements Robot {
  readonly url: string;
  readonly spec: RobotSpec;
  readonly health$: BehaviorSubject<RobotHealth>;
  readonly events$ = new Subject<BridgeClientEvent>();
  /** Every state frame, decoded (the robot's internal buffer: valid until the next frame; do not keep). */
  readonly frames$ = new Subject<Observation>();
  /** State frames stream in on the event loop between ticks (Robot.streamsState). */
  readonly streamsState = true;
  /** Counters since connect. */
  readonly counts = { framesReceived: 0, framesRejected: 0, commandsSent: 0, commandsDropped: 0, reconnects: 0 };

  private _hello: HelloMessage;
  /** The current link's hello.robotFile as read (a malformed one: null, with why), and the first link's. */
  private _robotFile: { readonly file: HelloRobotFile | null; readonly problem?: string };
  private readonly _firstRobotFile: HelloRobotFile | null;
  private _role: Role;
  private _ws: WebSocket | undefined;
  private readonly _opts: BridgeRobotOptions;
  private readonly _layout: StateLayout;
  private readonly _obs: Observation;
  private _latest: Observation;
  private _scratch: Observation;
  private readonly _age = new Float32Array(1);
  private readonly _h: FrameHeader = { type: 0, seq: 0, time: 0, ack: 0, count: 0, flags: 0 };
  private _latestSeq = 0;
  private _latestTime = 0;
  /** Arrival of the newest frame (s, on `_now`). */
  private _rxAt = Number.NaN;
  private readonly _arrival: ArrivalEstimate;
  private _lastHeard = 0;
  private readonly _now: () => number;
  private readonly _timers: Timers;
  private readonly _random: () => number;
  /** The run's clock (useClock); undefined: stamps on `_now`. */
  private _runNow: (() => number) | undefined;
  private _cmdSeq = 0;
  private _serverState: RobotState;
  private _serverReason = '';
  private _fatal: string | undefined;
  private _closed = false;
  private _timer: TimerHandle | undefined;
  private _reconnectTimer: TimerHandle | undefined;
  private _backoff: number;
  /** Reconnect attempts since the link was last up. */
  private _attempts = 0;
  private readonly _staleAfterS: number;
  private readonly _waiters = new Set<(m: ServerMessage) => void>();

  /** Use connectBridgeRobot(url, options): a BridgeRobot is made from a link that is already open. */
  constructor(url: string, options: BridgeRobotOptions, link: Link) {
    this.url = url;
    this._opts = options;
    this._now = options.now ?? steadyNow;
    this._timers = options.timers ?? realTimers;
    this._random = options.random ?? Math.random;
    // A server that sends base state gives a base-velocity estimate (no silent zeros for base_lin_vel).
    this.spec = link.hello.frame.base ? { ...link.spec, sensors: { ...link.spec.sensors, baseVelocity: true } } : link.spec;
    this._hello = link.hello;
    this._robotFile = readHelloRobotFile(link.hello, url);
    this._firstRobotFile = this._robotFile.file;
    this._role = link.role;
    this._serverState = link.hello.robotState;
    const f = link.hello.frame;
    this._layout = stateLayout(this.spec.joints.length, f.imu, f.contacts, f.base);
    const mk = () => {
      const o = createObservation(this.spec);
      if (!f.base) return o;
      return {
        ...o,
        base: { position: new Float32Array(3), orientation: new Float32Array([0, 0, 0, 1]), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3) },
      };
    };
    this._obs = mk();
    (this._obs.extras as Record<string, Float32Array>).bridge_age = this._age;
    this._latest = mk();
    this._scratch = mk();
    this._backoff = this._reconnectInitial();
    this._staleAfterS = options.staleAfterS ?? Math.max(0.05, 5 / link.hello.rates.stateHz);
    this._arrival = new ArrivalEstimate(this._staleAfterS / 2);
    this.health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: this._faults() });
    this._adopt(link);
    this._armTimer();
  }

  /** The hello of the current (or last) connection. */
  get hello(): HelloMessage {
    return this._hello;
  }

  /** The robot file the hello names; null when it names none (an older server, a shipped robot, hardware) or a malformed one (robotFileProblem). */
  get robotFile(): HelloRobotFile | null {
    return this._robotFile.file;
  }

  /** Why the hello's robotFile was taken as none (PROTOCOL.md section 4: a malformed one costs no link), undefined when it was usable or absent. */
  get robotFileProblem(): string | undefined {
    return this._robotFile.problem;
  }

  /** The role the server granted. */
  get role(): Role {
    return this._role;
  }

  /** Seq and server time stamp (s, server steady clock) of the newest state frame. */
  get stateSeq(): number {
    return this._latestSeq;
  }

  get stateTime(): number {
    return this._latestTime;
  }

  /** The served robot's state as last reported by the server. */
  get serverState(): RobotState {
    return this._serverState;
  }

  /** True once close() was called (the link is given back for good). */
  get closed(): boolean {
    return this._closed;
  }

  get connected(): boolean {
    return this._ws !== undefined && this._ws.readyState === WebSocket.OPEN;
  }

  /** Already connected by connectBridgeRobot: resolves at once (rejects after close()). */
  async connect(): Promise<void> {
    if (this._closed) throw new BridgeError('BRIDGE_CLOSED', this.url, 'robot was closed', 'a new connectBridgeRobot()');
  }

  /**
   * Stamps observations on the run's clock from now on (runLive gives its loop clock's now): a
   * frame's time is then the run clock's reading at its arrival. The link's own deadlines stay
   * on this robot's steady clock.
   */
  useClock(now: () => number): void {
    this._runNow = now;
  }

  observe(): Observation {
    const o = this._obs;
    const l = this._latest;
    o.jointPosition.set(l.jointPosition);
    o.jointVelocity.set(l.jointVelocity);
    o.jointEffort.set(l.jointEffort);
    if (o.imu && l.imu) {
      o.imu.orientation.set(l.imu.orientation);
      o.imu.angularVelocity.set(l.imu.angularVelocity);
      o.imu.linearAcceleration.set(l.imu.linearAcceleration);
    }
    if (o.contacts && l.contacts) o.contacts.set(l.contacts);
    if (o.base && l.base) {
      o.base.position.set(l.base.position);
      o.base.orientation.set(l.base.orientation);
      o.base.linearVelocity.set(l.base.linearVelocity);
      o.base.angularVelocity.set(l.base.angularVelocity);
    }
    const age = this._now() - this._rxAt;
    o.seq = this._latestSeq;
    // Stamped at its arrival: moved onto the run's clock by its age.
    o.time = this._runNow === undefined ? this._rxAt : this._runNow() - age;
    this._age[0] = age;
    return o;
  }

  command(cmd: JointCommand): void {
    const ws = this._ws;
    if (ws === undefined || this._role !== 'command' || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED) {
      this.counts.commandsDropped++;
      return;
    }
    const n = this.spec.joints.length;
    const buf = Buffer.allocUnsafe(commandBytes(n, commandFlags(cmd)));
    this._cmdSeq = this._cmdSeq >= 0xffffffff ? 1 : this._cmdSeq + 1;
    encodeCommand(buf, n, this._cmdSeq, this._now(), this._latestSeq, cmd);
    ws.send(buf, _binary);
    this.counts.commandsSent++;
  }

  /** Protective stop of the served robot (latched on the server until reset). Any token holder may send it. */
  estop(reason = 'client e-stop'): Promise<StatusMessage> {
    return this._request({ type: 'estop', reason }, (m) => m.type === 'status' && m.robotState === 'e-stopped');
  }

  /** Explicit operator reset: the server leaves safe-stop / e-stopped for idle; the next command re-arms. */
  reset(reason = 'operator reset'): Promise<StatusMessage> {
    return this._request({ type: 'reset', reason }, (m) => m.type === 'status' && (m.cause === 'reset' || m.robotState === 'idle'));
  }

  /** Simulated robots only: back to the initial state (seeded). */
  simReset(seed?: number): Promise<StatusMessage> {
    return this._request(seed === undefined ? { type: 'sim_reset' } : { type: 'sim_reset', seed }, (m) => m.type === 'status' && m.cause === 'sim_reset');
  }

  /** The server's traffic and round-trip figures. */
  stats(): Promise<StatsMessage> {
    return this._request({ type: 'stats' }, (m) => m.type === 'stats') as unknown as Promise<StatsMessage>;
  }

  /** Gives the robot back (release: the server holds it, no fault), closes the link, stops reconnecting. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    if (this._reconnectTimer !== undefined) this._timers.clearTimeout(this._reconnectTimer);
    const ws = this._ws;
    this._ws = undefined;
    if (ws && ws.readyState === WebSocket.OPEN) {
      if (this._role === 'command') ws.send(JSON.stringify({ type: 'release' }));
      await new Promise<void>((resolve) => {
        // Real time, whatever clock was injected: closing must end even where virtual time stands still.
        const t = realTimers.setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1);
        ws.once('close', () => {
          realTimers.clearTimeout(t);
          resolve();
        });
        ws.close(CloseCode.NORMAL, 'client closed');
      });
    } else ws?.terminate();
    this.health$.next({ connected: false, stale: false, faults: [] });
    this.health$.complete();
    this.events$.complete();
    this.frames$.complete();
  }

  // ---- internals ----

  private _event(e: BridgeClientEventBody): void {
    this.events$.next({ ...e, time: this._runNow === undefined ? this._now() : this._runNow() });
  }

  /**
   * The heartbeat / staleness timer, every heartbeat.intervalS. The check runs once the event loop
   * has read its sockets (Timers.afterIo): a loop that slept in Atomics.wait wakes to expired
   * timers first, and the frames that came meanwhile must count before the link is judged.
   */
  private _armTimer(): void {
    this._timer = this._timers.setTimeout(() => {
      if (this._closed) return;
      if (this._timers.afterIo) this._timers.afterIo(this._check);
      else this._check();
      this._armTimer();
    }, this._hello.heartbeat.intervalS);
  }

  private readonly _check = (): void => {
    if (!this._closed) this._onTimer();
  };

  private _reconnectInitial(): number {
    const r = this._opts.reconnect;
    return r === false ? 0 : (r?.initialS ?? 0.1);
  }

  private _adopt(link: Link): void {
    const ws = link.ws;
    this._ws = ws;
    this._hello = link.hello;
    this._robotFile = readHelloRobotFile(link.hello, this.url);
    this._role = link.role;
    this._serverState = link.hello.robotState;
    this._serverReason = link.hello.stateCause ? `${link.hello.stateCause}: ${link.hello.stateReason}` : '';
    this._lastHeard = this._now();
    this._arrival.reset(); // a new link: the server may have restarted on another clock origin
    ws.removeAllListeners('message');
    ws.removeAllListeners('close');
    ws.removeAllListeners('error');
    ws.on('error', () => {
      /* 'close' follows */
    });
    ws.on('message', (data, isBinary) => this._onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this._onClose(ws, code, reason.toString()));
    for (const m of link.backlog) this._onMessage(m.data, m.isBinary);
    this._event({ kind: 'connected', hello: link.hello, role: link.role });
    this._emitHealth();
    if (ws.readyState !== WebSocket.OPEN) this._onClose(ws, 1006, 'closed while connecting');
  }

  private _onMessage(data: Buffer, isBinary: boolean): void {
    this._lastHeard = this._now();
    if (isBinary) {
      const bad = decodeState(data, this._layout, this._h, this._scratch);
      if (bad) {
        this.counts.framesRejected++;
        return;
      }
      const t = this._latest;
      this._latest = this._scratch;
      this._scratch = t;
      this._latestSeq = this._h.seq;
      this._latestTime = this._h.time;
      this._rxAt = this._arrival.stamp(this._h.time, this._lastHeard);
      this.counts.framesReceived++;
      if (this.health$.value.stale) this._emitHealth();
      this.frames$.next(this._latest);
      return;
    }
    const m = parseServerMessage(data.toString('utf8'));
    if (!m) return;
    if (m.type === 'status') {
      this._serverState = m.robotState;
      this._serverReason = `${m.cause}: ${m.reason}`;
      this._event({ kind: 'status', status: m });
      this._emitHealth();
    } else if (m.type === 'error') {
      this._event({ kind: 'error', error: m });
    }
    for (const w of this._waiters) w(m);
  }

  private _onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this._ws) return;
    this._ws = undefined;
    for (const w of this._waiters) w({ type: 'error', code: 0, name: 'DISCONNECTED', text: `link closed (${code} ${reason})` });
    if (this._closed) return;
    this._event({ kind: 'disconnected', code, reason });
    if (code === CloseCode.AUTH_FAILED) this._fatal = `server closed the link: ${reason || 'wrong token'}`;
    this._emitHealth();
    this._scheduleReconnect();
  }

  private _scheduleReconnect(): void {
    if (this._closed || this._fatal !== undefined || this._opts.reconnect === false || this._reconnectTimer !== undefined) return;
    const jitter = 0.8 + 0.4 * this._random();
    const delay = this._backoff * jitter;
    this._reconnectTimer = this._timers.setTimeout(() => {
      this._reconnectTimer = undefined;
      void this._reconnect();
    }, delay);
  }

  private async _reconnect(): Promise<void> {
    if (this._closed) return;
    this._event({ kind: 'reconnecting', attempt: ++this._attempts });
    try {
      const link = await openLink(this.url, this._opts, this.spec, undefined, this._timers);
      if (this._closed) {
        link.ws.terminate();
        return;
      }
      this.counts.reconnects++;
      this._attempts = 0;
      this._backoff = this._reconnectInitial();
      this._adopt(link);
      // Same joints, yet perhaps another revision of the file: what was drawn or recorded from the first would be stale.
      if (!sameRobotFile(this._firstRobotFile, this._robotFile.file)) this._event({ kind: 'robot_file_changed', first: this._firstRobotFile, now: this._robotFile.file });
    } catch (e) {
      const err = e instanceof BridgeError ? e : new BridgeError('BRIDGE_CONNECT', this.url, String(e));
      if (FATAL.has(err.code)) this._fatal = err.message;
      const max = this._opts.reconnect === false ? 0 : (this._opts.reconnect?.maxS ?? 2);
      this._backoff = Math.min(max, Math.max(this._backoff * 2, this._reconnectInitial()));
      this._event({ kind: 'reconnect_failed', error: err, retryInS: this._fatal ? Number.POSITIVE_INFINITY : this._backoff });
      this._emitHealth();
      this._scheduleReconnect();
    }
  }

  private _onTimer(): void {
    const ws = this._ws;
    const now = this._now();
    if (ws && ws.readyState === WebSocket.OPEN) {
      if (now - this._lastHeard > this._hello.heartbeat.timeoutS) {
        ws.terminate(); // 'close' follows: reconnect
      } else {
        ws.send(JSON.stringify({ type: 'heartbeat', time: now }));
      }
    }
    const stale = !(now - this._rxAt <= this._staleAfterS);
    if (stale !== this.health$.value.stale) this._emitHealth();
  }

  private _faults(): string[] {
    const f: string[] = [];
    if (this._fatal !== undefined) f.push(`bridge: ${this._fatal}`);
    if (this._serverState === 'safe-stop' || this._serverState === 'e-stopped')
      f.push(`bridge: served robot is ${this._serverState}${this._serverReason ? ` (${this._serverReason})` : ''}`);
    return f;
  }

  private _emitHealth(): void {
    if (this._closed) return;
    const connected = this.connected;
    const stale = !connected || !(this._now() - this._rxAt <= this._staleAfterS);
    this.health$.next({ connected, stale, faults: this._faults() });
  }

  /** Sends a control message and waits for the reply `match` accepts, or an error (2 s). */
  private _request(msg: object, match: (m: ServerMessage) => boolean): Promise<StatusMessage> {
    const ws = this._ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new BridgeError('BRIDGE_DISCONNECTED', this.url, 'not connected', 'a live link'));
    return new Promise((resolve, reject) => {
      const done = (m: ServerMessage) => {
        if (m.type === 'error') {
          finish();
          reject(BridgeError.fromServer('BRIDGE_REFUSED', this.url, m.code, m.text));
        } else if (match(m)) {
          finish();
          resolve(m as StatusMessage);
        }
      };
      const t = this._timers.setTimeout(() => {
        finish();
        reject(new BridgeError('BRIDGE_TIMEOUT', this.url, `no answer to ${(msg as { type: string }).type} within 2 s`));
      }, 2);
      const finish = () => {
        this._timers.clearTimeout(t);
        this._waiters.delete(done);
      };
      this._waiters.add(done);
      ws.send(JSON.stringify(msg));
    });
  }
}
