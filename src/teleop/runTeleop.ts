/**
 * Leader-follower teleoperation: a leader arm (torque off, moved by an operator) is read every
 * tick and its joint positions become the follower's position targets, through the same loop and
 * safety supervisor as a policy's actions (limits, rate limit, soft start, e-stop). This is how
 * demonstrations are collected; the loop's records are what `--record` writes.
 *
 * The leader stands in for the policy (LeaderPolicy): on each tick it starts the leader's next bus
 * read and returns the latest leader pose in the follower's joint order (joints matched by name).
 * A leader whose reads stop (stale, faulted) is a policy that missed its slot: each such tick is a
 * `policy_deadline` miss whose reason names the leader and the joints it last failed to read, so
 * the follower holds, then safe-stops at the 3rd, as for a late policy (its targets are NaN too,
 * never sent). A leader reading that no arm gives (a jump faster than jumpFactor × its velocity
 * limit, a non-finite value: the checks the supervisor makes on the follower's observations, after
 * a position past the leader's range is taken as its end, LeaderReadingCheck) is held the same way: a
 * `policy_deadline` miss naming the leader, the joint and the rule, the follower keeps its last
 * target, and the 3rd bad tick in a row safe-stops; the bad readings are counted (leaderBad). A
 * leader or follower fault (health$.faults) ends the run with the stop `axon run` makes
 * (src/session/faultStop.ts).
 */
import type { Observable, Subscription } from 'rxjs';
import type { JointCommand, Robot } from '../core/robot.ts';
import { UsageError } from '../core/errors.ts';
import type { WallClock } from '../clock/WallClock.ts';
import { liveWallClock } from '../session/runLive.ts';
import { liveSafetyConfig } from '../safety/types.ts';
import { resolveSafetyConfig, type ResolvedSafetyConfig } from '../safety/safetyConfig.ts';
import { LeaderReadingCheck } from './LeaderReadingCheck.ts';
import type { ControlLoop, LoopResult } from '../loop/ControlLoop.ts';
import { validateManifest, type ModelManifest } from '../model/manifest.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import type { SafetyConfig } from '../safety/types.ts';
import type { Policy } from '../policy/Policy.ts';
import { stopOnRobotFault } from '../session/faultStop.ts';
import { liveEndedBy, type LiveEndedBy } from '../session/liveEndedBy.ts';
import { onStopSignals } from '../session/stopSignals.ts';
import { forwardEstop, type EstopForward } from '../session/forwardEstop.ts';
import { manifestOnlyFolder, openSession, type Session } from '../session/Session.ts';

export class LeaderPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly _out: Float64Array;
  private readonly _out32: Float32Array;
  private readonly _map: Int32Array; // follower joint i <- leader joint _map[i]
  private readonly _hold: JointCommand;
  private _stale = false;
  /** Why the leader cannot be followed (built when its health or events change, not on the tick). */
  private _why = '';
  private _lastFailed = '';
  private _connected = true;
  private _faults: readonly string[] = [];
  private _report: ((reason: string) => void) | undefined;
  private readonly _subs: Subscription[] = [];
  private readonly _check: LeaderReadingCheck | undefined;
  private readonly _bad: LeaderBadReadings;
  private readonly _badByJoint: Record<string, number>;

  /**
   * @param checks the follower supervisor's resolved config and the tick period: the leader's
   *   readings are held to the same impossible-reading checks (absent: not checked)
   */
  constructor(
    readonly manifest: ModelManifest,
    private readonly leader: Robot,
    followerJoints: readonly string[],
    checks?: { readonly config: ResolvedSafetyConfig; readonly period: number },
  ) {
    const names = leader.spec.joints.map((j) => j.name);
    const missing = followerJoints.filter((n) => !names.includes(n));
    if (missing.length > 0) throw new UsageError('--leader', `the leader has no joint ${missing.join(', ')}`, `the follower's joints: ${followerJoints.join(', ')}`);
    this._map = Int32Array.from(followerJoints, (n) => names.indexOf(n));
    this.inputSize = 0;
    this.outputSize = followerJoints.length;
    this._out = new Float64Array(this.outputSize);
    this._out32 = new Float32Array(this.outputSize);
    this._hold = { mode: 'position', target: new Float64Array(names.length) };
    this._check = checks ? new LeaderReadingCheck(leader.spec, this._map, checks.config, checks.period) : undefined;
    this._badByJoint = {};
    this._bad = { ticks: 0, byJoint: this._badByJoint, first: undefined, last: undefined };
    // A servo robot says which servos its reads missed (`read_failed`, hardware/robots/BusReadHealth.ts).
    const events = (leader as { events$?: Observable<{ readonly kind: string; readonly reason: string }> }).events$;
    if (events)
      this._subs.push(
        events.subscribe((e) => {
          if (e.kind !== 'read_failed') return;
          this._lastFailed = e.reason.replace(/; further failures of this streak are counted$/, ''); // said once, not per held tick
          this._describe();
        }),
      );
    this._subs.push(
      leader.health$.subscribe((h) => {
        this._stale = h.stale || h.faults.length > 0 || !h.connected;
        this._connected = h.connected;
        this._faults = h.faults;
        this._describe();
      }),
    );
  }

  /**
   * `report(reason)` is called on every tick the leader cannot be followed (runTeleop: the
   * supervisor's reportDeadlineMiss), its reason naming the leader's missing joints.
   */
  onStale(report: (reason: string) => void): void {
    this._report = report;
  }

  private _describe(): void {
    const who = `leader ${this.leader.spec.name}`;
    this._why =
      this._faults.length > 0
        ? `${who} faulted: ${this._faults.join('; ')}`
        : !this._connected
          ? `${who} disconnected`
          : `${who} went silent (stale: no complete read)${this._lastFailed ? `: ${this._lastFailed}` : ''}`;
  }

  reset(): void {}

  act(): Float32Array {
    this.leader.command(this._hold); // a read-only leader: this only starts its next bus read
    const o = this.leader.observe();
    const p = o.jointPosition;
    if (this._stale) {
      this._out32.fill(Number.NaN);
      this._report?.(this._why);
    } else if (this._check === undefined) {
      for (let i = 0; i < this._map.length; i++) this._out32[i] = p[this._map[i]];
    } else if (!this._check.check(p, o.time, this._out32)) {
      // An impossible leader reading: nothing of it reaches the follower (held at its last target).
      this._out32.fill(Number.NaN);
      const why = `leader ${this.leader.spec.name} gave an impossible reading: ${this._check.reason()}`;
      const b = this._bad;
      b.ticks++;
      const j = this._check.badJoint;
      this._badByJoint[j] = (this._badByJoint[j] ?? 0) + 1;
      b.first ??= why;
      b.last = why;
      this._report?.(why);
    }
    return this._out32;
  }

  /** The leader pose last returned (follower order): NaN on a tick the leader was not followed. */
  get last(): Float32Array {
    return this._out32;
  }

  /** The leader readings refused as impossible (LeaderReadingCheck), one per tick. */
  get bad(): LeaderBadReadings {
    return this._bad;
  }

  /** The followed leader joints read past the leader's range and followed at its end, with their tick counts (allocates). */
  pastRange(): Record<string, number> {
    return this._check?.pastRange() ?? {};
  }

  async close(): Promise<void> {
    for (const sub of this._subs) sub.unsubscribe();
    void this._out;
  }
}

/** Ticks on which the leader's reading was impossible and the follower held (LeaderPolicy.bad). */
export interface LeaderBadReadings {
  ticks: number;
  /** Ticks per leader joint (the first bad joint of each tick). */
  readonly byJoint: Record<string, number>;
  /** The first and the last tick's reason: the joint, its value and the rule it broke. */
  first: string | undefined;
  last: string | undefined;
}

export interface TeleopOptions {
  /** Loop rate (Hz), 50..200 is typical. */
  readonly hz: number;
  /**
   * How long the run lasts (s) on the loop's wall clock, as `axon run`'s --duration
   * (src/session/runLive.ts): a loop that overruns (a slow bus) runs fewer ticks, never longer.
   */
  readonly durationS: number;
  readonly safety?: Partial<SafetyConfig>;
  /** Called with the loop before it runs (viewer, recorder, an e-stop drill). */
  readonly onLoop?: (loop: ControlLoop, safety: SafetySupervisor, clock: WallClock) => void;
  /** Largest lag searched when estimating the follower's lag (s, default 0.5). */
  readonly maxLagS?: number;
  /** Stop on the stop signals, SIGINT, SIGTERM, SIGHUP, SIGQUIT (default true; src/session/stopSignals.ts). */
  readonly handleSignals?: boolean;
}

export interface TeleopTracking {
  /** Lag of the follower behind the leader that best explains the follower's motion (s). */
  readonly lagS: number;
  /** |follower − leader| at that lag, over all joints and ticks after the soft start (rad). */
  readonly errorRad: { readonly p50: number; readonly p95: number; readonly max: number };
  /** The same without compensating the lag (what an operator sees at the instant). */
  readonly instantErrorRad: { readonly p50: number; readonly p95: number; readonly max: number };
  readonly ticks: number;
}

export interface TeleopResult {
  readonly loop: LoopResult;
  readonly safety: SafetySupervisor;
  /** As a live run's (src/session/liveEndedBy.ts): 'safe_stop' when it ends held in the supervisor's own stop. */
  readonly endedBy: LiveEndedBy;
  readonly tracking: TeleopTracking;
  /** Per tick, follower order: the leader pose and the follower's measured pose (rad). */
  readonly leaderPath: Float32Array;
  readonly followerPath: Float32Array;
  /** The leader readings that were impossible (a hold each; the 3rd in a row safe-stops). */
  readonly leaderBad: LeaderBadReadings;
  /** Per leader joint (follower's name), the ticks it read past the leader's calibrated range and was followed at the range's end. */
  readonly leaderPastRange: Record<string, number>;
}

/** The manifest the observation builder and action mapper run on: absolute joint positions of the follower. */
export function teleopManifest(robotName: string, joints: readonly string[], hz: number): ModelManifest {
  return validateManifest({
    schema: 'axon.model/1',
    name: 'teleop-leader',
    kind: 'policy',
    robot: robotName,
    joints: [...joints],
    control_hz: hz,
    onnx: { file: 'none.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { type: 'joint_position_abs' },
  });
}

/** Connects both arms, runs the loop for `durationS` on wall clock, closes both (each in its own safe state). */
export async function runTeleop(leader: Robot, follower: Robot, o: TeleopOptions): Promise<TeleopResult> {
  const period = 1 / o.hz;
  const joints = follower.spec.joints.map((j) => j.name);
  const m = teleopManifest(follower.spec.name, joints, o.hz);
  const n = joints.length;
  const maxTicks = Math.round(o.durationS * o.hz);
  const leaderPath = new Float32Array(maxTicks * n);
  const followerPath = new Float32Array(maxTicks * n);
  // Both arms' bus cycles run off the tick: the loop's thread sleeps once both were read back.
  const clock = liveWallClock(period, [leader, follower]);
  let loop: ControlLoop | undefined;
  let safety: SafetySupervisor | undefined;
  let faulted = false, signalled = false; // what liveEndedBy reads at the end
  let closed = false;
  let lastSeq = 0; // the newest tick's seq, for the stops made off the tick
  const subs: Subscription[] = [];
  const fwds: EstopForward[] = [];
  // A signal before the loop exists (the arms connecting: the follower's torque goes on there) is acted on once it does.
  const stopOnSignal = () => {
    safety?.estop('operator interrupt (signal)', clock.now(), lastSeq);
    loop?.stop();
  };
  // Listened for until both arms are closed: later signals are absorbed, a hung close meets the hard exit.
  const guard = (o.handleSignals ?? true)
    ? onStopSignals(() => {
        signalled = true;
        stopOnSignal();
      }, { what: `teleop of ${follower.spec.name}` })
    : undefined;
  let policy: LeaderPolicy | undefined;
  let session: Session | undefined;
  try {
    // The session builder makes the loop, as for every run; the session owns the follower.
    session = await openSession(follower, { holdFolder: manifestOnlyFolder(m, `teleop of ${follower.spec.name}`) });
    await leader.connect();
    await follower.connect();
    // One clock for the run: both arms stamp reads and events on the loop's clock (as runLive does).
    leader.useClock?.(() => clock.now());
    follower.useClock?.(() => clock.now());
    // The follower is as real a robot as `axon run`'s: the same soft start and runaway (overspeed) stop (docs/safety.md).
    const safetyConfig = { ...liveSafetyConfig, ...o.safety };
    // The leader's readings are held to the follower supervisor's impossible-reading checks, its values resolved as the supervisor resolves them.
    policy = new LeaderPolicy(m, leader, joints, { config: resolveSafetyConfig(period, safetyConfig), period });
    const parts = session.loop({ clock, maxTicks, durationS: o.durationS, policy, stopOnTerminate: false, safety: safetyConfig });
    loop = parts.loop;
    const s = (safety = parts.safety);
    // A leader tick that cannot be followed is a missed policy slot, named (while the follower still follows: no event per held tick after the stop).
    const lp = loop;
    policy.onStale((why) => {
      if (s.state === 'running' || s.state === 'degraded') s.reportDeadlineMiss(why, clock.now(), lp.stats.ticks, 'policy_deadline');
    });
    let faultStop = false; // an arm's own fault e-stops before arming: it reports that stop itself
    for (const robot of [follower, leader]) {
      const f = forwardEstop(s, robot, () => faultStop);
      if (f) fwds.push(f);
    }
    let k = 0;
    const p = policy;
    subs.push(
      loop.records$.subscribe((r) => {
        lastSeq = r.seq;
        if (k >= maxTicks) return;
        leaderPath.set(p.last, k * n);
        followerPath.set(r.observation.jointPosition.subarray(0, n), k * n);
        k++;
      }),
    );
    // A leader or follower fault ends the run, stopped as `axon run` stops on a robot fault:
    // e-stopped before arming, a protective safe-stop with the fault as reason once armed.
    const l = loop;
    for (const robot of [leader, follower])
      subs.push(
        robot.health$.subscribe((h) => {
          if (h.faults.length === 0) return;
          faulted = true;
          faultStop = true;
          stopOnRobotFault(s, `${robot === leader ? 'leader' : 'follower'} fault: ${h.faults.join('; ')}`, clock.now(), lastSeq);
          faultStop = false;
          l.stop();
        }),
      );
    o.onLoop?.(loop, s, clock);
    if (signalled) stopOnSignal(); // it came while the arms connected: e-stopped, the loop never arms
    const result = await loop.run();
    // Both arms closed before the end is judged: a safe stop the follower could not confirm at close
    // is a fault on its health (docs/hardware.md "Faults"), and the run ends 'fault' for it.
    // How it ended is what it was when the loop returned: a signal or a stop during the close does
    // not rewrite a completed run; only a fault the close reports (an unconfirmed safe stop) counts.
    const ended = { signalled, ownStop: s.ownStop };
    closed = true;
    await closeArms(policy, session, follower, leader, fwds);
    const endedBy = liveEndedBy({ faulted, ...ended });
    const ticks = Math.min(k, maxTicks);
    return { loop: result, safety: s, endedBy, tracking: tracking(leaderPath, followerPath, n, ticks, o.hz, o.maxLagS ?? 0.5, (o.safety?.softStartS ?? 1) + 0.2), leaderPath: leaderPath.subarray(0, ticks * n), followerPath: followerPath.subarray(0, ticks * n), leaderBad: policy.bad, leaderPastRange: policy.pastRange() };
  } finally {
    for (const sub of subs) sub.unsubscribe();
    try {
      if (!closed) {
        closed = true;
        await closeArms(policy, session, follower, leader, fwds);
      }
    } finally {
      guard?.dispose();
    }
  }
}

/** The follower first (its safe stop), then the leader, then the leader's policy; an e-stop the last tick raised goes out before. */
async function closeArms(policy: LeaderPolicy | undefined, session: Session | undefined, follower: Robot, leader: Robot, fwds: EstopForward[]): Promise<void> {
  for (const f of fwds) {
    f.flush(); // an e-stop the last tick raised: out before the arms' close
    f.unsubscribe();
  }
  await (session ? session.close() : follower.close()).catch(() => {});
  await leader.close().catch(() => {});
  await policy?.close();
}

function pct(a: number[], f: number): number {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(f * s.length))];
}

/** Lag (whole ticks) minimising the mean |follower(t) − leader(t − lag)|, and the errors at it. */
export function tracking(leader: Float32Array, follower: Float32Array, n: number, ticks: number, hz: number, maxLagS: number, skipS: number): TeleopTracking {
  const from = Math.min(ticks, Math.ceil(skipS * hz));
  const errs = (lag: number) => {
    const e: number[] = [];
    for (let t = Math.max(from, lag); t < ticks; t++) for (let i = 0; i < n; i++) {
      const d = Math.abs(follower[t * n + i] - leader[(t - lag) * n + i]);
      if (Number.isFinite(d)) e.push(d);
    }
    return e;
  };
  let best = 0, bestMean = Infinity;
  for (let lag = 0; lag <= Math.round(maxLagS * hz); lag++) {
    const e = errs(lag);
    const mean = e.reduce((a, b) => a + b, 0) / Math.max(1, e.length);
    if (e.length > 0 && mean < bestMean) {
      bestMean = mean;
      best = lag;
    }
  }
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  const at = errs(best), now = errs(0);
  return { lagS: r(best / hz), errorRad: { p50: r(pct(at, 0.5)), p95: r(pct(at, 0.95)), max: r(pct(at, 1)) }, instantErrorRad: { p50: r(pct(now, 0.5)), p95: r(pct(now, 0.95)), max: r(pct(now, 1)) }, ticks };
}
