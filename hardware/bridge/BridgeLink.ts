/**
 * The link side of a bridge client (hardware/PROTOCOL.md sections 3-6): the socket a BridgeRobot
 * talks through, kept up across drops. It owns the current socket and its hello, the heartbeat
 * and link timeout, the reconnect with exponential backoff (0.1 s doubling to 2 s, ±20 % jitter,
 * until close()), the control requests (estop, reset, sim_reset, stats) and the served robot's
 * reported state and faults. The robot side (BridgeRobot) decodes the state frames, judges
 * staleness, and is the Robot the loop sees; the link calls it back through LinkHost.
 *
 * Time is injected (docs/style.md 6): `now` (steady s) and `timers` drive the heartbeat, the link
 * timeout, the reconnect backoff and the request timeouts; `random` draws the backoff jitter.
 *
 * Arming is the client's decision, never a side effect (PROTOCOL.md section 6): the link knows
 * whether this client means to arm an idle served robot (`commandable`), and a robot that went idle
 * after a stop, a server operator's reset or a reconnect is not armed until the client resets or
 * arms it itself; until then it is a fault.
 *
 * Real-time rules: nothing here runs on the tick except the `commandSocket`/`commandable` reads from command().
 */
import { WebSocket } from 'ws';
import type { RobotSpec } from '../../src/core/robot.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import { realTimers, type TimerHandle, type Timers } from '../../src/clock/Timers.ts';
import { printable } from '../../src/core/printable.ts';
import { BridgeError } from './BridgeError.ts';
import { parseServerMessage, readHelloRobotFile, sameRobotFile, type ErrorMessage, type HelloMessage, type HelloRobotFile, type ServerMessage, type StatusMessage } from './messages.ts';
import { openLink, type Link, type LinkOptions } from './openLink.ts';
import { CloseCode, type Role, type RobotState } from './protocol.ts';

/** The link's share of BridgeRobotOptions. */
export interface BridgeLinkOptions extends LinkOptions {
  /** Reconnect backoff: first delay and cap (s), default 0.1 and 2; false: do not reconnect. */
  readonly reconnect?: false | { readonly initialS?: number; readonly maxS?: number };
  /** Steady clock (s) for the link's deadlines and the frames' receive stamps; default performance.now(). */
  readonly now?: () => number;
  /** Timers for the heartbeat, timeouts and backoff, on `now`'s time; default Node's. */
  readonly timers?: Timers;
  /** Uniform [0, 1) draws for the backoff jitter; default Math.random. */
  readonly random?: () => number;
}

/** What happens on the link, for logs and tests; `time` on the run's clock (useClock), else on `now` (s). */
export type BridgeClientEvent = BridgeClientEventBody & { readonly time: number };
export type BridgeClientEventBody =
  | { readonly kind: 'connected'; readonly hello: HelloMessage; readonly role: Role }
  | { readonly kind: 'disconnected'; readonly code: number; readonly reason: string }
  | { readonly kind: 'reconnecting'; readonly attempt: number }
  | { readonly kind: 'reconnect_failed'; readonly error: BridgeError; readonly retryInS: number }
  | { readonly kind: 'status'; readonly status: StatusMessage }
  /** A reconnect found the hello naming another robot file or set-up than the first link's (a server restarted on another revision, same joints). */
  | { readonly kind: 'robot_file_changed'; readonly first: HelloRobotFile | null; readonly now: HelloRobotFile | null }
  | { readonly kind: 'error'; readonly error: ErrorMessage };

/** What the link tells the robot that owns it. */
export interface LinkHost {
  /** A binary state frame arrived at `at` (s, on `now`). */
  onFrame(data: Buffer, at: number): void;
  /** A new socket was adopted (first or reconnect), before its backlog is read. */
  onAdopt(): void;
  /** Connection, server state or faults may have changed: re-emit health. */
  onHealth(): void;
  /** Every heartbeat interval, once I/O was read: re-judge staleness at `now` (s). */
  onTick(now: number): void;
  /** A link event to publish. */
  onEvent(e: BridgeClientEventBody): void;
}

const MAX_BUFFERED = 64 * 1024;
/** Codes after which reconnecting cannot help. */
const FATAL = new Set(['BRIDGE_AUTH', 'BRIDGE_VERSION', 'BRIDGE_BAD_HELLO', 'BRIDGE_ROBOT_CHANGED']);

export class BridgeLink {
  private _hello: HelloMessage;
  /** The current link's hello.robotFile as read (a malformed one: null, with why), and the first link's. */
  private _robotFile: { readonly file: HelloRobotFile | null; readonly problem?: string };
  private readonly _firstRobotFile: HelloRobotFile | null;
  private _role: Role;
  private _ws: WebSocket | undefined;
  private _lastHeard = 0;
  private readonly _now: () => number;
  private readonly _timers: Timers;
  private readonly _random: () => number;
  private _serverState: RobotState;
  private _serverReason = '';
  /**
   * Whether this client means its next command to arm an idle served robot (PROTOCOL.md section 6:
   * a client does not command an idle robot it did not mean to arm). True on the first link (the
   * run's start), after this client's own reset or sim_reset (from the reply) and allowArm(); false
   * once the server reports a stop or idle after the run began (its operator's reset, a release),
   * and after every reconnect (a restarted server is idle, and the loop did not decide to arm it).
   */
  private _mayArm = true;
  /** Why _mayArm went false, for the fault: "after a reconnect", "after safe-stop", ... */
  private _noArmWhy = '';
  /** This client's reset / sim_reset requests awaiting their reply (their idle status re-allows arming). */
  private _armingRequests = 0;
  /**
   * This client's own e-stop of the served robot (its reason; latchEstop): while the server reports
   * e-stopped it is not a fault of the link (the client asked for it), and close() leaves it latched
   * (PROTOCOL.md section 7). Gone when the server leaves e-stopped (a reset, this client's or the
   * server operator's: an explicit decision).
   */
  private _ownEstop: string | undefined;
  private _fatal: string | undefined;
  private _closed = false;
  private _timer: TimerHandle | undefined;
  private _reconnectTimer: TimerHandle | undefined;
  private _backoff: number;
  /** Reconnect attempts since the link was last up. */
  private _attempts = 0;
  private readonly _waiters = new Set<(m: ServerMessage) => void>();

  /** `spec`: the robot the first link served (a reconnect must find the same); `counts.reconnects` is counted here. */
  constructor(
    readonly url: string,
    private readonly _opts: BridgeLinkOptions,
    first: Link,
    private readonly _spec: RobotSpec,
    private readonly _counts: { reconnects: number },
    private readonly _host: LinkHost,
  ) {
    this._now = _opts.now ?? steadyNow;
    this._timers = _opts.timers ?? realTimers;
    this._random = _opts.random ?? Math.random;
    this._hello = first.hello;
    this._robotFile = readHelloRobotFile(first.hello, url);
    this._firstRobotFile = this._robotFile.file;
    this._role = first.role;
    this._serverState = first.hello.robotState;
    this._backoff = this._reconnectInitial();
  }

  /** Takes the first link's socket over and starts the heartbeat (the host is ready for callbacks). */
  start(first: Link): void {
    this._adopt(first);
    this._armTimer();
  }

  get hello(): HelloMessage {
    return this._hello;
  }

  get robotFile(): HelloRobotFile | null {
    return this._robotFile.file;
  }

  get robotFileProblem(): string | undefined {
    return this._robotFile.problem;
  }

  get role(): Role {
    return this._role;
  }

  get serverState(): RobotState {
    return this._serverState;
  }

  get closed(): boolean {
    return this._closed;
  }

  get connected(): boolean {
    return this._ws !== undefined && this._ws.readyState === WebSocket.OPEN;
  }

  /** The socket a command may be written to now (open, commanding, not backed up), else undefined. */
  get commandSocket(): WebSocket | undefined {
    const ws = this._ws;
    return ws === undefined || this._role !== 'command' || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED ? undefined : ws;
  }

  /**
   * Whether a command may go to the served robot now: it is running (or degraded), or idle and this
   * client means to arm it (_mayArm). Not in safe-stop / e-stopped (the server could only refuse it,
   * 3001) nor idle after a stop, a reset or a reconnect this client did not ask for (the command
   * would arm the robot without anyone deciding it). Read on the tick: no allocation.
   */
  get commandable(): boolean {
    const s = this._serverState;
    return s === 'running' || s === 'degraded' || (s === 'idle' && this._mayArm);
  }

  /** This client means its next command to arm an idle served robot (its explicit decision; a stopped one needs reset first). */
  allowArm(): void {
    if (this._mayArm) return;
    this._mayArm = true;
    this._host.onHealth();
  }

  /** This client e-stops the served robot (the request goes out next): see _ownEstop. */
  latchEstop(reason: string): void {
    this._ownEstop = reason;
    this._host.onHealth();
  }

  /** The reason of this client's e-stop while it is latched on the server (or on its way). */
  get ownEstop(): string | undefined {
    return this._ownEstop;
  }

  /**
   * Why the robot cannot be driven: the bridge gave up, the server reports safe-stop / e-stopped,
   * or (a commander) the robot is idle and this client did not mean to arm it.
   */
  faults(): string[] {
    const f: string[] = [];
    if (this._fatal !== undefined) f.push(`bridge: ${this._fatal}`);
    const why = this._serverReason ? ` (${this._serverReason})` : '';
    if (this._serverState === 'e-stopped' && this._ownEstop !== undefined) {
      // this client's own stop, as it asked: not a fault
    } else if (this._serverState === 'safe-stop' || this._serverState === 'e-stopped') f.push(`bridge: served robot is ${this._serverState}${why}`);
    else if (this._serverState === 'idle' && !this._mayArm && this._role === 'command')
      f.push(`bridge: served robot is idle${why} ${this._noArmWhy}, and this client did not arm it: its commands are withheld until it resets or arms the robot itself`);
    return f;
  }

  /** faults() lists only the idle one that allowArm() clears (RobotHealth.armable). */
  get armable(): boolean {
    return this._fatal === undefined && this._serverState === 'idle' && !this._mayArm && this._role === 'command';
  }

  /**
   * Release (the server holds the robot, no fault), close the socket, stop reconnecting. After this
   * client's own e-stop (latchEstop) the stop stays latched: the e-stop goes out first if the server
   * has not reported it yet, and `release` then gives back only the commander role (a server leaves
   * e-stopped only on a reset: PROTOCOL.md sections 4 and 7), never the robot to idle.
   */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    if (this._timer !== undefined) this._timers.clearTimeout(this._timer);
    if (this._reconnectTimer !== undefined) this._timers.clearTimeout(this._reconnectTimer);
    const ws = this._ws;
    this._ws = undefined;
    if (ws && ws.readyState === WebSocket.OPEN) {
      if (this._ownEstop !== undefined && this._serverState !== 'e-stopped') ws.send(JSON.stringify({ type: 'estop', reason: this._ownEstop }));
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
  }

  /**
   * Sends a control message and waits for the reply `match` accepts, or an error (2 s).
   * `arms`: this client's own reset / sim_reset: the idle status it brings lets the next command arm.
   */
  request(msg: object, match: (m: ServerMessage) => boolean, arms = false): Promise<StatusMessage> {
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
        if (this._waiters.delete(done) && arms) this._armingRequests--;
      };
      this._waiters.add(done);
      if (arms) this._armingRequests++;
      ws.send(JSON.stringify(msg));
    });
  }

  // ---- internals ----

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
    this._serverReason = link.hello.stateCause ? printable(`${link.hello.stateCause}: ${link.hello.stateReason}`) : '';
    this._lastHeard = this._now();
    this._host.onAdopt();
    ws.removeAllListeners('message');
    ws.removeAllListeners('close');
    ws.removeAllListeners('error');
    ws.on('error', () => {
      /* 'close' follows */
    });
    ws.on('message', (data, isBinary) => this._onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this._onClose(ws, code, printable(reason.toString())));
    for (const m of link.backlog) this._onMessage(m.data, m.isBinary);
    this._host.onEvent({ kind: 'connected', hello: link.hello, role: link.role });
    this._host.onHealth();
    if (ws.readyState !== WebSocket.OPEN) this._onClose(ws, 1006, 'closed while connecting');
  }

  private _onMessage(data: Buffer, isBinary: boolean): void {
    this._lastHeard = this._now();
    if (isBinary) {
      this._host.onFrame(data, this._lastHeard);
      return;
    }
    const m = parseServerMessage(data.toString('utf8'));
    if (!m) return;
    if (m.type === 'status') {
      const was = this._serverState;
      this._serverState = m.robotState;
      this._serverReason = printable(`${m.cause}: ${m.reason}`); // shown in faults, on a terminal
      if (was === 'e-stopped' && m.robotState !== 'e-stopped') this._ownEstop = undefined; // reset: the latch is gone
      // Someone else's e-stop (the server's operator, another client), on top of this client's or
      // before it: the stop is no longer this client's alone, a fault (Arm refused, the run fails).
      else if (m.robotState === 'e-stopped' && m.cause === 'estop' && !isOwnEstop(m.reason, this._hello.client)) this._ownEstop = undefined;
      if (this._armingRequests > 0 && m.robotState === 'idle' && (m.cause === 'reset' || m.cause === 'sim_reset')) this._mayArm = true;
      else if (m.robotState !== was && m.robotState !== 'running' && m.robotState !== 'degraded') {
        this._mayArm = false;
        this._noArmWhy = `after ${was}`;
      }
      this._host.onEvent({ kind: 'status', status: m });
      this._host.onHealth();
    } else if (m.type === 'error') {
      this._host.onEvent({ kind: 'error', error: m });
    }
    for (const w of this._waiters) w(m);
  }

  private _onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this._ws) return;
    this._ws = undefined;
    for (const w of this._waiters) w({ type: 'error', code: 0, name: 'DISCONNECTED', text: `link closed (${code} ${reason})` });
    if (this._closed) return;
    this._host.onEvent({ kind: 'disconnected', code, reason });
    if (code === CloseCode.AUTH_FAILED) this._fatal = `server closed the link: ${reason || 'wrong token'}`;
    this._host.onHealth();
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
    this._host.onEvent({ kind: 'reconnecting', attempt: ++this._attempts });
    try {
      const link = await openLink(this.url, this._opts, this._spec, undefined, this._timers);
      if (this._closed) {
        link.ws.terminate();
        return;
      }
      this._counts.reconnects++;
      this._attempts = 0;
      this._backoff = this._reconnectInitial();
      // Whatever the loop sends next was not decided against this robot's state: a restarted server is idle, and arming it is not a side effect of a hold.
      this._mayArm = false;
      this._noArmWhy = 'after a reconnect';
      this._adopt(link);
      // Same joints, yet perhaps another revision of the file: what was drawn or recorded from the first would be stale.
      if (!sameRobotFile(this._firstRobotFile, this._robotFile.file)) this._host.onEvent({ kind: 'robot_file_changed', first: this._firstRobotFile, now: this._robotFile.file });
    } catch (e) {
      const err = e instanceof BridgeError ? e : new BridgeError('BRIDGE_CONNECT', this.url, String(e));
      if (FATAL.has(err.code)) this._fatal = err.message;
      const max = this._opts.reconnect === false ? 0 : (this._opts.reconnect?.maxS ?? 2);
      this._backoff = Math.min(max, Math.max(this._backoff * 2, this._reconnectInitial()));
      this._host.onEvent({ kind: 'reconnect_failed', error: err, retryInS: this._fatal ? Number.POSITIVE_INFINITY : this._backoff });
      this._host.onHealth();
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
    this._host.onTick(now);
  }
}

/** A status reason the server wrote for an e-stop of client `id` (BridgeServer: "e-stop by client N[: why]"). */
function isOwnEstop(reason: string, id: number): boolean {
  const own = `e-stop by client ${id}`;
  return reason === own || reason.startsWith(`${own}: `);
}
