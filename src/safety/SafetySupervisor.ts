/**
 * The safety supervisor: every joint command passes through `check()` before it reaches a Robot.
 *
 * A software stop is a PROTECTIVE stop (IEC 60204-1), never the category-0 emergency stop: a
 * category-0 e-stop removes power in hardware and must not depend on software. `estop()` here
 * (state 'e-stopped') only makes the software stop as fast and certain as it can be; the servos'
 * own watchdogs and a hardware e-stop circuit remain the backstop.
 *
 * States, in order of severity: running -> degraded (hold this tick) -> safe-stop -> e-stopped.
 * safe-stop and e-stopped are latched: only `reset()` (an explicit operator action) leaves them.
 * Before the first `arm()` the supervisor is in safe-stop (nothing commanded yet); `arm()` leaves
 * that initial, unarmed safe-stop, but never a safe-stop or e-stop entered on a fault.
 *
 * Bad numbers in the observation (a joint position or velocity, an IMU value that is NaN, ±Inf
 * or |x| > badValue; a joint position beyond its limits by positionMargin or a jump faster than
 * jumpFactor × its velocity limit, on live runs) are treated like a stale observation: a
 * 'bad_observation' event naming the field, a hold, and safe-stop at the
 * badObservationTicksToSafeStop-th consecutive bad tick. Arming on a bad joint position waits
 * (holding, damped) for a good reading before the soft start begins from it. Bad ticks that
 * interleave with clean ones safe-stop too, once badTicksInWindow of the last badTicksWindow
 * ticks were held (BadTickWindow).
 * Commanded gains are clamped to [0, JointSpec.kpMax / kdMax] ('gain_clamp'). A joint observed
 * faster than overspeedFactor × its velocity limit for overspeedTicksToSafeStop consecutive ticks
 * ('overspeed', off unless configured; live runs set 2×) is a runaway: safe-stop.
 *
 * Deadlines: reportDeadlineMiss() (kinds 'policy_deadline', 'world_model_deadline' and
 * 'world_model_error') holds the tick it is reported for and safe-stops at the
 * deadlineMissesToSafeStop-th consecutive miss, its reason naming the kinds (MissStreak). The
 * control loop reports a stage that is late on the loop's clock, hung or failed (ControlLoop).
 * safeStop(reason) is the public protective safe-stop (deadman, operator, watchdog).
 *
 * The hold and the stop bring every driven joint to rest. A joint with a position gain holds its
 * pose with its spec gains. A joint with zero position gain (a cart's slider, velocity- or
 * effort-only joints) gets no spring, so it is damped: kd_stop = max(kd, effortLimit /
 * (stopSaturationFraction × velocityLimit)), capped by kdMax; above stopSaturationFraction (0.1)
 * of its velocity limit the damping is the full effort limit. A load of effective mass (or
 * inertia) m moving at v0 therefore comes to rest (|v| below 1 % of the velocity limit) within
 *     t_stop <= m·v0 / effortLimit  +  4.6 · m / kd_stop
 * (a constant deceleration at the effort limit, then an exponential decay of time constant
 * m / kd_stop). The shipped cartpole (slider 30 N, 10 m/s, cart and pole 1.1 kg) at 3 m/s: under
 * 0.3 s by the bound, 0.17 m of travel measured (tests/src/safety/safeStop.test.ts). In position and
 * velocity modes the damping runs in the actuator's own loop (the robot's PD rate); with an
 * effort-only robot it runs at the loop rate, so the spec's kd is used when it is > 0.
 * Velocity mode with kd 0 on a driven joint (kd is the velocity loop's gain: it commands no
 * effort) is refused before arming (assertCommandable), unless the joint's actuator closes its
 * own velocity loop (JointSpec.ownVelocityLoop: a Dynamixel in velocity mode).
 *
 * This file is the state machine; its parts: JointLimits (the per-joint limits, fixed at
 * construction), ObservationCheck (the last good pose, bad observation values), CommandLimiter
 * (rejection, clamps, soft start, rate limit, gain clamps), HoldCommand (the hold and stop output)
 * and SafetyEvents (events$, counts, tickEvents).
 *
 * Real-time rules: `check()`, `estop()`, `safeStop()` and `reportDeadlineMiss()` never throw and
 * allocate nothing when nothing is wrong (an event allocates its object and reason string). All
 * buffers are sized from the RobotSpec in the constructor (docs/style.md 2).
 */
import type { Observable } from 'rxjs';
import type { JointCommand, Observation, RobotSpec } from '../core/robot.ts';
import { BadTickWindow } from './BadTickWindow.ts';
import { AxonError } from '../core/errors.ts';
import { CommandLimiter } from './CommandLimiter.ts';
import { assertCommandable, velocityUndriven } from './commandable.ts';
import { HoldCommand } from './HoldCommand.ts';
import { JointLimits } from './JointLimits.ts';
import { MissStreak, type MissKind } from './MissStreak.ts';
import { ObservationCheck } from './ObservationCheck.ts';
import { SafetyEvents } from './SafetyEvents.ts';
import { resolveSafetyConfig, type ResolvedSafetyConfig } from './safetyConfig.ts';
import { type SafetyConfig, type SafetyEvent, type SafetyEventKind, type SafetyState, type StopCause } from './types.ts';

export class SafetySupervisor {
  readonly spec: RobotSpec;
  /** Loop tick period (s). */
  readonly period: number;
  /** defaultSafetyConfig with the constructor's overrides, every value decided (resolveSafetyConfig). */
  readonly config: ResolvedSafetyConfig;

  /** Every event, synchronously, as it happens. */
  readonly events$: Observable<SafetyEvent>;
  /** Events by kind since construction. */
  readonly counts: Record<SafetyEventKind, number>;
  /**
   * Events of the last check(): cleared when the next tick starts, so it also holds events raised
   * between two checks (arm, estop, reportDeadlineMiss) together with those of the check after them.
   */
  readonly tickEvents: SafetyEvent[];

  private readonly _events = new SafetyEvents();
  private _state: SafetyState = 'safe-stop';
  private _armed = false;

  /** Per-joint limits and gains, sanitised from the spec (configure time). */
  private readonly _lim: JointLimits;
  /** The last finite observed pose and the bad-number scan of observations. */
  private readonly _observed: ObservationCheck;
  /** Checks and clamps of the command on a clean tick; the last position target sent. */
  private readonly _limiter: CommandLimiter;
  /** The hold (degraded) and stop (safe-stop, e-stopped) output. */
  private readonly _hold: HoldCommand;
  // State.
  private _lastSeq = Number.NaN;
  private _seqSeenAt = 0; // s
  private _badStreak = 0;
  private _staleStreak = 0;
  /** Consecutive deadline misses, by kind (the stop's reason names them). */
  private readonly _misses = new MissStreak();
  private _missPending = false;
  /** holdPending was called for this tick: hold, no miss counted, the soft start not begun. */
  private _waitPending = false;
  private _badObsStreak = 0;
  private _overspeedStreak = 0;
  /** Held ticks among the last badTicksWindow. */
  private readonly _window: BadTickWindow;
  /** The stop being decided comes from the window, not a consecutive count. */
  private _byWindow = false;
  /** Armed on a bad joint position: the soft start begins at the first good one. */
  private _armPending = false;
  private _armCount = 0;
  private _stopCause: StopCause | undefined;

  /**
   * @param spec the robot the commands are for
   * @param period loop tick period (s), > 0: sets the per-tick step limit
   * @param config overrides of defaultSafetyConfig
   * @throws AxonError SAFETY_CONFIG when the period or a config value cannot be used (configure time)
   */
  constructor(spec: RobotSpec, period: number, config: Partial<SafetyConfig> = {}) {
    this.spec = spec;
    this.period = period;
    this.config = resolveSafetyConfig(period, config);
    this.events$ = this._events.events$;
    this.counts = this._events.counts;
    this.tickEvents = this._events.tick;
    const c = this.config;
    const modes = spec.controlModes;
    if (modes.length === 0) {
      throw new AxonError('SAFETY_CONFIG', `robot ${spec.name}`, 'supports no control mode', 'position, velocity or effort');
    }
    this._window = new BadTickWindow(c.badTicksWindow, c.badTicksInWindow);
    this._lim = new JointLimits(spec, period, c);
    this._observed = new ObservationCheck(spec, this._lim, c.badValue, c.overspeedFactor, c.positionMargin, c.jumpFactor, period);
    this._limiter = new CommandLimiter(spec, this._lim, this.config, this._events, this._observed);
    this._hold = new HoldCommand(modes, this._lim, c.badValue, this._observed, this._limiter);
  }

  get state(): SafetyState {
    return this._state;
  }

  /**
   * What latched the present stop (safe-stop or e-stopped), while the state is one; undefined
   * while running or degraded, and in the initial unarmed safe-stop. The first stop since the last
   * arm()/reset() is kept: an operator's e-stop on top of the supervisor's safe-stop does not
   * change what stopped the robot.
   */
  get stopCause(): StopCause | undefined {
    return this._state === 'safe-stop' || this._state === 'e-stopped' ? this._stopCause : undefined;
  }

  /**
   * The stop the supervisor latched by itself (its own checks: stale or bad observation,
   * overspeed, bad commands, deadlines, a world-model stop, the state watchdog), when the robot is
   * held in it now; undefined when running, degraded, or stopped on request (an operator's
   * e-stop or disarm, a signal, a robot fault, a bridge server's deadman: estop() / safeStop()).
   * A run that ends with this set did not do what it was asked (docs/safety.md, "How a run ends").
   */
  get ownStop(): StopCause | undefined {
    const c = this.stopCause;
    return c !== undefined && !c.requested ? c : undefined;
  }

  /** True once arm() (or reset()) has started commanding. */
  get armed(): boolean {
    return this._armed;
  }

  /**
   * Counts arm() and reset() calls that (re)started commanding. A loop compares it between ticks
   * to reset the observation builder, policy and world-model hook after an operator re-arm.
   */
  get armCount(): number {
    return this._armCount;
  }

  /**
   * The damping (N·s/m | N·m·s/rad) the hold and the stop apply to joint i when it has no
   * position gain (see the class comment); 0 for a passive joint.
   */
  stopDamping(i: number): number {
    return this._lim.kdStop[i];
  }

  /**
   * Refuses, before arming, a command the robot would follow by doing nothing: velocity mode on a
   * driven joint whose kd (the velocity loop's gain, the command's or the spec's) is 0 or not a
   * number, unless the joint's actuator closes its own velocity loop (JointSpec.ownVelocityLoop: a
   * servo in velocity mode, to which kd is never sent). Configure time, may allocate; a session
   * calls it before the robot is connected (openSession), the loop again before it arms.
   * It also refuses static gains above the joint's kpMax / kdMax (the spec's defaults, a
   * manifest's pd, --kp / --kd: what the mapper's zero-action command carries), found once here
   * rather than clamped with a gain_clamp event on every tick; gains that change per tick (a
   * bridge client's) are still clamped per tick. docs/safety.md, "Gain bounds".
   * @throws AxonError SAFETY_GAIN_BOUND naming the joint, the gain and its bound
   * @throws AxonError SAFETY_VELOCITY_GAIN naming the joints and what is expected
   */
  assertCommandable(cmd: JointCommand): void {
    assertCommandable(this.spec, this._lim, cmd);
  }

  /** A velocity-mode command with these kd (undefined: the spec's) would leave a driven joint undriven: the reason, else undefined (commandable.ts). */
  velocityUndriven(kd: ArrayLike<number> | undefined): string | undefined {
    return velocityUndriven(this.spec, this._lim, kd);
  }

  /**
   * Start (or restart) commanding from the present pose: soft start begins; state -> running.
   * Refused (returns false, nothing changes) in e-stopped, or in a safe-stop entered on a fault:
   * those need reset().
   * @param now time (s) on the base check() is given (the loop clock); defaults to obs.time
   */
  arm(obs: Observation, seq: number, now: number = obs.time): boolean {
    if (this._state === 'e-stopped' || (this._state === 'safe-stop' && this._armed)) return false;
    this._armFrom(obs, seq, 'armed', now);
    return true;
  }

  /**
   * Checks `proposed` against the limits and the latest observation and writes the command to
   * send into `out` (allocated with createCommand(spec, ...)). Returns the state after the tick.
   * Real-time safe: never throws, allocates only for events.
   * @param now loop tick time (s), on the same base as the `now` given to arm() and reset()
   * @param seq loop tick sequence number (for events)
   */
  check(proposed: JointCommand, obs: Observation, now: number, seq: number, out: JointCommand): SafetyState {
    try {
      this._events.startTick();
      this._updateObs(obs, now);
      if (!this._armed || this._state === 'safe-stop' || this._state === 'e-stopped') {
        this._hold.writeStop(obs, out);
        return this._state;
      }

      // Stale observation: hold, then safe-stop.
      const age = now - this._seqSeenAt;
      if (!(age <= this.config.staleAfterS)) {
        this._missPending = false;
        this._waitPending = false;
        this._staleStreak++;
        const stop = this._heldStops(this._staleStreak, this.config.staleTicksToSafeStop);
        const why = `observation seq ${obs.seq} unchanged for ${age.toFixed(3)} s (limit ${this.config.staleAfterS} s), stale tick ${this._staleStreak}`;
        this._events.emit('stale_observation', now, seq, why, stop ? 'safe-stop' : 'degraded', undefined, age);
        if (stop) {
          this._enterStop('safe-stop', this._stopWhy(`stale observation for ${this._staleStreak} ticks`), now, seq, obs, 'stale_observation');
          this._hold.writeStop(obs, out);
        } else {
          this._transition('degraded', 'stale observation', now, seq);
          this._hold.writeHold(obs, out);
        }
        return this._state;
      }

      // Bad numbers in the observation: a stale-like hold, then safe-stop.
      const observed = this._observed;
      if (observed.hasBad(obs)) {
        this._missPending = false;
        this._waitPending = false;
        this._badObsStreak++;
        const stop = this._heldStops(this._badObsStreak, this.config.badObservationTicksToSafeStop);
        const joint = observed.badField.startsWith('joint') ? this.spec.joints[observed.badIndex].name : undefined;
        const why = `observation ${observed.badField}[${observed.badIndex}]${joint === undefined ? '' : ` (${joint})`} = ${observed.badValue}: ${observed.badReason()}, bad observation tick ${this._badObsStreak}`;
        this._events.emit('bad_observation', now, seq, why, stop ? 'safe-stop' : 'degraded', joint, observed.badValue);
        if (stop) {
          this._enterStop('safe-stop', this._stopWhy(`bad observation for ${this._badObsStreak} ticks (${observed.badField})`), now, seq, obs, 'bad_observation');
          this._hold.writeStop(obs, out);
        } else {
          this._transition('degraded', `bad observation (${observed.badField})`, now, seq);
          this._hold.writeHold(obs, out);
        }
        return this._state;
      }
      this._badObsStreak = 0;
      if (this._armPending) {
        // Armed on a bad position: the soft start begins now, from this first good reading.
        this._armPending = false;
        this._limiter.arm(now);
      }

      // A joint over speed (a runaway): safe-stop once it lasts overspeedTicksToSafeStop ticks.
      const fast = observed.overspeed(obs);
      if (fast < 0) this._overspeedStreak = 0;
      else if (++this._overspeedStreak >= this.config.overspeedTicksToSafeStop) {
        const j = this.spec.joints[fast];
        const why = `${j.name} at ${observed.badValue.toFixed(3)} (limit ${j.velocityLimit}, stop above ${this.config.overspeedFactor}x) for ${this._overspeedStreak} ticks`;
        this._events.emit('overspeed', now, seq, why, 'safe-stop', j.name, observed.badValue);
        this._enterStop('safe-stop', `joint over speed (${j.name})`, now, seq, obs, 'overspeed');
        this._hold.writeStop(obs, out);
        return this._state;
      }

      // Late policy / world model this tick: hold (already degraded by reportDeadlineMiss).
      if (this._missPending) {
        this._missPending = false;
        this._window.push(true);
        this._hold.writeHold(obs, out);
        return this._state;
      }
      // Waiting for a stage's first answer (holdPending): a hold that is no bad tick (the window
      // counts nothing), and the soft start begins with the first answer, from where the robot is.
      if (this._waitPending) {
        this._waitPending = false;
        this._limiter.arm(now);
        this._hold.writeHold(obs, out);
        return this._state;
      }
      this._misses.clear();

      // Bad numbers reject the whole vector.
      if (this._limiter.rejects(proposed, this._rejectState(), now, seq)) {
        this._badStreak++;
        if (this._heldStops(this._badStreak, this.config.nonFiniteTicksToSafeStop)) {
          this._enterStop('safe-stop', this._stopWhy(`bad command for ${this._badStreak} consecutive ticks`), now, seq, obs, 'non_finite');
          this._hold.writeStop(obs, out);
        } else {
          this._transition('degraded', 'bad command rejected', now, seq);
          this._hold.writeHold(obs, out);
        }
        return this._state;
      }
      this._badStreak = 0;
      this._window.push(false);

      if (this._state === 'degraded') this._transition('running', 'clean tick', now, seq);
      this._limiter.limit(proposed, this._state, now, seq, out);
      this._limiter.finiteNet(out);
      return this._state;
    } catch {
      // Nothing above should throw; if something does (a malformed argument), stop protectively.
      try {
        if (this._state !== 'e-stopped') this._enterStop('safe-stop', 'internal error in check()', now, seq, undefined, 'internal_error');
        this._hold.writeStop(obs, out);
        this._limiter.finiteNet(out);
      } catch {
        // Nothing more can be done without a usable `out`.
      }
      return this._state;
    } finally {
      this._events.endTick();
    }
  }

  /** Operator / watchdog protective stop: latched state e-stopped until reset(). */
  estop(reason: string, now: number, seq: number): void {
    this._events.emit('estop', now, seq, reason, 'e-stopped');
    if (this._state !== 'e-stopped') this._enterStop('e-stopped', reason, now, seq, undefined, 'estop');
  }

  /**
   * Protective safe-stop on request (a bridge deadman, an operator's disarm, a watchdog): a
   * 'safe_stop' event and the latched state safe-stop until reset(); the next check() commands
   * the stop (hold the pose at the stop, damp joints without a position gain). e-stopped stays
   * e-stopped; before arming nothing changes but the event. Never throws.
   */
  safeStop(reason: string, now: number, seq: number): void {
    const keep = !this._armed || this._state === 'e-stopped' || this._state === 'safe-stop';
    this._events.emit('safe_stop', now, seq, reason, keep ? this._state : 'safe-stop');
    if (!keep) this._enterStop('safe-stop', reason, now, seq, undefined, 'safe_stop');
  }

  /**
   * A late, hung or failed policy / world model: the next check() holds and the state is
   * degraded; after config.deadlineMissesToSafeStop consecutive misses (no timely check()
   * between), safe-stop. Call it before that tick's check().
   * @param kind 'policy_deadline' (default), 'world_model_deadline' or 'world_model_error' (the hook threw)
   */
  reportDeadlineMiss(reason: string, now: number, seq: number, kind: MissKind = 'policy_deadline'): void {
    if (!this._armed || this._state === 'safe-stop' || this._state === 'e-stopped') {
      this._events.emit(kind, now, seq, reason, this._state);
      return;
    }
    this._misses.add(kind);
    this._missPending = true;
    this._byWindow = !(this._misses.n >= this.config.deadlineMissesToSafeStop) && this._window.wouldStop(); // the held tick is counted in check()
    const stop = this._misses.n >= this.config.deadlineMissesToSafeStop || this._byWindow;
    this._events.emit(kind, now, seq, `${reason} (miss ${this._misses.n})`, stop ? 'safe-stop' : 'degraded');
    if (stop) this._enterStop('safe-stop', this._stopWhy(this._misses.why(reason)), now, seq, undefined, kind);
    else this._transition('degraded', `deadline miss: ${reason}`, now, seq);
  }

  /**
   * A stage with no answer yet that is still within its own bound (an asynchronous policy before
   * its first action: PolicyStatus.pending): the next check() holds (degraded, the hold pose),
   * no deadline miss counted; the stage's bound (the stall) turns the wait into deadline misses.
   * Call it before that tick's check(). Never throws; allocates only for the state change.
   */
  holdPending(reason: string, now: number, seq: number): void {
    if (!this._armed || this._state === 'safe-stop' || this._state === 'e-stopped') return;
    this._waitPending = true;
    this._transition('degraded', reason, now, seq);
  }

  /**
   * A world-model hook's report (WorldModelEventSink): a shield veto or a surprise. 'info' records
   * the event in the present state; 'degrade' moves running -> degraded (the hook itself slows the
   * commands; the next clean check() returns to running); 'stop' latches safe-stop. Call it before
   * that tick's check(). Never throws.
   */
  reportWorldModel(kind: 'shield_veto' | 'surprise', level: 'info' | 'degrade' | 'stop', reason: string, now: number, seq: number, value?: number): void {
    const stopped = !this._armed || this._state === 'safe-stop' || this._state === 'e-stopped';
    const to: SafetyState = stopped || level === 'info' ? this._state : level === 'stop' ? 'safe-stop' : 'degraded';
    this._events.emit(kind, now, seq, reason, to, undefined, value);
    if (stopped || level === 'info') return;
    if (level === 'stop') this._enterStop('safe-stop', `world model: ${reason}`, now, seq, undefined, kind);
    else this._transition('degraded', `world model: ${reason}`, now, seq);
  }

  /**
   * The state watchdog saw the robot leave a sane envelope (a blown-up simulation): an event and
   * a latched safe-stop, whatever the state. Never throws.
   */
  reportStateWatchdog(reason: string, now: number, seq: number): void {
    const stopped = this._state === 'safe-stop' || this._state === 'e-stopped';
    this._events.emit('state_watchdog', now, seq, reason, stopped ? this._state : 'safe-stop');
    if (!stopped) this._enterStop('safe-stop', `state watchdog: ${reason}`, now, seq, undefined, 'state_watchdog');
  }

  /** Explicit operator action: leaves safe-stop or e-stopped and re-arms from the present pose. */
  reset(reason: string, obs: Observation, seq: number, now: number = obs.time): void {
    this._events.emit('reset', now, seq, reason, 'running');
    this._armFrom(obs, seq, `reset: ${reason}`, now);
  }

  // ---- internals ----

  private _transition(to: SafetyState, why: string, time: number, seq: number): void {
    if (to === this._state) return;
    const from = this._state;
    this._state = to;
    this._events.emit('state_change', time, seq, `${from} -> ${to}: ${why}`, to);
  }

  /**
   * Latches safe-stop / e-stopped, capturing the pose to hold unless already stopped. `cause`: the
   * event kind that asked for it, kept (with `why`) as stopCause unless a stop was already latched;
   * 'estop' and 'safe_stop' are requests from outside (estop(), safeStop()).
   */
  private _enterStop(to: 'safe-stop' | 'e-stopped', why: string, time: number, seq: number, obs: Observation | undefined, cause: StopCause['kind']): void {
    const wasStopped = this._state === 'safe-stop' || this._state === 'e-stopped';
    if (!wasStopped || this._stopCause === undefined) this._stopCause = { kind: cause, reason: why, time, seq, requested: cause === 'estop' || cause === 'safe_stop' };
    if (!wasStopped || !this._hold.stopPoseValid) {
      if (obs !== undefined) this._observed.update(obs);
      this._hold.captureStopPose();
    }
    this._missPending = false;
    this._waitPending = false;
    this._transition(to, why, time, seq);
  }

  private _armFrom(obs: Observation, seq: number, why: string, now: number): void {
    const observed = this._observed;
    observed.update(obs, false);
    // A bad joint position (NaN, beyond the margin) is no pose to soft-start from (nor the last
    // good one, or the spec's default): hold, damped where no reading was good, until one is.
    this._armPending = !observed.positionsGood(obs);
    if (this._armPending && observed.hasBad(obs)) why += `; soft start waits for a good reading of jointPosition[${observed.badIndex}] (${this.spec.joints[observed.badIndex].name} = ${observed.badValue})`;
    this._limiter.arm(now);
    this._armed = true;
    this._hold.stopPoseValid = false;
    this._lastSeq = obs.seq;
    this._seqSeenAt = now;
    this._badStreak = 0;
    this._staleStreak = 0;
    this._misses.clear();
    this._missPending = false;
    this._waitPending = false;
    this._badObsStreak = 0;
    this._overspeedStreak = 0;
    this._window.clear();
    this._stopCause = undefined;
    this._armCount++;
    this._transition('running', why, now, seq);
  }

  private _updateObs(obs: Observation, now: number): void {
    this._observed.update(obs);
    if (obs.seq !== this._lastSeq) {
      this._lastSeq = obs.seq;
      this._seqSeenAt = now;
      this._staleStreak = 0;
    }
  }

  /** The state a rejected command leads to (its 'non_finite' event says so). */
  private _rejectState(): SafetyState {
    return this._badStreak + 1 >= this.config.nonFiniteTicksToSafeStop || this._window.wouldStop() ? 'safe-stop' : 'degraded';
  }

  /**
   * A held tick of a stop path, its `streak`-th in a row: counted in the window; true when it
   * safe-stops (the path's n-th consecutive tick, or the window's badTicksInWindow-th bad tick).
   */
  private _heldStops(streak: number, n: number): boolean {
    this._byWindow = !(streak >= n) && this._window.wouldStop();
    this._window.push(true);
    return streak >= n || this._byWindow;
  }

  /** A stop's reason: the consecutive count's, or the window's when that decided it. */
  private _stopWhy(consecutive: string): string {
    return this._byWindow ? `${this._window.stopAt} of the last ${this._window.size} ticks held (this one: ${consecutive})` : consecutive;
  }
}
