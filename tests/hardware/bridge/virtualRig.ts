/**
 * A bridge server and client on one virtual clock (src/clock/VirtualTime.ts) over real sockets.
 * Time moves only in `step()`: the client's timers (heartbeat, staleness, backoff) and its loop's
 * ticks fire, the server runs its due steps, and before time moves on the rig waits (real time)
 * until what those steps put on the wire has been handled on the other side: state frames, command
 * frames, a closed socket, a reconnect's handshake. The socket's speed then cannot change which
 * deadline comes first: every outcome is at an exact virtual time.
 */
import { VirtualClock, VirtualTime } from '../../../src/clock/VirtualTime.ts';
import { runLive, type LiveOptions, type LiveResult } from '../../../src/cli/live.ts';
import { loadModelFolder } from '../../../src/model/manifest.ts';
import type { SafetyEvent } from '../../../src/safety/types.ts';
import { connectBridgeRobot, type BridgeClientEvent, type BridgeRobot, type BridgeRobotOptions, type BridgeServer, type BridgeServerEvent, type BridgeServerOptions } from '../../../hardware/bridge/index.ts';
import { Proxy, record, startServer } from './helpers.ts';

/** Polls `pred` on every event-loop turn until true, or throws after `timeoutMs` of real time. */
export async function until(pred: () => boolean, what: string, detail?: () => string, timeoutMs = 10_000): Promise<void> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? ` (${detail()})` : ''}`);
    await new Promise((r) => setImmediate(r));
  }
}

export class VirtualRig {
  readonly serverEvents: BridgeServerEvent[];
  readonly clientEvents: { readonly t: number; readonly e: BridgeClientEvent }[] = [];
  robot: BridgeRobot | undefined;
  /** false from a fault put on the link until the client reconnects: nothing sent is expected to arrive. */
  linkUp = true;
  /** Commands the client sent that the server will never see (lost with a broken link). */
  private commandsLost = 0;
  private nextHeartbeat: number;
  private nextServerAt: number;
  /** Where the client's link is, as far as the rig waits on it. */
  private phase: 'up' | 'closing' | 'down' | 'handshake' | 'first_frame' = 'up';
  private commanderAtAttempt: number | undefined;

  private constructor(
    readonly time: VirtualTime,
    readonly server: BridgeServer,
    readonly proxy: Proxy,
  ) {
    this.serverEvents = record(server);
    this.nextHeartbeat = server.heartbeatIntervalS;
    this.nextServerAt = server.dt;
  }

  static async start(o: Partial<BridgeServerOptions>): Promise<VirtualRig> {
    const time = new VirtualTime(0);
    const server = await startServer({ ...o, now: time.now, paced: false });
    const proxy = await Proxy.start(server.port);
    return new VirtualRig(time, server, proxy);
  }

  /** Connects a commanding client through the proxy, on the rig's clock (backoff jitter 1). */
  async connect(o: BridgeRobotOptions = {}): Promise<BridgeRobot> {
    const pending = connectBridgeRobot(this.proxy.url, { token: 'secret-token', simReset: { seed: 4 }, ...o, now: this.time.now, timers: this.time, random: () => 0.5 });
    let robot: BridgeRobot | undefined;
    let failed: unknown;
    pending.then((r) => (robot = r), (e) => (failed = e));
    // No time passes until the server has granted the role and reset the episode: the first
    // state frame after that is the one the client connects on.
    await until(() => failed !== undefined || this.serverEvents.some((e) => e.kind === 'state' && e.cause === 'sim_reset'), 'the sim reset');
    while (robot === undefined && failed === undefined) {
      const sent = this.server.counts.stateFramesSent;
      this.time.advanceTo(this.nextServerAt);
      this.nextServerAt += this.server.dt;
      this.server.runDue();
      if (this.server.counts.stateFramesSent !== sent) await until(() => robot !== undefined || failed !== undefined, 'the first state frame');
    }
    if (failed !== undefined) throw failed;
    this.robot = robot!;
    this.robot.events$.subscribe((e) => {
      this.clientEvents.push({ t: this.time.now(), e });
      if (e.kind === 'disconnected' || e.kind === 'reconnect_failed') this.phase = 'down';
      else if (e.kind === 'connected') {
        this.phase = 'up';
        this.linkUp = true;
        const c = this.server.counts;
        this.commandsLost = this.robot!.counts.commandsSent - (c.commandsAccepted + c.commandsRejected);
      }
      else if (e.kind === 'reconnecting') {
        this.phase = 'handshake';
        this.commanderAtAttempt = this.server.commanderId;
      }
    });
    return this.robot;
  }

  /** Client events of one kind, with the virtual time they came at. */
  events<K extends BridgeClientEvent['kind']>(kind: K): { t: number; e: Extract<BridgeClientEvent, { kind: K }> }[] {
    return this.clientEvents.filter((x) => x.e.kind === kind) as { t: number; e: Extract<BridgeClientEvent, { kind: K }> }[];
  }

  /**
   * Moves virtual time to the next client timer or server step, whichever comes first, then waits
   * until the traffic it caused was handled (a client timer's effects, e.g. a dropped link, are
   * then seen at the timer's own time).
   * @param serve false: the server does nothing (no state frame, heartbeat or deadman)
   */
  async step(serve = true): Promise<void> {
    const r = this.robot;
    const serverStep = this.time.nextDue() >= this.nextServerAt - 1e-12;
    this.time.advanceTo(serverStep ? this.nextServerAt : this.time.nextDue()); // client timers and loop ticks: commands, heartbeats
    if (serverStep) this.nextServerAt += this.server.dt;
    if (r && this.phase === 'up' && !r.connected) this.phase = 'closing'; // terminated by its heartbeat timeout
    await this.settle(false);
    if (!serve || !serverStep) return;
    const sent = this.server.counts.stateFramesSent;
    // The heartbeat before the step's state frame: once the frame is read, so is the heartbeat.
    if (this.time.now() >= this.nextHeartbeat - 1e-12) {
      this.server.heartbeat();
      this.nextHeartbeat += this.server.heartbeatIntervalS;
    }
    this.server.runDue(); // server steps: state frames, the deadman
    await this.settle(this.server.counts.stateFramesSent !== sent);
  }

  /**
   * runLive on the rig's clock (at the policy's period): steps virtual time until the loop's last
   * tick, calling `at(t)` with the loop's time before each step (to put a fault on the link at an
   * exact time).
   */
  async runLive(
    robot: BridgeRobot,
    o: Omit<LiveOptions, 'clock' | 'handleSignals'>,
    at: (loopT: number) => void | Promise<void> = () => {},
  ): Promise<{ r: LiveResult; safety: SafetyEvent[]; clock: VirtualClock; stamps: { tick: number; obs: number }[] }> {
    const period = 1 / loadModelFolder(o.policy).manifest.control_hz;
    const clock = new VirtualClock(period, this.time);
    const safety: SafetyEvent[] = [];
    const stamps: { tick: number; obs: number }[] = [];
    let ticks = 0;
    const run = runLive(robot, {
      ...o,
      handleSignals: false,
      clock,
      onLoop: (loop, s, command, parts) => {
        s.events$.subscribe((e) => safety.push(e));
        loop.records$.subscribe((rec) => {
          ticks++;
          stamps.push({ tick: rec.time, obs: rec.observation.time });
        });
        o.onLoop?.(loop, s, command, parts);
      },
    });
    let failed: unknown;
    run.catch((e) => (failed = e));
    await until(() => ticks > 0 || failed !== undefined, 'the loop starting');
    const last = Math.round(o.durationS / period);
    while (ticks < last && failed === undefined) {
      await at(clock.now());
      await this.step();
    }
    return { r: await run, safety, clock, stamps };
  }

  /** Steps until `done` or virtual time `t`. */
  async runUntil(t: number, done: () => boolean = () => false): Promise<void> {
    while (this.time.now() < t - 1e-12 && !done()) await this.step();
  }

  /** Breaks the link (every open connection through the proxy), then waits for both ends to see it. */
  async cut(): Promise<void> {
    const id = this.server.commanderId;
    this.linkUp = false;
    this.phase = 'closing';
    this.proxy.cut();
    await until(() => this.phase !== 'closing' && this.server.commanderId !== id, 'both ends seeing the cut');
  }

  /** Silences the link (nothing forwarded either way, sockets left open). */
  freeze(): void {
    this.linkUp = false;
    this.proxy.freeze();
  }

  /** Holds the server's traffic to the client (the client reads nothing) until release(). */
  hold(): void {
    this.linkUp = false;
    this.proxy.hold();
  }

  /** Lets the held traffic through, at the virtual time it is now, and waits until the client has read it. */
  async release(): Promise<void> {
    this.proxy.release();
    this.linkUp = true;
    const r = this.robot!;
    await until(() => r.stateSeq === this.server.counts.stateFramesSent, 'the held frames read');
  }

  /** @param framed the server sent a state frame since the last settle */
  private async settle(framed: boolean): Promise<void> {
    const r = this.robot;
    if (!r || r.closed) return;
    await until(() => this.phase !== 'closing' || r.closed, 'the client seeing its link closed');
    if (this.phase === 'handshake') {
      // The handshake runs on real time; virtual time waits for the server's answer.
      await until(() => this.phase !== 'handshake' || (this.server.commanderId !== undefined && this.server.commanderId !== this.commanderAtAttempt), 'the reconnect handshake');
      if (this.phase === 'handshake') this.phase = 'first_frame';
      return;
    }
    if (this.phase === 'first_frame') {
      if (framed) await until(() => this.phase !== 'first_frame', 'the reconnect\'s first frame');
      return;
    }
    if (this.phase !== 'up') return;
    if (!r.connected) {
      this.phase = 'closing';
      // r.closed: the run closed its robot meanwhile (its last tick), no disconnect to wait for.
      await until(() => this.phase !== 'closing' || r.closed, 'the client seeing its link closed');
      return;
    }
    const c = this.server.counts;
    await until(
      () => r.closed || !this.linkUp || (r.stateSeq === c.stateFramesSent && c.commandsAccepted + c.commandsRejected + this.commandsLost === r.counts.commandsSent),
      'the frames in flight',
      () => `client seq ${r.stateSeq}, server sent ${c.stateFramesSent}; commands sent ${r.counts.commandsSent}, server got ${c.commandsAccepted + c.commandsRejected}; phase ${this.phase}, t ${this.time.now()}`,
    );
  }

  async close(): Promise<void> {
    await this.robot?.close();
    await this.proxy.close();
    await this.server.close();
  }
}
