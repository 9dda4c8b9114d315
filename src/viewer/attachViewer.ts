/**
 * Connects a running control loop to the viewer: live pose frames, loop stats, safety state and
 * events, and the operator's commands (e-stop, arm/disarm, pause/step).
 *
 * Real-time rules: the `records$` subscriber runs on the tick and only copies a few numbers into
 * arrays sized here (joint state, target, the tick's lateness into a 1024-entry ring); it never
 * allocates, encodes or sends. A page asks for a state frame each time it draws one (once per
 * animation frame, one request in flight: the screen's rate, nothing for a hidden tab); a client
 * that never asks gets frames on a timer at `frameHz` (default 30). No state frame goes out before
 * the loop's first tick: one would say seq 0 at the zero pose; a request made earlier is answered
 * once a tick exists. Link poses are read from the robot (`linkPose`) when a frame is built,
 * between ticks. Stats at `statsHz` (default 4). A world model's rollouts (`rollouts`: the hook's
 * RolloutTrace, double-buffered) go out as rollout frames at `rolloutHz` (default 10) when they
 * changed; the page poses the robot along them itself (forward kinematics in the browser), so
 * drawing them costs the control process one copy per tick and one encode per frame.
 */
import type { Subscription } from 'rxjs';
import type { TickRecord } from '../loop/TickRecord.ts';
import type { LoopStats } from '../loop/LoopStats.ts';
import type { Observation } from '../core/robot.ts';
import type { SafetyEvent } from '../safety/types.ts';
import { percentilesUs } from '../loop/LoopStats.ts';
import { steadyNow } from '../clock/sleep.ts';
import { ViewerServer, type ViewerClient } from './ViewerServer.ts';
import { encodeRolloutFrame, encodeStateFrame, rolloutFrameBytes, stateFrameBytes, ROLLOUT_MODES, SAFETY_STATES, FLAG_COMMANDS, FLAG_PAUSED } from './frames.ts';
import { pageKinematics, pageModelOf } from './pageModel.ts';

export { pageKinematics, type ViewerModel } from './pageModel.ts';

export type { Viewer, ViewerOptions, ViewerRobot, ViewerRollouts, ViewerSafety, ViewerVelocityCommand } from './viewerTypes.ts';
import type { Viewer, ViewerOptions, ViewerRobot, ViewerSafety } from './viewerTypes.ts';

const WINDOW = 1024;
/** The page's names of the commands a replay refuses. */
const RECORDED_LABELS = { estop: 'E-STOP', disarm: 'Disarm', arm: 'Arm' } as const;

/** Starts the viewer for `loop`; subscribes at once (before listening), so call it before or during `loop.run()`. */
export async function attachViewer(
  loop: { readonly records$: { subscribe(fn: (r: TickRecord) => void): Subscription }; readonly stats: LoopStats },
  safety: ViewerSafety,
  robot: ViewerRobot,
  o: ViewerOptions = {},
): Promise<Viewer> {
  const spec = robot.spec;
  const n = spec.joints.length;
  const linkNames = robot.model ? robot.model.links.map((l) => l.name) : [];
  // Link poses in the frames when the robot can tell them (simulation); else the page's kinematics.
  const nLinks = robot.linkPose ? linkNames.length : 0;

  // ---- tick side: copy only ------------------------------------------------------------------
  const joints = new Float32Array(4 * n); // position, target, effort, velocity per joint
  const contacts = new Float32Array(spec.sensors.contacts.length); // normal force per contact sensor
  const lateRing = new Float64Array(WINDOW);
  const wallRing = new Float64Array(WINDOW);
  let ticks = 0;
  let seq = 0;
  let time = 0;
  let lastObs: Observation | undefined;
  // World-model hook values (when one runs): latest surprise and plan cost, vetoes counted, and
  // every tick's (time, surprise, cost, vetoed) in a ring that the stats messages send on.
  const wm = { present: false, surprise: Number.NaN, cost: Number.NaN, vetoes: 0, count: 0, sent: 0 };
  const wmRing = new Float64Array(4 * WINDOW);
  // Version of the rollouts last sent; a page that connects resets it, so that it gets them even while they do not change (paused).
  let rolloutVersion = -1;
  const onRecord = (rec: TickRecord): void => {
    const w = rec.worldModel;
    if (w) {
      wm.present = true;
      wm.surprise = w.surprise;
      wm.cost = w.cost;
      if (w.vetoed) wm.vetoes++;
      const k = 4 * (wm.count % WINDOW);
      wmRing[k] = rec.time;
      wmRing[k + 1] = w.surprise;
      wmRing[k + 2] = w.cost;
      wmRing[k + 3] = w.vetoed ? 1 : 0;
      wm.count++;
    }
    const obs = rec.observation;
    for (let i = 0; i < n; i++) {
      joints[4 * i] = obs.jointPosition[i];
      joints[4 * i + 1] = rec.sent.target[i];
      joints[4 * i + 2] = obs.jointEffort[i];
      joints[4 * i + 3] = obs.jointVelocity[i];
    }
    if (obs.contacts) for (let i = 0; i < contacts.length; i++) contacts[i] = obs.contacts[i];
    const k = ticks % WINDOW;
    lateRing[k] = rec.lateness < 0 ? -rec.lateness : rec.lateness;
    wallRing[k] = steadyNow();
    ticks++;
    seq = rec.seq;
    time = rec.time;
    lastObs = obs;
  };
  const recSub = loop.records$.subscribe(onRecord);
  // Frame requests are answered once everything below the server's start is set up.
  let framesReady = false;
  const pendingEvents: SafetyEvent[] = [];
  const evSub = safety.events$.subscribe((e) => {
    if (pendingEvents.length < 500) pendingEvents.push(e);
  });
  // The events already sent, for a page that connects later (a reload, a second operator, a
  // reconnect): the last RECENT of any kind, and the last STOPS of the state machine's own (a stop,
  // a reset, a change of state), which a run of clamps must not push out. Filled off the tick, by
  // sendStats; numbered in the order they came (docs/viewer.md, "A page that connects late").
  const RECENT = 100;
  const STOPS = 20;
  const recent: { n: number; e: SafetyEvent }[] = [];
  const stops: { n: number; e: SafetyEvent }[] = [];
  let eventsSeen = 0;
  const keep = (events: readonly SafetyEvent[]) => {
    for (const e of events) {
      const item = { n: eventsSeen++, e };
      recent.push(item);
      if (recent.length > RECENT) recent.shift();
      if (e.kind === 'state_change' || e.kind === 'estop' || e.kind === 'safe_stop' || e.kind === 'reset') {
        stops.push(item);
        if (stops.length > STOPS) stops.shift();
      }
    }
  };
  /** What a page that connects now is sent of the events so far, oldest first. */
  const history = (): SafetyEvent[] => {
    const first = recent.length > 0 ? recent[0].n : Infinity;
    return [...stops.filter((x) => x.n < first), ...recent].map((x) => x.e);
  };

  // ---- mesh files: each resolved visual mesh at /mesh/<n>/<name>, nothing else ----------------
  const { model: pageModel, meshUrls } = pageModelOf(robot.model);

  // ---- server ----------------------------------------------------------------------------------
  const engine = o.engine;
  const hello = (c: ViewerClient) =>
    JSON.stringify({
      type: 'hello',
      title: o.title ?? `axon: ${spec.name}${engine ? ` (${engine})` : ''}`,
      robot: spec.name,
      engine: engine ?? null,
      joints: spec.joints.map((j) => ({ name: j.name, type: j.type, lower: j.lower, upper: j.upper, effortLimit: j.effortLimit })),
      links: linkNames,
      model: pageModel,
      kinematics: pageKinematics(robot.model, spec),
      contacts: spec.sensors.contacts,
      rollouts: o.rollouts ? { mode: o.rollouts.mode, jointSlots: o.rollouts.jointSlots, horizon: o.rollouts.trace.horizon, dt: o.rollouts.dt } : null,
      canCommand: c.canCommand,
      // Stopping is always allowed (docs/safety.md): E-STOP and Disarm work on a page without the token.
      canStop: c.canCommand || !o.stopNeedsToken,
      sim: o.control !== undefined,
      frameHz: o.frameHz ?? 30,
      safetyState: safety.state,
      paused: o.control?.paused ?? false,
      recordedSafety: safety.recorded === true,
      velocityCommand: vc ? { inModel: vc.inModel, ranges: vc.source.ranges(), value: Array.from(vc.source.value) } : null,
    });
  const vc = o.velocityCommand;
  // The page that set the velocity command last: when it goes away, or goes silent, the command goes to zero.
  let commandOwner: ViewerClient | undefined;
  const commandTimeoutS = o.liveness?.commandTimeoutS ?? 1;
  const dropOwner = () => {
    commandOwner = undefined;
    vc?.source.zero();
  };
  // The robots' faults, newest per source: Arm is refused while any is set.
  const faults: (readonly string[])[] = (o.health ?? []).map(() => []);
  const armable: boolean[] = (o.health ?? []).map(() => false);
  const armers = (o.health ?? []).map((h) => ('health$' in h && h.arm ? () => h.arm!() : undefined));
  const healthSubs = (o.health ?? []).map((h, i) =>
    ('health$' in h ? h.health$ : h).subscribe((v) => ((faults[i] = v.faults), (armable[i] = v.armable === true))),
  );
  const server = new ViewerServer(
    (c) => {
      c.socket.on('close', () => {
        if (c === commandOwner) dropOwner();
      });
      c.socket.send(hello(c));
      // The events sent before it came (the ones still pending go to every page with the next stats).
      c.socket.send(statsMessage(history()));
      rolloutVersion = -1;
    },
    (c, msg) => command(c, msg),
    o.token,
    {
      ...o.liveness,
      // The velocity command's deadman for a page that goes silent without closing (no FIN: a closed
      // laptop lid, a dropped Wi-Fi): the server's pings get no pong, its heardAt stops moving.
      onBeat: () => {
        if (commandOwner && steadyNow() - commandOwner.heardAt > commandTimeoutS) dropOwner();
      },
    },
    o.limits,
  );
  for (const [file, url] of meshUrls) server.serveFile(url, file);

  const command = (c: ViewerClient, msg: unknown): void => {
    const m = msg as { type?: unknown; cmd?: unknown };
    if (m.type === 'frame') {
      // The page draws at the screen's rate and asks for the next frame when it has drawn this one.
      if (!framesReady) return;
      pulling.add(c);
      answerPull(c);
      return;
    }
    // Through the server's send bound: a client that sends but never reads is closed, not queued for (docs/viewer.md).
    const reply = (ok: boolean, message: string) =>
      void server.sendText(
        c,
        JSON.stringify({ type: 'ack', cmd: m.cmd, ok, message, safetyState: safety.state, paused: o.control?.paused ?? false, ...(m.cmd === 'velocity' && vc ? { velocityCommand: Array.from(vc.source.value) } : {}) }),
      );
    if (m.type !== 'cmd' || typeof m.cmd !== 'string') return reply(false, 'expected {"type":"cmd","cmd":...}');
    // A replay's safety is the recording's: nothing to stop or arm. Refused by name, token or not
    // (it used to reach recordedSafety's throw: "message not handled: ...").
    if (safety.recorded && (m.cmd === 'estop' || m.cmd === 'disarm' || m.cmd === 'arm'))
      return reply(false, `${RECORDED_LABELS[m.cmd]} refused: this is a replay, the safety state and events shown are the recording's; there is no robot to stop or arm`);
    const stopping = m.cmd === 'estop' || m.cmd === 'disarm';
    if (!c.canCommand && !(stopping && !o.stopNeedsToken))
      return reply(false, 'this page has no valid token: open the URL printed by axon (with ?token=...)');
    switch (m.cmd) {
      case 'estop':
        // On the loop's clock (the tick's time), as the loop's own checks: a real robot stamps
        // observations on its own clock, which starts earlier.
        safety.estop('operator e-stop (viewer)', time, seq);
        return reply(true, 'e-stopped');
      case 'disarm':
        safety.estop('operator disarm (viewer)', time, seq);
        return reply(true, 'disarmed (protective stop)');
      case 'arm':
        if (lastObs === undefined) return reply(false, 'no tick yet');
        {
          // Faults the robot's own arm() clears do not refuse it: the page's Arm is that decision.
          const f = faults.flatMap((x, i) => (x.length > 0 && !(armable[i] && armers[i]) ? x : []));
          if (f.length > 0) return reply(false, `not armed: the robot reports a fault (${f.join('; ')}); clear it first`);
          // Every robot's arm(), faulted or not: a bridge client whose own E-STOP / Disarm this page
          // sent latched the served robot's e-stop without a fault refuses it (BridgeRobot.arm).
          const no = armers.map((a) => a?.()).filter((x): x is string => typeof x === 'string');
          if (no.length > 0) return reply(false, `not armed: ${no.join('; ')}`);
        }
        safety.reset('operator arm (viewer)', lastObs, seq, time);
        return reply(true, 'armed from the present pose');
      case 'pause':
      case 'resume':
      case 'step':
        if (!o.control) return reply(false, 'pause/step exist in simulation only');
        // A step of a running sim did nothing and was acked ok (PausableClock.step).
        if (m.cmd === 'step' && !o.control.paused) return reply(false, 'step works while paused: Pause first');
        {
          // A replay at its end: Step has no tick to go to (Playback.refuses); said, not acked ok.
          const no = o.control.refuses?.(m.cmd);
          if (no !== undefined) return reply(false, no);
          const said = o.control[m.cmd]();
          return reply(true, typeof said === 'string' ? said : m.cmd);
        }
      case 'velocity': {
        if (!vc) return reply(false, 'this run has no velocity command');
        const v = (msg as { value?: unknown }).value;
        if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number'))
          return reply(false, 'expected "value": [vx, vy, wz], three numbers (m/s, m/s, rad/s)');
        const r = vc.source.set(v[0], v[1], v[2]);
        if (!r.ok) return reply(false, `velocity command refused: ${r.reason}`);
        commandOwner = c;
        const now = vc.source.value;
        return reply(true, `velocity command ${fmt(now[0])} m/s, ${fmt(now[1])} m/s, ${fmt(now[2])} rad/s${r.clamped ? ' (clamped to the ranges)' : ''}`);
      }
      default:
        return reply(false, `unknown command "${m.cmd.length > 40 ? `${m.cmd.slice(0, 40)}...` : m.cmd}": expected estop, disarm, arm, pause, resume, step or velocity`);
    }
  };

  await server.listen({ port: o.port, host: o.host, ...(o.allowOrigins ? { allowOrigins: o.allowOrigins } : {}) });

  // ---- timers: frames and stats, off the tick --------------------------------------------------
  const links = new Float32Array(7 * nLinks);
  const _pos = new Float64Array(3);
  const _quat = new Float64Array(4);
  const frameBytes = stateFrameBytes(nLinks, n, contacts.length);
  let framesSent = 0;
  const pulling = new WeakSet<ViewerClient>();
  // Pages that asked for a frame before the loop's first tick: the timer answers them once a tick exists.
  const askedEarly = new WeakSet<ViewerClient>();
  const readLinks = () => {
    if (robot.poseFrom && lastObs && nLinks > 0) robot.poseFrom(lastObs);
    for (let l = 0; l < nLinks; l++) {
      robot.linkPose!(linkNames[l], _pos, _quat);
      links.set(_pos, 7 * l);
      links.set(_quat, 7 * l + 3);
    }
  };
  /**
   * One state frame to one client (off the tick); false when none was built. None before the
   * loop's first tick: it would say seq 0 with zero joints, a tick at the zero pose that never
   * happened. A buffer per frame: ws may hold it until it is written.
   */
  const sendFrameTo = (c: ViewerClient, fresh = true): boolean => {
    if (ticks === 0 || c.socket.readyState !== c.socket.OPEN || c.socket.bufferedAmount > 1 << 20) return false;
    if (fresh) readLinks();
    const flags = (o.control?.paused ? FLAG_PAUSED : 0) | (c.canCommand ? FLAG_COMMANDS : 0);
    const buf = new Uint8Array(frameBytes);
    encodeStateFrame(new DataView(buf.buffer), Math.max(0, SAFETY_STATES.indexOf(safety.state)), flags, seq, time, links, nLinks, joints, n, contacts);
    c.socket.send(buf);
    framesSent++;
    return true;
  };
  /**
   * The timer's frames, for clients that do not ask for them (link poses read once for all), and
   * the answers to pages that asked before the first tick.
   */
  const sendFrame = () => {
    if (ticks === 0) return;
    let read = false;
    for (const c of server.clients) {
      if (pulling.has(c)) {
        if (askedEarly.delete(c)) answerPull(c);
        continue;
      }
      if (sendFrameTo(c, !read)) read = true;
    }
  };
  // A page's frame requests are answered at most every MIN_PULL_MS (a fast screen, or a client
  // asking in a loop, cannot make the control process build frames faster): a request that comes
  // sooner is answered when the interval is over.
  const MIN_PULL_MS = 4;
  const pulls = new WeakMap<ViewerClient, { last: number; timer?: NodeJS.Timeout }>();
  const answerPull = (c: ViewerClient) => {
    if (ticks === 0) return void askedEarly.add(c);
    let p = pulls.get(c);
    if (p === undefined) pulls.set(c, (p = { last: -Infinity }));
    if (p.timer) return; // one answer pending already
    const wait = p.last + MIN_PULL_MS - performance.now();
    const send = () => {
      p!.timer = undefined;
      p!.last = performance.now();
      sendFrameTo(c);
    };
    if (wait <= 0) send();
    else p.timer = setTimeout(send, wait);
  };
  let rolloutFramesSent = 0;
  const sendRollouts = () => {
    const r = o.rollouts;
    if (!r || server.clients.size === 0 || r.trace.version === rolloutVersion || r.trace.rows === 0) return;
    const t = r.trace;
    rolloutVersion = t.version;
    // One buffer for every client (ws may hold it until written); off the tick, at rolloutHz.
    const buf = new Uint8Array(rolloutFrameBytes(t.rows, t.steps, t.stateSize));
    encodeRolloutFrame(new DataView(buf.buffer), ROLLOUT_MODES.indexOf(r.mode), t.seq, t.rows, t.steps, t.stateSize, t.chosen, t.scores, t.states, t.capacity);
    server.broadcast(buf);
    rolloutFramesSent++;
  };
  /** The world model's per-tick values from entry `from` on (the ring keeps the last WINDOW). */
  function wmSeries(from: number) {
    const start = Math.max(from, wm.count - WINDOW);
    const s = { time: [] as number[], surprise: [] as (number | null)[], cost: [] as (number | null)[], vetoed: [] as boolean[] };
    const fin = (v: number) => (Number.isFinite(v) ? v : null);
    for (let i = start; i < wm.count; i++) {
      const k = 4 * (i % WINDOW);
      s.time.push(wmRing[k]);
      s.surprise.push(fin(wmRing[k + 1]));
      s.cost.push(fin(wmRing[k + 2]));
      s.vetoed.push(wmRing[k + 3] === 1);
    }
    return s;
  }
  /** `series`: every tick's world-model values since entry `from` (a new page gets what the ring holds). */
  function statsMessage(events: SafetyEvent[], from = 0): string {
    const k = Math.min(ticks, WINDOW);
    let rate = 0;
    if (k >= 2) {
      const newest = wallRing[(ticks - 1) % WINDOW];
      const oldest = wallRing[(ticks - k) % WINDOW];
      // Rate over the recent window; 0 once ticks stop arriving (paused, finished).
      rate = newest > oldest && steadyNow() - newest < 1 ? (k - 1) / (newest - oldest) : 0;
    }
    const pe = percentilesUs(lateRing.subarray(0, k));
    return JSON.stringify({
      type: 'stats',
      ticks,
      seq,
      time,
      rateHz: Math.round(rate * 10) / 10,
      periodErrorP99Us: pe.p99,
      periodErrorMaxUs: pe.max,
      overruns: loop.stats.overruns,
      safetyState: safety.state,
      ...(vc ? { velocityCommand: { value: Array.from(vc.source.value), applied: Array.from(vc.source.applied) } } : {}),
      paused: o.control?.paused ?? false,
      ...(wm.present
        ? { worldModel: { surprise: Number.isFinite(wm.surprise) ? wm.surprise : null, cost: Number.isFinite(wm.cost) ? wm.cost : null, vetoes: wm.vetoes, series: wmSeries(from) } }
        : {}),
      events: events.map((e) => ({ time: e.time, seq: e.seq, kind: e.kind, state: e.state, joint: e.joint, value: e.value, reason: e.reason })),
    });
  }
  const sendStats = () => {
    const events = pendingEvents.splice(0, pendingEvents.length);
    keep(events);
    if (server.clients.size === 0) return;
    server.broadcast(statsMessage(events, wm.sent));
    wm.sent = wm.count;
  };
  const frameTimer = setInterval(sendFrame, 1000 / (o.frameHz ?? 30));
  const statsTimer = setInterval(sendStats, 1000 / (o.statsHz ?? 4));
  const rolloutTimer = o.rollouts ? setInterval(sendRollouts, 1000 / (o.rolloutHz ?? 10)) : undefined;
  frameTimer.unref();
  statsTimer.unref();
  rolloutTimer?.unref();
  framesReady = true;

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    token: server.token,
    port: server.port,
    get clients() {
      return server.clients.size;
    },
    get framesSent() {
      return framesSent;
    },
    get rolloutFramesSent() {
      return rolloutFramesSent;
    },
    get closedOverLimit() {
      return server.closedOverLimit;
    },
    get refusals() {
      const { upgradesRefused, originsRefused, hostsRefused, closedOverLimit } = server;
      return { upgradesRefused, originsRefused, hostsRefused, closedOverLimit };
    },
    close() {
      closing ??= (async () => {
        clearInterval(frameTimer);
        clearInterval(statsTimer);
        clearInterval(rolloutTimer);
        for (const h of healthSubs) h.unsubscribe();
        recSub.unsubscribe();
        evSub.unsubscribe();
        await server.close();
      })();
      return closing;
    },
  };
}

/** A command value for a message: 3 decimals. */
function fmt(x: number): string {
  return (Math.round(x * 1000) / 1000).toString();
}
