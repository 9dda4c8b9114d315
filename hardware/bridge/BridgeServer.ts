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
 * Split by concept: Connections.ts (HTTP upgrade, clients, hello, heartbeats, error replies, token
 * and roles), RobotLoop.ts (the paced loop, supervisor and command deadman), ServerStats.ts
 * (counters, round trips), serverOptions.ts (the options, their defaults and checks); this file
 * holds what each message does.
 *
 * Real-time rules: the loop tick (observe -> deadman -> supervisor -> command -> step) and the
 * command-frame path allocate nothing but the state frame buffer sent to clients; JSON, logging
 * and events happen only on connection, control messages, errors and state changes.
 */
import { Subject } from 'rxjs';
import { createCommand, type JointCommand, type Observation, type Robot, type SimulatedRobot } from '../../src/core/robot.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import type { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { printable } from '../../src/core/printable.ts';
import { BridgeError } from './BridgeError.ts';
import { Connections, type Client } from './Connections.ts';
import { commandFieldAt, decodeCommand, encodeState, stateLayoutFor, type DecodedCommand, type FrameHeader, type StateLayout } from './frames.ts';
import { parseClientMessage, specToWire, type ClientMessage, type HelloMessage, type HelloRobotFile, type StatsMessage } from './messages.ts';
import { DEFAULT_PORT, ErrorCode, PROTOCOL_VERSION, SUBPROTOCOL, type Role, type RobotState, type StateCause } from './protocol.ts';
import { RobotLoop, type PacingFigures } from './RobotLoop.ts';
import { WorkerPacer } from './WorkerPacer.ts';
import { ServerStats, type ServerCounts } from './ServerStats.ts';
import { resolveServerOptions, type BridgeServerOptions } from './serverOptions.ts';
import type { BridgeServerEvent } from './serverEvents.ts';

export type { BridgeServerOptions } from './serverOptions.ts';
export type { BridgeServerEvent } from './serverEvents.ts';

/** True when `seq` comes after `last` in the wrapping u32 sequence 1, 2, ..., 2³²−1, 1, ... (at most 2³¹−1 ahead). */
export function seqAfter(seq: number, last: number): boolean {
  const d = (seq - last) >>> 0;
  return d !== 0 && d < 0x80000000;
}

/** A robot served over the bridge protocol. Create with `BridgeServer.listen(options)`. */
export class BridgeServer {
  readonly robot: Robot;
  readonly host: string;
  readonly token: string;
  /** True when the token was generated (no token was given). */
  readonly tokenGenerated: boolean;
  readonly observeWithoutToken: boolean;
  readonly stopNeedsToken: boolean;
  /** E-stops that came as `POST /estop` (httpEstop.ts). */
  httpEstops = 0;
  private _httpToldAt = -Infinity;
  readonly sim: boolean;
  /** Loop period (s) and rates (Hz). */
  readonly dt: number;
  /** What wakes the paced loop (BridgeServerOptions.pacing). */
  readonly pacingKind: 'poll' | 'worker';
  readonly loopHz: number;
  readonly stateHz: number;
  readonly commandTimeoutS: number;
  readonly heartbeatIntervalS: number;
  readonly heartbeatTimeoutS: number;
  readonly layout: StateLayout;
  readonly events$ = new Subject<BridgeServerEvent>();

  /** Counters since listen. */
  readonly counts: ServerCounts;

  private _port = 0;
  private readonly _serverName: string;
  private readonly _engine: string | null;
  /** The hello's robotFile (none: the field is left out, as before it existed). */
  private readonly _robotFile: HelloRobotFile | null;
  /** The hello's frame.imuLink (none: the field is left out). */
  private readonly _imuLink: string | null;
  private readonly _paced: boolean;
  private readonly _stats = new ServerStats();
  private readonly _conns: Connections;
  private readonly _loop: RobotLoop;
  private _closed = false;
  private readonly _scratch: DecodedCommand;
  private readonly _h: FrameHeader = { type: 0, seq: 0, time: 0, ack: 0, count: 0, flags: 0 };
  private _stateSeq = 0;
  private _published: RobotState = 'idle';
  private _lastCause: StateCause | null = null;
  private _lastReason = '';

  private constructor(o: BridgeServerOptions) {
    const robot = o.robot;
    this.robot = robot;
    this.counts = this._stats.counts;
    const s = resolveServerOptions(o);
    this.host = s.host;
    this.token = s.token;
    this.tokenGenerated = s.tokenGenerated;
    this.observeWithoutToken = s.observeWithoutToken;
    this.stopNeedsToken = s.stopNeedsToken;
    this.sim = s.sim;
    this.dt = s.dt;
    this.loopHz = s.loopHz;
    this.stateHz = s.stateHz;
    this.commandTimeoutS = s.commandTimeoutS;
    this.heartbeatIntervalS = s.heartbeatIntervalS;
    this.heartbeatTimeoutS = s.heartbeatTimeoutS;
    this.pacingKind = s.pacingKind;
    this._paced = s.paced;
    this._serverName = s.serverName;
    this._engine = s.engine;
    this._robotFile = s.robotFile;
    this._imuLink = s.imuLink;

    const spec = robot.spec;
    this.layout = stateLayoutFor(spec, o.sendBase ?? this.sim);
    this._loop = new RobotLoop({
      robot,
      sim: this.sim,
      dt: this.dt,
      decimation: s.decimation,
      commandTimeoutS: this.commandTimeoutS,
      maxCatchUp: Math.max(1, Math.round((o.maxCatchUpS ?? 0.1) / this.dt)),
      spinMarginS: o.spinMarginS ?? 0.0011,
      safety: { softStartS: 0, ...o.safety, deadlineMissesToSafeStop: 1 },
      ...(o.watch !== undefined ? { watch: o.watch } : {}),
      clock: o.now ?? steadyNow,
      paced: this._paced,
      counts: this.counts,
      publish: (cause, reason) => this._publish(cause, reason),
      broadcast: () => this._broadcastState(),
    });
    this._scratch = { command: createCommand(spec, 'effort') as DecodedCommand['command'], hasGains: false, hasFeedforward: false };
    this._conns = new Connections({
      token: this.token,
      observeWithoutToken: this.observeWithoutToken,
      heartbeatIntervalS: this.heartbeatIntervalS,
      heartbeatTimeoutS: this.heartbeatTimeoutS,
      counts: this.counts,
      limits: s.limits,
      allowOrigins: s.allowOrigins,
      now: () => this.now(),
      event: (e) => this.events$.next(e),
      stopNeedsToken: this.stopNeedsToken,
      httpEstop: (remote, reason) => this._httpEstop(remote, reason),
      hello: (c) => this._hello(c),
      onMessage: (c, data, isBinary) => (isBinary ? this._onBinary(c, data) : this._onText(c, data.toString('utf8'))),
      onOversizeText: (c, text) => {
        const m = parseClientMessage(text);
        if (!('code' in m) && m.type === 'estop') this._onMessage(c, m);
      },
      commanderLost: (c, why) => {
        const s = this.robotState;
        if (s === 'running' || s === 'degraded') this._loop.safeStop('commander_lost', `commander (client ${c.id}) ${why}`);
      },
      commanderSteppedDown: (c) => {
        if (this.robotState === 'running' || this.robotState === 'degraded') {
          this._loop.newSupervisor();
          this._publish('release', `client ${c.id} stepped down to observer`, c);
        }
      },
    });
  }

  /**
   * Binds, starts the robot's loop and serves. Rejects with BridgeError BRIDGE_CONFIG (bad
   * options) or BRIDGE_LISTEN (address in use, not allowed).
   */
  static async listen(o: BridgeServerOptions): Promise<BridgeServer> {
    const s = new BridgeServer(o);
    // The timing thread first: nothing is served before the loop can step (the deadman and
    // heartbeats run on the loop's clock, which starts with it).
    let pacer: WorkerPacer | undefined;
    if (s.pacingKind === 'worker' && s._paced) {
      try {
        pacer = await WorkerPacer.start(s.dt);
      } catch (e) {
        throw new BridgeError('BRIDGE_CONFIG', 'pacing', `the timing thread did not start: ${e instanceof Error ? e.message : String(e)}`, "pacing 'poll'");
      }
      pacer.onLost = (why) => s.events$.next({ kind: 'pacing', reason: `${why}; the loop goes on paced by a timer`, time: s.now() });
    }
    try {
      await s.robot.connect();
      s._port = await s._conns.listen(o.port ?? DEFAULT_PORT, s.host);
    } catch (e) {
      await pacer?.cancel();
      throw e;
    }
    s._loop.obs = s.robot.observe();
    s._loop.start(pacer);
    if (s._paced) s._conns.startHeartbeats();
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
    return this._loop.robotState;
  }

  /** The supervisor currently guarding the robot (replaced on reset, release and sim_reset). */
  get safety(): SafetySupervisor {
    return this._loop.sup;
  }

  /** Server steady time (s) since listen. */
  now(): number {
    return this._loop.now();
  }

  /** The command the robot was last given (after the server's safety). */
  get lastSent(): JointCommand {
    return this._loop.out;
  }

  /** The latest observation of the served robot (valid until the next loop tick). */
  get observation(): Observation {
    return this._loop.obs;
  }

  /** Connections closed over a bound, upgrades refused for their Origin (403) or their rate (503), since listen (docs/bridge.md, "A client that floods"). */
  get refusals(): { readonly closedOverLimit: number; readonly originsRefused: number; readonly upgradesRefused: number } {
    const c = this._conns;
    return { closedOverLimit: c.closedOverLimit, originsRefused: c.originsRefused, upgradesRefused: c.upgradesRefused };
  }

  get commanderId(): number | undefined {
    return this._conns.commander?.id;
  }

  /** Server operator's protective stop (latched until reset). */
  estop(reason: string): void {
    this._loop.estop(`server operator: ${reason}`);
    this._publish('estop', `e-stop by the server operator: ${reason}`);
  }

  /** Server operator's reset: leaves safe-stop / e-stopped for idle (the next command re-arms). */
  reset(reason: string): void {
    if (this.robotState !== 'safe-stop' && this.robotState !== 'e-stopped') return;
    this._loop.newSupervisor();
    this._publish('reset', `reset by the server operator: ${reason}`);
  }

  /** Round trip and traffic figures (allocates: not for the tick path). */
  stats(): StatsMessage {
    return this._stats.message(this.now());
  }

  /** How the paced loop woke: the pacer and the lateness of its wake-ups after each step deadline (allocates). */
  pacing(): PacingFigures {
    return this._loop.pacing();
  }

  /** Clears the round-trip samples (benchmarks measure a window). */
  clearStats(): void {
    this._stats.clearRoundTrips();
  }

  /**
   * Stops serving: the robot is stopped (e-stopped, one last safe command written), every client
   * is told (close 1001), the port is released. The robot itself is not closed (its owner does).
   */
  async close(): Promise<void> {
    if (this._closed) return;
    if (this._loop.sup.armed && this.robotState !== 'e-stopped') {
      this._loop.estop('server shutting down');
      this._publish('estop', 'server shutting down');
    }
    // A robot that throws on its last command still gets its clients told and its port released.
    let paced: Promise<void> = Promise.resolve();
    try {
      paced = this._loop.stop();
    } finally {
      this._closed = true;
      await Promise.all([paced, this._conns.close()]);
      this.events$.complete();
    }
  }

  /**
   * Unpaced servers (`paced: false`): runs the loop steps due at the clock's present time, sends
   * the state frames they produce. Returns the steps run.
   */
  runDue(): number {
    const k0 = this._loop.k;
    this._loop.runDue();
    return this._loop.k - k0;
  }

  /** Unpaced servers: one heartbeat round now (send heartbeats, time out silent clients). */
  heartbeat(): void {
    this._conns.heartbeat();
  }

  /**
   * Broadcasts a status when the reported state changed, and for every e-stop: a second stop of an
   * e-stopped robot (the operator's on top of a client's) is told, so that every client and the log
   * know who stopped it last.
   */
  private _publish(cause: StateCause, reason: string, client?: Client): void {
    const state = this.robotState;
    if (state === this._published && cause !== 'sim_reset' && cause !== 'estop') return;
    // The refusals of the state left are told before the new state.
    for (const k of this._conns.clients) if (k.stopRefusedIn !== undefined) this._conns.flushRefusals(k);
    this._published = state;
    this._lastCause = cause;
    this._lastReason = reason;
    const time = this.now();
    this._conns.broadcastText(JSON.stringify({ type: 'status', robotState: state, cause, reason, commander: this._conns.commander !== undefined, time }));
    this.events$.next({
      kind: 'state',
      robotState: state,
      cause,
      reason,
      time,
      loopTime: this._loop.k * this.dt,
      lastCommandAt: this._loop.lastCommandAt,
      ...(client ? { client: client.id } : {}),
    });
  }

  private _broadcastState(): void {
    if (this._conns.clients.size === 0) return;
    const seq = (this._stateSeq = this._stateSeq >= 0xffffffff ? 1 : this._stateSeq + 1);
    const buf = Buffer.allocUnsafe(this.layout.bytes);
    encodeState(buf, this.layout, seq, this._loop.k * this.dt, this._loop.lastCommandSeq, this._loop.obs);
    this._stats.stateSent(seq, this.now());
    this._conns.broadcastState(buf);
  }

  private _hello(c: Client): HelloMessage {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      subprotocol: SUBPROTOCOL,
      server: this._serverName,
      client: c.id,
      robot: specToWire(this.robot.spec),
      sim: this.sim,
      engine: this._engine,
      ...(this._robotFile ? { robotFile: this._robotFile } : {}),
      rates: { loopHz: this.loopHz, stateHz: this.stateHz },
      frame: { imu: this.layout.imu, contacts: this.layout.contacts, base: this.layout.base, ...(this._imuLink !== null ? { imuLink: this._imuLink } : {}) },
      heartbeat: { intervalS: this.heartbeatIntervalS, timeoutS: this.heartbeatTimeoutS },
      commandTimeoutS: this.commandTimeoutS,
      auth: { observeWithoutToken: this.observeWithoutToken },
      robotState: this.robotState,
      stateCause: this._lastCause,
      stateReason: this._lastReason,
      commander: this._conns.commander !== undefined,
    };
  }

  private _sendError(c: Client, code: number, text: string, seq?: number, offset?: number): void {
    this._conns.sendError(c, code, text, seq, offset);
  }

  // ---- command frames (the hot path from the commander) ----

  private _onBinary(c: Client, buf: Buffer): void {
    if (!c.authed) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'binary frame from a client that has not authenticated: send {"type":"auth","token":...,"role":"command"} first');
    }
    if (this._conns.commander !== c) {
      this.counts.commandsRejected++;
      return this._sendError(c, ErrorCode.NOT_COMMANDER, 'command frame from a client that is not the commander: send auth with role "command" first');
    }
    const spec = this.robot.spec;
    const n = spec.joints.length;
    const h = this._h;
    const bad = decodeCommand(buf, n, spec.controlModes, h, this._scratch);
    if (bad) {
      this.counts.commandsRejected++;
      const field = bad.code === ErrorCode.FRAME_VALUE && bad.offset >= 24 ? ` (${commandFieldAt(bad.offset, n, h.flags)}, joint ${spec.joints[Math.floor((bad.offset - 24) / 4) % n]?.name ?? '?'})` : '';
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
      // A client streaming into a stop would log 20 lines a second: the first is logged, the rest
      // counted (flushRefusals); one the error budget kept from the log is counted too.
      c.stopRefusedIn = s;
      const log = !c.stopLogged;
      if (this._conns.sendError(c, ErrorCode.ROBOT_STOPPED, `robot is ${s} (latched): command seq ${h.seq} refused; send {"type":"reset"} after the cause is cleared`, h.seq, undefined, log) && log) c.stopLogged = true;
      else c.stopRefusals++;
      return;
    }
    // Velocity mode with kd 0 moves nothing while the robot reports running (PROTOCOL.md 5.3): refused
    // before it arms the robot or replaces the held command.
    if (this._scratch.command.mode === 'velocity') {
      const why = this._loop.sup.velocityUndriven(this._scratch.hasGains ? this._scratch.command.kd : undefined);
      if (why !== undefined) {
        this.counts.commandsRejected++;
        return this._sendError(c, ErrorCode.COMMAND_UNDRIVEN, `command seq ${h.seq} refused: ${why}`, h.seq);
      }
    }
    const now = this.now();
    this._loop.accept(this._scratch, h.seq, now);
    c.lastSeq = h.seq;
    this.counts.commandsAccepted++;
    this._stats.acked(h.ack, now);
    if (s === 'idle') {
      this._loop.sup.arm(this._loop.obs, this._loop.k);
      this._publish('armed', `armed by client ${c.id}'s first command (mode ${this._loop.cmd.command.mode})`, c);
    }
  }

  // ---- control messages ----

  private _onText(c: Client, text: string): void {
    const m = parseClientMessage(text);
    if ('code' in m) return this._sendError(c, m.code, m.text);
    this._onMessage(c, m);
  }

  /**
   * An e-stop that came as `POST /estop` (httpEstop.ts, checked there): applied every time; told
   * (a status to every client, an event) when it stopped the robot, or at most once a second while
   * it stays e-stopped, so that a loop of requests cannot flood the clients and the console.
   */
  private _httpEstop(remote: string, reason: string | undefined): RobotState {
    const why = reason && printable(reason);
    const was = this.robotState;
    this._loop.estop(`HTTP ${remote}: ${why ?? 'e-stop'}`);
    this.httpEstops++;
    const now = this.now();
    if (was !== 'e-stopped' || now - this._httpToldAt >= 1) {
      this._httpToldAt = now;
      this._publish('estop', `e-stop over HTTP from ${remote}${why ? `: ${why}` : ''}`);
    }
    return this.robotState;
  }

  private _onMessage(c: Client, m: ClientMessage): void {
    const loop = this._loop;
    switch (m.type) {
      case 'heartbeat':
        return;
      case 'auth':
        return this._conns.auth(c, m.role, m.token);
      case 'stats':
        if (!c.observing) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'stats need a token on this server');
        this._conns.sendText(c, JSON.stringify(this.stats()));
        return;
      case 'estop': {
        if (!c.authed && this.stopNeedsToken) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'e-stop needs a valid token on this server (auth first)');
        // Relayed to every client and the operator's terminal: no escape sequence of a client's acts there.
        const why = m.reason && printable(m.reason);
        loop.estop(`client ${c.id}: ${why ?? 'e-stop'}`);
        this._publish('estop', `e-stop by client ${c.id}${why ? `: ${why}` : ''}`, c);
        // A reason that failed its schema: stopped first, told after (PROTOCOL.md 4.1).
        if (m.issue) this._sendError(c, m.issue.code, m.issue.text);
        return;
      }
      case 'reset': {
        if (!c.authed) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'reset needs a valid token (auth first)');
        if (this._conns.commander !== c) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'reset is the commander\'s: auth with role "command" first');
        const s = this.robotState;
        if (s === 'safe-stop' || s === 'e-stopped') {
          loop.newSupervisor();
          this._publish('reset', `reset by client ${c.id}${m.reason ? `: ${printable(m.reason)}` : ''}`, c);
        } else this._sendStatus(c, 'reset', `nothing to reset: robot is ${s}`);
        return;
      }
      case 'release':
        if (!this._conns.release(c)) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'release from a client that is not the commander');
        if (this.robotState === 'running' || this.robotState === 'degraded') {
          loop.newSupervisor();
          this._publish('release', `client ${c.id} released the robot`, c);
        } else this._sendStatus(c, 'release', `released; robot is ${this.robotState}`);
        return;
      case 'sim_reset': {
        if (!c.authed) return this._sendError(c, ErrorCode.AUTH_REQUIRED, 'sim_reset needs a valid token (auth first)');
        if (this._conns.commander !== c) return this._sendError(c, ErrorCode.NOT_COMMANDER, 'sim_reset is the commander\'s: auth with role "command" first');
        if (!this.sim) return this._sendError(c, ErrorCode.UNSUPPORTED, 'sim_reset: this robot is not simulated');
        const s = this.robotState;
        if (s === 'e-stopped') return this._sendError(c, ErrorCode.ROBOT_STOPPED, 'sim_reset refused while e-stopped: reset first');
        // A latched stop is left by a reset (an operator's decision), not by the simulation's
        // reset that every `axon sim --robot` sends on connect. The one exception is the state
        // watchdog's stop: the simulation itself blew up, and only sim_reset puts it back
        // (PROTOCOL.md section 7, docs/bridge.md).
        if (s === 'safe-stop' && loop.sup.stopCause?.kind !== 'state_watchdog')
          return this._sendError(c, ErrorCode.ROBOT_STOPPED, `sim_reset refused while safe-stopped (${this._lastCause ?? 'safety'}): reset first (sim_reset leaves only the state watchdog's safe-stop)`);
        (this.robot as SimulatedRobot).reset(m.seed);
        loop.cmd.command.target.fill(0);
        loop.cmd.command.feedforward.fill(0);
        loop.simReset(this.robot.observe());
        this._publish('sim_reset', `simulation reset by client ${c.id}${m.seed !== undefined ? ` (seed ${m.seed})` : ''}`, c);
        return;
      }
    }
  }

  private _sendStatus(c: Client, cause: StateCause, reason: string): void {
    this._conns.sendText(c, JSON.stringify({ type: 'status', robotState: this.robotState, cause, reason, commander: this._conns.commander !== undefined, time: this.now() }));
  }
}
