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
 * or |x| > badValue) are treated like a stale observation: a 'bad_observation' event naming the
 * field, a hold, and safe-stop at the badObservationTicksToSafeStop-th consecutive bad tick.
 * Commanded gains are clamped to [0, JointSpec.kpMax / kdMax] ('gain_clamp').
 *
 * Deadlines: reportDeadlineMiss() (kinds 'policy_deadline' and 'world_model_deadline') holds the
 * tick it is reported for and safe-stops at the deadlineMissesToSafeStop-th consecutive miss. The
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
 * effort) is refused before arming (assertCommandable).
 *
 * Real-time rules: `check()`, `estop()`, `safeStop()` and `reportDeadlineMiss()` never throw and
 * allocate nothing when nothing is wrong (an event allocates its object and reason string). All
 * buffers are sized from the RobotSpec in the constructor (docs/style.md 2).
 */
import { Subject, type Observable } from 'rxjs';
import { AxonError } from '../core/errors.ts';
import type { ControlMode, JointCommand, Observation, RobotSpec } from '../core/robot.ts';
import {
  defaultSafetyConfig,
  type SafetyConfig,
  type SafetyEvent,
  type SafetyEventKind,
  type SafetyState,
} from './types.ts';

const _kinds: readonly SafetyEventKind[] = [
  'position_clamp',
  'velocity_clamp',
  'effort_clamp',
  'rate_limit',
  'soft_start',
  'non_finite',
  'stale_observation',
  'bad_observation',
  'policy_deadline',
  'world_model_deadline',
  'gain_clamp',
  'safe_stop',
  'estop',
  'reset',
  'state_change',
  'shield_veto',
  'surprise',
  'state_watchdog',
];

/** Relative error of a number rounded to float32 (2⁻²⁴), doubled: a target this close beyond a position limit is the limit itself. */
const F32_ROUNDING = 2 ** -23;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A JointSpec's kpMax / kdMax: absent = +Infinity; otherwise a number >= 0 (configure time). */
function gainMax(x: number | undefined, where: string): number {
  if (x === undefined) return Infinity;
  if (!(x >= 0)) throw new AxonError('SAFETY_CONFIG', where, `cannot use ${x}`, 'a gain maximum >= 0 (N·m/rad, N/m; N·m·s/rad, N·s/m)');
  return x;
}

/** A finite, non-negative number or `fallback` (spec sanitising, configure time). */
function nonNeg(x: number, fallback: number): number {
  return x >= 0 && !Number.isNaN(x) ? x : fallback;
}

export class SafetySupervisor {
  readonly spec: RobotSpec;
  /** Loop tick period (s). */
  readonly period: number;
  readonly config: SafetyConfig;

  /** Every event, synchronously, as it happens. */
  readonly events$: Observable<SafetyEvent>;
  /** Events by kind since construction. */
  readonly counts: Record<SafetyEventKind, number>;
  /**
   * Events of the last check(): cleared when the next tick starts, so it also holds events raised
   * between two checks (arm, estop, reportDeadlineMiss) together with those of the check after them.
   */
  readonly tickEvents: SafetyEvent[] = [];

  private readonly _events = new Subject<SafetyEvent>();
  private _state: SafetyState = 'safe-stop';
  private _armed = false;
  private _clearTickEvents = false;

  private readonly _n: number;
  /** Mode used for hold / safe-stop output: position if supported, else effort, else velocity. */
  private readonly _holdMode: ControlMode;
  // Per joint, sanitised from the spec (configure time).
  private readonly _lo: Float64Array;
  private readonly _hi: Float64Array;
  private readonly _vLim: Float64Array; // rad/s | m/s
  private readonly _eLim: Float64Array; // N·m | N
  private readonly _kp: Float64Array;
  private readonly _kd: Float64Array;
  private readonly _kpMax: Float64Array; // N·m/rad | N/m, +Infinity when the spec sets none
  private readonly _kdMax: Float64Array; // N·m·s/rad | N·s/m
  /** Damping of the hold / stop for joints without a position gain (see the class comment). */
  private readonly _kdStop: Float64Array;
  private readonly _maxStep: Float64Array; // rad | m per tick
  // State.
  private readonly _lastObsPos: Float64Array; // last finite observed position per joint
  private _haveObs = false;
  private readonly _prevTarget: Float64Array; // last position target sent
  private _havePrev = false;
  private readonly _armPose: Float64Array;
  private _armTime = 0; // s, loop time at arm
  private _softStartAnnounced = false;
  private readonly _stopPose: Float64Array;
  private _stopPoseValid = false;
  private _lastSeq = Number.NaN;
  private _seqSeenAt = 0; // s
  private _badStreak = 0;
  private _staleStreak = 0;
  private _missStreak = 0;
  private _missPending = false;
  private _badObsStreak = 0;
  private _armCount = 0;
  // The field of the last bad observation value found (_badObs), read only when it returned true.
  private _badField = '';
  private _badIndex = 0;
  private _badValue = 0;

  /**
   * @param spec the robot the commands are for
   * @param period loop tick period (s), > 0: sets the per-tick step limit
   * @param config overrides of defaultSafetyConfig
   * @throws AxonError SAFETY_CONFIG when the period or a config value cannot be used (configure time)
   */
  constructor(spec: RobotSpec, period: number, config: Partial<SafetyConfig> = {}) {
    this.spec = spec;
    this.period = period;
    this.config = { ...defaultSafetyConfig, ...config };
    this.events$ = this._events.asObservable();
    this.counts = Object.fromEntries(_kinds.map((k) => [k, 0])) as Record<SafetyEventKind, number>;

    if (!(Number.isFinite(period) && period > 0)) {
      throw new AxonError('SAFETY_CONFIG', 'period', `cannot use ${period}`, 'a finite tick period > 0 (s)');
    }
    const c = this.config;
    const positive: (keyof SafetyConfig)[] = ['maxStepFraction', 'staleAfterS', 'badValue', 'stopSaturationFraction'];
    for (const k of positive) {
      if (!(c[k] > 0)) throw new AxonError('SAFETY_CONFIG', `safety.${k}`, `cannot use ${c[k]}`, 'a number > 0');
    }
    const nonNegative: (keyof SafetyConfig)[] = [
      'softStartS',
      'nonFiniteTicksToSafeStop',
      'staleTicksToSafeStop',
      'deadlineMissesToSafeStop',
      'badObservationTicksToSafeStop',
    ];
    for (const k of nonNegative) {
      if (!(c[k] >= 0 && Number.isFinite(c[k]))) {
        throw new AxonError('SAFETY_CONFIG', `safety.${k}`, `cannot use ${c[k]}`, 'a finite number >= 0');
      }
    }
    const modes = spec.controlModes;
    if (modes.length === 0) {
      throw new AxonError('SAFETY_CONFIG', `robot ${spec.name}`, 'supports no control mode', 'position, velocity or effort');
    }
    this._holdMode = modes.includes('position') ? 'position' : modes.includes('effort') ? 'effort' : 'velocity';

    const n = spec.joints.length;
    this._n = n;
    this._lo = new Float64Array(n);
    this._hi = new Float64Array(n);
    this._vLim = new Float64Array(n);
    this._eLim = new Float64Array(n);
    this._kp = new Float64Array(n);
    this._kd = new Float64Array(n);
    this._kpMax = new Float64Array(n);
    this._kdMax = new Float64Array(n);
    this._kdStop = new Float64Array(n);
    this._maxStep = new Float64Array(n);
    this._lastObsPos = new Float64Array(n);
    this._prevTarget = new Float64Array(n);
    this._armPose = new Float64Array(n);
    this._stopPose = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = spec.joints[i];
      // A NaN limit is unknown: positions unbounded, speeds and efforts zero (the safe reading).
      this._lo[i] = Number.isNaN(j.lower) ? -Infinity : j.lower;
      this._hi[i] = Number.isNaN(j.upper) ? Infinity : j.upper;
      this._vLim[i] = nonNeg(j.velocityLimit, 0);
      this._eLim[i] = nonNeg(j.effortLimit, 0);
      const passive = this._eLim[i] === 0;
      this._kpMax[i] = gainMax(j.kpMax, `joint ${j.name} kpMax`);
      this._kdMax[i] = gainMax(j.kdMax, `joint ${j.name} kdMax`);
      this._kp[i] = passive || !Number.isFinite(j.kp) ? 0 : Math.min(nonNeg(j.kp, 0), this._kpMax[i]);
      this._kd[i] = passive || !Number.isFinite(j.kd) ? 0 : Math.min(nonNeg(j.kd, 0), this._kdMax[i]);
      // Unlimited effort or speed (a URDF or MJCF without them) gives no saturating damping: the spec's kd then (Inf/Inf was NaN, and a NaN kd went out as 0).
      const ratio = this._eLim[i] / (c.stopSaturationFraction * this._vLim[i]);
      const saturating = this._vLim[i] > 0 && Number.isFinite(ratio) ? ratio : 0;
      this._kdStop[i] = passive ? 0 : Math.min(Math.max(this._kd[i], saturating), this._kdMax[i]);
      this._maxStep[i] = this._vLim[i] * period * c.maxStepFraction;
      const d = Number.isFinite(j.defaultPosition) ? j.defaultPosition : 0;
      this._lastObsPos[i] = clamp(d, this._lo[i], this._hi[i]);
    }
  }

  get state(): SafetyState {
    return this._state;
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
    return this._kdStop[i];
  }

  /**
   * Refuses, before arming, a command the robot would follow by doing nothing: velocity mode on a
   * driven joint whose kd (the velocity loop's gain, the command's or the spec's) is 0 or not a
   * number. Configure time, may allocate.
   * @throws AxonError SAFETY_VELOCITY_GAIN naming the joints and what is expected
   */
  assertCommandable(cmd: JointCommand): void {
    if (cmd.mode !== 'velocity') return;
    const bad: string[] = [];
    for (let i = 0; i < this._n; i++) {
      if (this._eLim[i] === 0) continue; // passive: nothing to drive
      const kd = cmd.kd ? cmd.kd[i] : this.spec.joints[i].kd;
      if (!(kd > 0)) bad.push(`${this.spec.joints[i].name} (kd ${kd})`);
    }
    if (bad.length > 0) {
      throw new AxonError(
        'SAFETY_VELOCITY_GAIN',
        `robot ${this.spec.name}`,
        `velocity mode with kd 0 commands no effort (the velocity gain is kd) on ${bad.join(', ')}: the robot would not move while reporting running`,
        'kd > 0 (N·m·s/rad | N·s/m) for every driven joint, in the robot spec or the model manifest pd.kd',
      );
    }
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
      this._startTick();
      this._updateObs(obs, now);
      if (!this._armed || this._state === 'safe-stop' || this._state === 'e-stopped') {
        this._writeStop(obs, out);
        return this._state;
      }

      // Stale observation: hold, then safe-stop.
      const age = now - this._seqSeenAt;
      if (!(age <= this.config.staleAfterS)) {
        this._missPending = false;
        this._staleStreak++;
        const stop = this._staleStreak > this.config.staleTicksToSafeStop;
        const why = `observation seq ${obs.seq} unchanged for ${age.toFixed(3)} s (limit ${this.config.staleAfterS} s), stale tick ${this._staleStreak}`;
        this._emit('stale_observation', now, seq, why, stop ? 'safe-stop' : 'degraded', undefined, age);
        if (stop) {
          this._enterStop('safe-stop', `stale observation for ${this._staleStreak} ticks`, now, seq, obs);
          this._writeStop(obs, out);
        } else {
          this._transition('degraded', 'stale observation', now, seq);
          this._writeHold(obs, out);
        }
        return this._state;
      }

      // Bad numbers in the observation: a stale-like hold, then safe-stop.
      if (this._badObs(obs)) {
        this._missPending = false;
        this._badObsStreak++;
        const stop = this._badObsStreak >= this.config.badObservationTicksToSafeStop;
        const joint = this._badField.startsWith('joint') ? this.spec.joints[this._badIndex].name : undefined;
        const why =
          `observation ${this._badField}[${this._badIndex}]${joint === undefined ? '' : ` (${joint})`} = ${this._badValue}: ` +
          `not finite or |x| > ${this.config.badValue}, bad observation tick ${this._badObsStreak}`;
        this._emit('bad_observation', now, seq, why, stop ? 'safe-stop' : 'degraded', joint, this._badValue);
        if (stop) {
          this._enterStop('safe-stop', `bad observation for ${this._badObsStreak} ticks (${this._badField})`, now, seq, obs);
          this._writeStop(obs, out);
        } else {
          this._transition('degraded', `bad observation (${this._badField})`, now, seq);
          this._writeHold(obs, out);
        }
        return this._state;
      }
      this._badObsStreak = 0;

      // Late policy / world model this tick: hold (already degraded by reportDeadlineMiss).
      if (this._missPending) {
        this._missPending = false;
        this._writeHold(obs, out);
        return this._state;
      }
      this._missStreak = 0;

      // Bad numbers reject the whole vector.
      if (this._rejects(proposed, now, seq)) {
        this._badStreak++;
        if (this._badStreak >= this.config.nonFiniteTicksToSafeStop) {
          this._enterStop('safe-stop', `bad command for ${this._badStreak} consecutive ticks`, now, seq, obs);
          this._writeStop(obs, out);
        } else {
          this._transition('degraded', 'bad command rejected', now, seq);
          this._writeHold(obs, out);
        }
        return this._state;
      }
      this._badStreak = 0;

      if (this._state === 'degraded') this._transition('running', 'clean tick', now, seq);
      this._limit(proposed, obs, now, seq, out);
      this._finiteNet(out);
      return this._state;
    } catch {
      // Nothing above should throw; if something does (a malformed argument), stop protectively.
      try {
        if (this._state !== 'e-stopped') this._enterStop('safe-stop', 'internal error in check()', now, seq, undefined);
        this._writeStop(obs, out);
        this._finiteNet(out);
      } catch {
        // Nothing more can be done without a usable `out`.
      }
      return this._state;
    } finally {
      this._clearTickEvents = true;
    }
  }

  /** Operator / watchdog protective stop: latched state e-stopped until reset(). */
  estop(reason: string, now: number, seq: number): void {
    this._emit('estop', now, seq, reason, 'e-stopped');
    if (this._state !== 'e-stopped') this._enterStop('e-stopped', reason, now, seq, undefined);
  }

  /**
   * Protective safe-stop on request (a bridge deadman, an operator's disarm, a watchdog): a
   * 'safe_stop' event and the latched state safe-stop until reset(); the next check() commands
   * the stop (hold the pose at the stop, damp joints without a position gain). e-stopped stays
   * e-stopped; before arming nothing changes but the event. Never throws.
   */
  safeStop(reason: string, now: number, seq: number): void {
    const keep = !this._armed || this._state === 'e-stopped' || this._state === 'safe-stop';
    this._emit('safe_stop', now, seq, reason, keep ? this._state : 'safe-stop');
    if (!keep) this._enterStop('safe-stop', reason, now, seq, undefined);
  }

  /**
   * A late, hung or failed policy / world model: the next check() holds and the state is
   * degraded; after config.deadlineMissesToSafeStop consecutive misses (no timely check()
   * between), safe-stop. Call it before that tick's check().
   * @param kind 'policy_deadline' (default) or 'world_model_deadline'
   */
  reportDeadlineMiss(reason: string, now: number, seq: number, kind: 'policy_deadline' | 'world_model_deadline' = 'policy_deadline'): void {
    if (!this._armed || this._state === 'safe-stop' || this._state === 'e-stopped') {
      this._emit(kind, now, seq, reason, this._state);
      return;
    }
    this._missStreak++;
    this._missPending = true;
    const stop = this._missStreak >= this.config.deadlineMissesToSafeStop;
    this._emit(kind, now, seq, `${reason} (miss ${this._missStreak})`, stop ? 'safe-stop' : 'degraded');
    if (stop) this._enterStop('safe-stop', `${this._missStreak} consecutive deadline misses`, now, seq, undefined);
    else this._transition('degraded', `deadline miss: ${reason}`, now, seq);
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
    this._emit(kind, now, seq, reason, to, undefined, value);
    if (stopped || level === 'info') return;
    if (level === 'stop') this._enterStop('safe-stop', `world model: ${reason}`, now, seq, undefined);
    else this._transition('degraded', `world model: ${reason}`, now, seq);
  }

  /**
   * The state watchdog saw the robot leave a sane envelope (a blown-up simulation): an event and
   * a latched safe-stop, whatever the state. Never throws.
   */
  reportStateWatchdog(reason: string, now: number, seq: number): void {
    const stopped = this._state === 'safe-stop' || this._state === 'e-stopped';
    this._emit('state_watchdog', now, seq, reason, stopped ? this._state : 'safe-stop');
    if (!stopped) this._enterStop('safe-stop', `state watchdog: ${reason}`, now, seq, undefined);
  }

  /** Explicit operator action: leaves safe-stop or e-stopped and re-arms from the present pose. */
  reset(reason: string, obs: Observation, seq: number, now: number = obs.time): void {
    this._emit('reset', now, seq, reason, 'running');
    this._armFrom(obs, seq, `reset: ${reason}`, now);
  }

  // ---- internals ----

  private _startTick(): void {
    if (this._clearTickEvents) {
      this.tickEvents.length = 0;
      this._clearTickEvents = false;
    }
  }

  private _emit(
    kind: SafetyEventKind,
    time: number,
    seq: number,
    reason: string,
    state: SafetyState,
    joint?: string,
    value?: number,
  ): void {
    this._startTick();
    const e: SafetyEvent =
      joint === undefined
        ? value === undefined
          ? { time, seq, kind, state, reason }
          : { time, seq, kind, state, value, reason }
        : value === undefined
          ? { time, seq, kind, state, joint, reason }
          : { time, seq, kind, state, joint, value, reason };
    this.counts[kind]++;
    this.tickEvents.push(e);
    this._events.next(e); // rxjs reports a throwing subscriber asynchronously: this never throws
  }

  private _transition(to: SafetyState, why: string, time: number, seq: number): void {
    if (to === this._state) return;
    const from = this._state;
    this._state = to;
    this._emit('state_change', time, seq, `${from} -> ${to}: ${why}`, to);
  }

  /** Latches safe-stop / e-stopped, capturing the pose to hold unless already stopped. */
  private _enterStop(to: 'safe-stop' | 'e-stopped', why: string, time: number, seq: number, obs: Observation | undefined): void {
    const wasStopped = this._state === 'safe-stop' || this._state === 'e-stopped';
    if (!wasStopped || !this._stopPoseValid) {
      if (obs !== undefined) this._updateObsPose(obs);
      this._captureStopPose();
    }
    this._missPending = false;
    this._transition(to, why, time, seq);
  }

  private _captureStopPose(): void {
    if (!this._haveObs) {
      this._stopPoseValid = false; // captured from the first observation check() sees
      return;
    }
    for (let i = 0; i < this._n; i++) this._stopPose[i] = clamp(this._lastObsPos[i], this._lo[i], this._hi[i]);
    this._stopPoseValid = true;
  }

  private _armFrom(obs: Observation, seq: number, why: string, now: number): void {
    this._updateObsPose(obs);
    for (let i = 0; i < this._n; i++) this._armPose[i] = clamp(this._lastObsPos[i], this._lo[i], this._hi[i]);
    this._armed = true;
    this._armTime = now;
    this._softStartAnnounced = false;
    this._havePrev = false;
    this._stopPoseValid = false;
    this._lastSeq = obs.seq;
    this._seqSeenAt = now;
    this._badStreak = 0;
    this._staleStreak = 0;
    this._missStreak = 0;
    this._missPending = false;
    this._badObsStreak = 0;
    this._armCount++;
    this._transition('running', why, now, seq);
  }

  private _updateObsPose(obs: Observation): void {
    const p = obs.jointPosition;
    for (let i = 0; i < this._n; i++) {
      const x = p[i];
      if (Math.abs(x) <= this.config.badValue) this._lastObsPos[i] = x; // false for NaN, ±Inf
    }
    this._haveObs = true;
  }

  /** True when a joint position/velocity or IMU value is bad; the field goes to _badField/_badIndex/_badValue. */
  private _badObs(obs: Observation): boolean {
    if (this._badIn(obs.jointPosition, this._n, 'jointPosition') || this._badIn(obs.jointVelocity, this._n, 'jointVelocity')) return true;
    const imu = obs.imu;
    if (imu === undefined) return false;
    return this._badIn(imu.orientation, 4, 'imu.orientation') || this._badIn(imu.angularVelocity, 3, 'imu.angularVelocity') || this._badIn(imu.linearAcceleration, 3, 'imu.linearAcceleration');
  }

  private _badIn(a: ArrayLike<number>, n: number, field: string): boolean {
    const bad = this.config.badValue;
    for (let i = 0; i < n; i++) {
      const x = a[i]; // undefined past a short array: bad
      if (!(Math.abs(x) <= bad)) {
        this._badField = field;
        this._badIndex = i;
        this._badValue = typeof x === 'number' ? x : Number.NaN;
        return true;
      }
    }
    return false;
  }

  private _updateObs(obs: Observation, now: number): void {
    this._updateObsPose(obs);
    if (obs.seq !== this._lastSeq) {
      this._lastSeq = obs.seq;
      this._seqSeenAt = now;
      this._staleStreak = 0;
    }
  }

  /** True (and one 'non_finite' event) when the command must be rejected as a whole. */
  private _rejects(cmd: JointCommand, now: number, seq: number): boolean {
    const mode = cmd.mode;
    if ((mode !== 'position' && mode !== 'velocity' && mode !== 'effort') || !this.spec.controlModes.includes(mode)) {
      this._emit('non_finite', now, seq, `mode '${String(mode)}' is not supported by robot ${this.spec.name}: command rejected`, this._rejectState());
      return true;
    }
    return (
      this._rejectsArray(cmd.target, 'target', now, seq) ||
      this._rejectsArray(cmd.kp, 'kp', now, seq) ||
      this._rejectsArray(cmd.kd, 'kd', now, seq) ||
      this._rejectsArray(cmd.feedforward, 'feedforward', now, seq)
    );
  }

  private _rejectState(): SafetyState {
    return this._badStreak + 1 >= this.config.nonFiniteTicksToSafeStop ? 'safe-stop' : 'degraded';
  }

  private _rejectsArray(a: Float64Array | undefined, field: string, now: number, seq: number): boolean {
    if (a === undefined) return false;
    const bad = this.config.badValue;
    for (let i = 0; i < this._n; i++) {
      const x = a[i]; // undefined past a short array: rejected below
      if (!(Math.abs(x) <= bad) || !Number.isFinite(x)) {
        const joint = this.spec.joints[i].name;
        this._emit(
          'non_finite',
          now,
          seq,
          `${field}[${i}] (${joint}) = ${x}: not finite or |x| > ${bad}, whole command rejected`,
          this._rejectState(),
          joint,
          typeof x === 'number' ? x : Number.NaN,
        );
        return true;
      }
    }
    return false;
  }

  /** Clamps, soft start and rate limit a clean command into `out`. */
  private _limit(cmd: JointCommand, obs: Observation, now: number, seq: number, out: JointCommand): void {
    const n = this._n;
    const names = this.spec.joints;
    const mode = cmd.mode;
    out.mode = mode;

    let alpha = 1;
    if (this.config.softStartS > 0) {
      alpha = (now - this._armTime) / this.config.softStartS;
      if (!(alpha > 0)) alpha = 0; // also NaN: stay at the arm pose
      else if (alpha > 1) alpha = 1;
      if (alpha < 1 && !this._softStartAnnounced) {
        this._softStartAnnounced = true;
        this._emit('soft_start', now, seq, `targets blended from the arm pose over ${this.config.softStartS} s`, this._state);
      }
    }

    for (let i = 0; i < n; i++) {
      const el = this._eLim[i];
      let t = cmd.target[i];
      if (mode === 'position') {
        const lo = this._lo[i];
        const hi = this._hi[i];
        if (t < lo || t > hi) {
          // A target at the limit that went through float32 (a model's output, a pose read as float32) may lie one rounding beyond it: held at the limit without an event.
          if (t < lo - Math.abs(lo) * F32_ROUNDING || t > hi + Math.abs(hi) * F32_ROUNDING)
            this._emit('position_clamp', now, seq, `target ${t} outside [${lo}, ${hi}]`, this._state, names[i].name, t);
          t = t < lo ? lo : hi;
        }
        if (alpha < 1) t = this._armPose[i] + alpha * (t - this._armPose[i]);
        const prev = this._havePrev ? this._prevTarget[i] : clamp(this._lastObsPos[i], lo, hi);
        const d = t - prev;
        const ms = this._maxStep[i];
        if (d > ms || d < -ms) {
          this._emit('rate_limit', now, seq, `step ${d} beyond ${ms} per tick`, this._state, names[i].name, d);
          t = d > 0 ? prev + ms : prev - ms;
        }
        this._prevTarget[i] = t;
      } else if (mode === 'velocity') {
        const vl = this._vLim[i];
        if (t > vl || t < -vl) {
          this._emit('velocity_clamp', now, seq, `velocity target ${t} beyond ±${vl}`, this._state, names[i].name, t);
          t = t > 0 ? vl : -vl;
        }
        t *= alpha;
      } else {
        if (t > el || t < -el) {
          this._emit('effort_clamp', now, seq, `effort target ${t} beyond ±${el}`, this._state, names[i].name, t);
          t = t > 0 ? el : -el;
        }
        t *= alpha;
      }
      out.target[i] = t + 0; // +0: no -0 in the output

      let ff = cmd.feedforward ? cmd.feedforward[i] : 0;
      if (ff > el || ff < -el) {
        this._emit('effort_clamp', now, seq, `feedforward ${ff} beyond ±${el}`, this._state, names[i].name, ff);
        ff = ff > 0 ? el : -el;
      }
      if (out.feedforward) out.feedforward[i] = mode === 'effort' ? 0 : ff * alpha + 0;

      const passive = el === 0 || mode === 'effort';
      if (out.kp) out.kp[i] = passive ? 0 : cmd.kp ? this._gain(cmd.kp[i], this._kpMax[i], 'kp', now, seq, i) : this._kp[i];
      if (out.kd) out.kd[i] = passive ? 0 : cmd.kd ? this._gain(cmd.kd[i], this._kdMax[i], 'kd', now, seq, i) : this._kd[i];
    }
    this._havePrev = mode === 'position';
  }

  /** A commanded gain bounded to [0, max] ('gain_clamp' when it was outside). */
  private _gain(g: number, max: number, which: 'kp' | 'kd', now: number, seq: number, i: number): number {
    if (g >= 0 && g <= max) return g;
    const to = g > max ? max : 0;
    this._emit('gain_clamp', now, seq, `${which} ${g} outside [0, ${max}]: ${to} sent`, this._state, this.spec.joints[i].name, g);
    return to;
  }

  /** Degraded hold: the last position target sent, else the observed pose; damping without position mode. */
  private _writeHold(obs: Observation, out: JointCommand): void {
    if (this._holdMode === 'position' && !this._havePrev) {
      for (let i = 0; i < this._n; i++) this._prevTarget[i] = clamp(this._lastObsPos[i], this._lo[i], this._hi[i]);
      this._havePrev = true;
    }
    this._writeSafe(obs, out, this._prevTarget);
  }

  /** safe-stop / e-stopped: hold the pose observed when the stop was entered (or damp). */
  private _writeStop(obs: Observation, out: JointCommand): void {
    if (!this._stopPoseValid) this._captureStopPose();
    this._writeSafe(obs, out, this._stopPose);
    if (this._holdMode === 'position') {
      this._prevTarget.set(this._stopPose);
      this._havePrev = true;
    }
  }

  /**
   * Position mode: hold `pose` with the spec gains; a joint with kp 0 is damped to rest with
   * kd_stop; a passive joint gets no gains. Velocity mode: target 0 with gain kd_stop. Effort
   * mode (loop rate): effort = clamp(-kd × velocity), kd the spec's when > 0, else kd_stop.
   */
  private _writeSafe(obs: Observation, out: JointCommand, pose: Float64Array): void {
    const mode = this._holdMode;
    out.mode = mode;
    const vel = obs.jointVelocity;
    const bad = this.config.badValue;
    for (let i = 0; i < this._n; i++) {
      let t = 0;
      let kp = 0;
      let kd = 0;
      if (mode === 'position') {
        t = pose[i];
        kp = this._kp[i];
        kd = kp > 0 ? this._kd[i] : this._kdStop[i];
      } else if (mode === 'velocity') {
        kd = this._kdStop[i];
      } else {
        const v = vel[i];
        const el = this._eLim[i];
        const d = this._kd[i] > 0 ? this._kd[i] : this._kdStop[i];
        t = Math.abs(v) <= bad ? clamp(-d * v, -el, el) : 0; // NaN, ±Inf, absurd: no effort
      }
      out.target[i] = t + 0;
      if (out.kp) out.kp[i] = kp;
      if (out.kd) out.kd[i] = kd;
      if (out.feedforward) out.feedforward[i] = 0;
    }
    if (mode !== 'position') this._havePrev = false;
  }

  /** Last line of defence: no non-finite number ever leaves the supervisor. */
  private _finiteNet(out: JointCommand): void {
    for (let i = 0; i < this._n; i++) {
      if (!Number.isFinite(out.target[i])) {
        out.target[i] = out.mode === 'position' ? clamp(this._lastObsPos[i], this._lo[i], this._hi[i]) : 0;
      }
      if (out.kp && !Number.isFinite(out.kp[i])) out.kp[i] = 0;
      if (out.kd && !Number.isFinite(out.kd[i])) out.kd[i] = 0;
      if (out.feedforward && !Number.isFinite(out.feedforward[i])) out.feedforward[i] = 0;
    }
  }
}
