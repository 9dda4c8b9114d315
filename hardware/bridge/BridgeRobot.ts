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
 * itself is protected by the server's command deadman. `extras.command_age` (COMMAND_AGE_KEY) says
 * how long (server s) the newest command sent had been in effect at the newest frame, from the
 * first frame that acks it (NaN: not yet): a command reaches the served robot a few ms into the
 * step, and a monitor predicts each part of the step from the command in effect then.
 *
 * Time is injected (docs/style.md 6): `now` (steady s) and `timers` drive the heartbeat, the
 * link timeout, staleness, the reconnect backoff and the request timeouts, so tests run them on
 * virtual time (src/clock/VirtualTime.ts); `random` draws the backoff jitter.
 *
 * health$: connected (socket up and authenticated), stale (no state frame for staleAfterS),
 * faults (the server reports safe-stop / e-stopped, the robot went idle without this client
 * deciding to arm it, or the bridge cannot go on: bad token, a different robot after a reconnect).
 *
 * Arming is the client's decision (PROTOCOL.md section 6): command() sends only while the served
 * robot is running, or idle at the run's start (or after this client's own reset / sim_reset /
 * arm()). A loop latched in its own stop keeps writing its hold output; after a stop, a server
 * operator's reset or a reconnect to a restarted (idle) server those commands are withheld and
 * counted (`counts.commandsWithheld`) instead of re-arming the robot or streaming refusals. runLive safe-stops its loop on any fault (PROTOCOL.md 6:
 * after a reconnect the served robot is usually in safe-stop, and the loop joins it there).
 *
 * Reconnects with exponential backoff (0.1 s doubling to 2 s, ±20 % jitter) until close(): the
 * socket, heartbeat, reconnect and control requests live in BridgeLink; this file is the Robot face
 * (observe, command, estop/reset, health$) and the state frames.
 *
 * Its state streams in between ticks (`streamsState`): a loop that blocks its thread between ticks
 * takes an event-loop turn just before each tick, so observe() returns the newest frame.
 *
 * Real-time rules: observe() copies preallocated arrays; command() encodes into a new small
 * Buffer (the socket keeps it until written) and never throws or blocks.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { createObservation, type JointCommand, type Observation, type Robot, type RobotHealth, type RobotSpec } from '../../src/core/robot.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import { realTimers } from '../../src/clock/Timers.ts';
import { ArrivalEstimate } from './ArrivalEstimate.ts';
import { BridgeError } from './BridgeError.ts';
import { BridgeLink, type BridgeClientEvent, type BridgeClientEventBody, type BridgeLinkOptions, type LinkHost } from './BridgeLink.ts';
import { commandBytes, commandFlags, decodeState, encodeCommand, stateLayout, type FrameHeader, type StateLayout } from './frames.ts';
import type { HelloMessage, HelloRobotFile, StatsMessage, StatusMessage } from './messages.ts';
import { openLink, type AcceptHello, type Link } from './openLink.ts';
import type { Role, RobotState } from './protocol.ts';
import { REASON_MAX } from './schemas.ts';
import { COMMAND_AGE_KEY } from '../../src/worldmodel/types.ts';

export type { BridgeClientEvent } from './BridgeLink.ts';

export interface BridgeRobotOptions extends BridgeLinkOptions {
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
  /** No state frame for this long sets health.stale (s); default max(0.05, 5 state periods). */
  readonly staleAfterS?: number;
}

const _binary = { binary: true } as const;

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
  /**
   * Counters since connect. commandsDropped: the link could not take the command (down, backed up,
   * not commanding); commandsWithheld: the served robot could not take it (safe-stop, e-stopped, or
   * idle and this client did not mean to arm it: PROTOCOL.md section 6).
   */
  readonly counts = { framesReceived: 0, framesRejected: 0, commandsSent: 0, commandsDropped: 0, commandsWithheld: 0, reconnects: 0 };

  private readonly _link: BridgeLink;
  private readonly _layout: StateLayout;
  private readonly _obs: Observation;
  private _latest: Observation;
  private _scratch: Observation;
  private readonly _age = new Float32Array(1);
  /** extras.command_age: how long (s, server time) the newest command sent had been in effect at the newest frame; NaN: not yet. */
  private readonly _cmdAge = new Float32Array(1);
  /** Seq of the newest command sent, and the server time it took effect (from the first state frame that acks it); NaN: not yet acked. */
  private _sentSeq = 0;
  private _sentEffectAt = Number.NaN;
  /** Loop steps per state frame (the server's decimation). */
  private readonly _decimation: number;
  private readonly _h: FrameHeader = { type: 0, seq: 0, time: 0, ack: 0, count: 0, flags: 0 };
  private _latestSeq = 0;
  private _latestTime = 0;
  /** Arrival of the newest frame (s, on `_now`). */
  private _rxAt = Number.NaN;
  private readonly _arrival: ArrivalEstimate;
  private readonly _now: () => number;
  /** The run's clock (useClock); undefined: stamps on `_now`. */
  private _runNow: (() => number) | undefined;
  private _cmdSeq = 0;
  private readonly _staleAfterS: number;

  /** Use connectBridgeRobot(url, options): a BridgeRobot is made from a link that is already open. */
  constructor(url: string, options: BridgeRobotOptions, link: Link) {
    this.url = url;
    this._now = options.now ?? steadyNow;
    // A server that sends base state gives a base-velocity estimate (no silent zeros for base_lin_vel).
    this.spec = link.hello.frame.base ? { ...link.spec, sensors: { ...link.spec.sensors, baseVelocity: true } } : link.spec;
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
    (this._obs.extras as Record<string, Float32Array>)[COMMAND_AGE_KEY] = this._cmdAge;
    this._decimation = Math.max(1, Math.round(link.hello.rates.loopHz / link.hello.rates.stateHz));
    this._latest = mk();
    this._scratch = mk();
    this._staleAfterS = options.staleAfterS ?? Math.max(0.05, 5 / link.hello.rates.stateHz);
    this._arrival = new ArrivalEstimate(this._staleAfterS / 2);
    this._link = new BridgeLink(url, options, link, this.spec, this.counts, this._host);
    this.health$ = new BehaviorSubject<RobotHealth>({ connected: true, stale: false, faults: this._link.faults() });
    this._link.start(link);
  }

  /** The hello of the current (or last) connection. */
  get hello(): HelloMessage {
    return this._link.hello;
  }

  /** The robot file the hello names; null when it names none (an older server, a shipped robot, hardware) or a malformed one (robotFileProblem). */
  get robotFile(): HelloRobotFile | null {
    return this._link.robotFile;
  }

  /** Why the hello's robotFile was taken as none (PROTOCOL.md section 4: a malformed one costs no link), undefined when it was usable or absent. */
  get robotFileProblem(): string | undefined {
    return this._link.robotFileProblem;
  }

  /** The role the server granted. */
  get role(): Role {
    return this._link.role;
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
    return this._link.serverState;
  }

  /** True once close() was called (the link is given back for good). */
  get closed(): boolean {
    return this._link.closed;
  }

  get connected(): boolean {
    return this._link.connected;
  }

  /** Already connected by connectBridgeRobot: resolves at once (rejects after close()). */
  async connect(): Promise<void> {
    if (this._link.closed) throw new BridgeError('BRIDGE_CLOSED', this.url, 'robot was closed', 'a new connectBridgeRobot()');
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
    this._cmdAge[0] = this._latestTime - this._sentEffectAt; // NaN until a frame acks it
    return o;
  }

  command(cmd: JointCommand): void {
    const ws = this._link.commandSocket;
    if (ws === undefined) {
      this.counts.commandsDropped++;
      return;
    }
    if (!this._link.commandable) {
      // A stopped robot could only refuse it; an idle one it would arm without anyone deciding it.
      this.counts.commandsWithheld++;
      return;
    }
    const n = this.spec.joints.length;
    const buf = Buffer.allocUnsafe(commandBytes(n, commandFlags(cmd)));
    this._cmdSeq = this._cmdSeq >= 0xffffffff ? 1 : this._cmdSeq + 1;
    encodeCommand(buf, n, this._cmdSeq, this._now(), this._latestSeq, cmd);
    ws.send(buf, _binary);
    this._sentSeq = this._cmdSeq;
    this._sentEffectAt = Number.NaN;
    this.counts.commandsSent++;
  }

  /**
   * Protective stop of the served robot (latched on the server until reset). Any token holder may
   * send it. The live runner calls it on each e-stop of its supervisor (Robot.estop); the stop this
   * client asked for is not a fault of the link, and close() leaves it latched (BridgeLink.close).
   */
  estop(reason = 'client e-stop'): Promise<StatusMessage> {
    const cut = reason.slice(0, REASON_MAX);
    this._link.latchEstop(cut);
    return this._link.request({ type: 'estop', reason: cut }, (m) => m.type === 'status' && m.robotState === 'e-stopped');
  }

  /**
   * Explicit operator reset: the server leaves safe-stop / e-stopped for idle; the next command
   * re-arms (this client's decision: also the way to arm an idle robot after a reconnect).
   */
  reset(reason = 'operator reset'): Promise<StatusMessage> {
    return this._link.request({ type: 'reset', reason }, (m) => m.type === 'status' && (m.cause === 'reset' || m.robotState === 'idle'), true);
  }

  /**
   * This client means its next command to arm the served robot when it is idle (it is not armed
   * otherwise after a stop, a server operator's reset or a reconnect: PROTOCOL.md section 6).
   * Refused (the reason returned, nothing changed) while the served robot is e-stopped or
   * safe-stopped, this client's own forwarded e-stop included: the server cannot tell whose stops
   * it holds (a second e-stop of a stopped robot is not announced), so leaving one is the server
   * operator's reset (or this client's explicit reset()), never a side effect of arming.
   */
  arm(): string | undefined {
    const s = this._link.serverState;
    if (s === 'e-stopped' || s === 'safe-stop')
      return `the served robot is ${s}${this._link.ownEstop !== undefined ? " (this client's own stop reached it)" : ''}: the server's operator resets it ('r' in axon bridge), then Arm`;
    this._link.allowArm();
    return undefined;
  }

  /** Simulated robots only: back to the initial state (seeded); the next command arms it (this client's decision). */
  simReset(seed?: number): Promise<StatusMessage> {
    return this._link.request(seed === undefined ? { type: 'sim_reset' } : { type: 'sim_reset', seed }, (m) => m.type === 'status' && m.cause === 'sim_reset', true);
  }

  /** The server's traffic and round-trip figures. */
  stats(): Promise<StatsMessage> {
    return this._link.request({ type: 'stats' }, (m) => m.type === 'stats') as unknown as Promise<StatsMessage>;
  }

  /**
   * Gives the robot back (release: the server holds it, no fault), closes the link, stops
   * reconnecting; after this client's estop() the robot stays e-stopped on the server (only the
   * commander role is given back).
   */
  async close(): Promise<void> {
    if (this._link.closed) return;
    await this._link.close();
    this.health$.next({ connected: false, stale: false, faults: [] });
    this.health$.complete();
    this.events$.complete();
    this.frames$.complete();
  }

  // ---- internals: what the link calls back ----

  private readonly _host: LinkHost = {
    onAdopt: () => {
      // A new link: the server may have restarted on another clock origin.
      this._arrival.reset();
      this._sentEffectAt = Number.NaN;
      this._sentSeq = 0;
    },
    onFrame: (data, at) => this._onFrame(data, at),
    onHealth: () => this._emitHealth(),
    onTick: (now) => {
      const stale = !(now - this._rxAt <= this._staleAfterS);
      if (stale !== this.health$.value.stale) this._emitHealth();
    },
    onEvent: (e: BridgeClientEventBody) => this.events$.next({ ...e, time: this._runNow === undefined ? this._now() : this._runNow() }),
  };

  private _onFrame(data: Buffer, at: number): void {
    const bad = decodeState(data, this._layout, this._h, this._scratch);
    if (bad) {
      this.counts.framesRejected++;
      return;
    }
    const t = this._latest;
    this._latest = this._scratch;
    this._scratch = t;
    const before = this._latestTime;
    this._latestSeq = this._h.seq;
    this._latestTime = this._h.time;
    // The first frame that acks the newest command sent (seq order modulo 2^32): the server accepted
    // it after the frame before and used it in every loop step since (one state frame per step: the
    // steps of a late wake-up run together); with several steps per frame, from the middle of them.
    if (this._sentSeq !== 0 && Number.isNaN(this._sentEffectAt) && this._h.ack !== 0 && ((this._h.ack - this._sentSeq) >>> 0) < 0x80000000)
      this._sentEffectAt = this._decimation === 1 || !(before < this._h.time) ? before : (before + this._h.time) / 2;
    this._rxAt = this._arrival.stamp(this._h.time, at);
    this.counts.framesReceived++;
    if (this.health$.value.stale) this._emitHealth();
    this.frames$.next(this._latest);
  }

  private _emitHealth(): void {
    if (this._link.closed) return;
    const connected = this._link.connected;
    const stale = !connected || !(this._now() - this._rxAt <= this._staleAfterS);
    this.health$.next({ connected, stale, faults: this._link.faults(), armable: this._link.armable });
  }
}
