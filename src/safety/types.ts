/** Fault states, in order of severity. Leaving safe-stop or e-stopped needs an explicit operator reset. */
export type SafetyState = 'running' | 'degraded' | 'safe-stop' | 'e-stopped';

/** Every intervention the supervisor makes is one of these (counted by kind in the JSON summary). */
export type SafetyEventKind =
  | 'position_clamp' // a target outside [lower, upper] was clamped
  | 'velocity_clamp' // a velocity target (or the implied speed of a position step) beyond the limit
  | 'effort_clamp' // an effort target or feed-forward beyond the effort limit
  | 'rate_limit' // a target moved more than the per-tick step limit
  | 'soft_start' // the target was blended from the present pose while arming
  | 'non_finite' // NaN, ±Inf or |x| > 1e10 in a command: the whole vector was rejected
  | 'stale_observation' // the observation stopped changing for longer than its deadline
  | 'bad_observation' // a joint position/velocity or IMU value was NaN, ±Inf or |x| > 1e10, or a joint position impossible (beyond its limits by positionMargin, a jump faster than jumpFactor × its velocity limit): hold, then safe-stop (the event names the field)
  | 'policy_deadline' // the policy missed its slot (late, hung, failed or stalled)
  | 'world_model_deadline' // the world-model hook missed its slot (late or hung)
  | 'world_model_error' // the world-model hook failed (threw: its model, a shield's continuation policy): held and counted like a missed slot
  | 'gain_clamp' // a commanded kp/kd was negative or above the joint's kpMax/kdMax
  | 'safe_stop' // an operator, a deadman or a watchdog asked for safe-stop (safeStop())
  | 'estop' // an operator or a watchdog asked for the protective stop
  | 'reset' // an operator cleared safe-stop / e-stop
  | 'state_change' // the state machine moved (reason says from and to)
  | 'shield_veto' // the world-model shield replaced a command predicted to break a constraint
  | 'surprise' // the world model's one-step prediction error stayed above its threshold
  | 'overspeed' // a joint moved faster than overspeedFactor × its velocity limit for overspeedTicksToSafeStop ticks: safe-stop
  | 'state_watchdog'; // the robot's state left a sane envelope (NaN, runaway joint or base speed, base far from its start): a blown-up simulation

export interface SafetyEvent {
  /** Observation time (s) when it happened. */
  readonly time: number;
  /** Loop tick sequence number. */
  readonly seq: number;
  readonly kind: SafetyEventKind;
  /** State after the event. */
  readonly state: SafetyState;
  /** Joint name, when the event is about one joint. */
  readonly joint?: string;
  /** Offending value, when there is one (in the joint's units). */
  readonly value?: number;
  readonly reason: string;
}

/** What latched a stop (SafetySupervisor.stopCause). */
export interface StopCause {
  /** The event kind that asked for the stop; 'internal_error': check() itself failed. */
  readonly kind: SafetyEventKind | 'internal_error';
  /** The stop's reason, as its state_change event says it. */
  readonly reason: string;
  /** Loop clock time (s) and tick of the stop. */
  readonly time: number;
  readonly seq: number;
  /** True for a stop asked from outside (estop(), safeStop(): an operator, a signal, a robot fault, a deadman); false for the supervisor's own. */
  readonly requested: boolean;
}

export interface SafetyConfig {
  /** Largest change of a position target per tick, as a fraction of the joint's velocity limit × tick period (>= 1 means the velocity limit itself). */
  readonly maxStepFraction: number;
  /** Soft start: over this many seconds after arming, targets are blended from the present pose (s). */
  readonly softStartS: number;
  /** An observation whose seq has not advanced for this long is stale (s). */
  readonly staleAfterS: number;
  /** Consecutive ticks of a non-finite command that escalate degraded (hold) to safe-stop. */
  readonly nonFiniteTicksToSafeStop: number;
  /** The stale tick (observation older than staleAfterS) that safe-stops: the ticks before it hold (as the other ...TicksToSafeStop). */
  readonly staleTicksToSafeStop: number;
  /** Anything with a magnitude above this is treated as bad (MuJoCo's mju_isBad bound). */
  readonly badValue: number;
  /** Consecutive policy / world-model deadline misses (reportDeadlineMiss without a timely tick between) before safe-stop. */
  readonly deadlineMissesToSafeStop: number;
  /** Consecutive ticks with a bad observation value (NaN, ±Inf, |x| > badValue) after which the hold becomes safe-stop. */
  readonly badObservationTicksToSafeStop: number;
  /**
   * Stop damping of a joint with zero position gain (velocity-, effort-only or free joints such as
   * a cart's slider), as the speed at which the damping reaches the joint's effort limit, in
   * fractions of its velocity limit: kd_stop = effortLimit / (stopSaturationFraction × velocityLimit)
   * (N·s/m | N·m·s/rad), capped by JointSpec.kdMax. See SafetySupervisor for the stop time it gives.
   */
  readonly stopSaturationFraction: number;
  /**
   * A joint whose observed speed is above overspeedFactor × its velocity limit (a finite limit > 0)
   * for overspeedTicksToSafeStop consecutive ticks is a runaway (an effort policy spinning a free
   * joint, a back-driven or slipping joint): 'overspeed' and safe-stop. Infinity (the default) is
   * off; live runs set LIVE_OVERSPEED_FACTOR (2) through liveSafetyConfig.
   */
  readonly overspeedFactor: number;
  readonly overspeedTicksToSafeStop: number;
  /**
   * A joint position read more than this beyond the joint's limits (rad | m) is impossible, a
   * bad observation like a NaN (an encoder glitch, a servo reading a turn off). Undefined:
   * SIM_POSITION_MARGIN (Infinity: off; a simulated joint past its limits is the physics, a fall
   * on cannon-es's soft limits, not a sensor's glitch; the state watchdog stops a blow-up). Live
   * runs set LIVE_POSITION_MARGIN (0.1, connect's HW_START_POSE margin) through liveSafetyConfig.
   * Infinity: off (the pose held by a stop is then whatever was read).
   */
  readonly positionMargin?: number;
  /**
   * A joint position that moved more than jumpFactor × the joint's velocity limit × (dt + one
   * tick period) since the joint's last good reading (dt the time between the readings' stamps,
   * at least one period; the added period covers a stamp taken late) is impossible: a bad observation. Undefined: off (Infinity); live runs set
   * LIVE_JUMP_FACTOR (3) through liveSafetyConfig. A joint without a velocity limit is not checked.
   */
  readonly jumpFactor?: number;
  /**
   * Intermittent bad ticks: a tick held for a bad command, a bad or stale observation or a
   * deadline miss counts as bad; once badTicksInWindow of the last badTicksWindow ticks were bad
   * the supervisor safe-stops, however the bad ticks interleave with clean ones (the
   * consecutive counts above reset on one clean tick). 0: off.
   */
  readonly badTicksWindow: number;
  readonly badTicksInWindow: number;
}

/** SafetyConfig.positionMargin on live runs (rad | m): the margin connect's start-pose check allows (hardware/robots/startPose.ts). */
export const LIVE_POSITION_MARGIN = 0.1;
/** SafetyConfig.positionMargin elsewhere (rad | m): only a reading no simulation that has not blown up gives. */
export const SIM_POSITION_MARGIN = Infinity;
/** SafetyConfig.jumpFactor on live runs. */
export const LIVE_JUMP_FACTOR = 3;
/**
 * On a real robot (or a bridged one) a joint sustained at twice its velocity limit is a runaway the
 * supervisor stops (SafetyConfig.overspeedFactor); a simulation has its state watchdog instead.
 */
export const LIVE_OVERSPEED_FACTOR = 2;

/**
 * The checks a live run (runLive: hardware, bridge clients; runTeleop's follower) adds to
 * defaultSafetyConfig, all of them named here rather than implied by one another: a 1 s soft
 * start, the overspeed stop and the impossible-reading bounds (docs/safety.md). A simulation
 * leaves all of them off.
 */
export const liveSafetyConfig: Readonly<Partial<SafetyConfig>> = {
  softStartS: 1,
  overspeedFactor: LIVE_OVERSPEED_FACTOR,
  positionMargin: LIVE_POSITION_MARGIN,
  jumpFactor: LIVE_JUMP_FACTOR,
};

export const defaultSafetyConfig: SafetyConfig = {
  maxStepFraction: 1,
  softStartS: 0,
  staleAfterS: 0.1,
  nonFiniteTicksToSafeStop: 3,
  staleTicksToSafeStop: 3,
  badValue: 1e10,
  deadlineMissesToSafeStop: 3,
  badObservationTicksToSafeStop: 3,
  stopSaturationFraction: 0.1,
  overspeedFactor: Infinity,
  overspeedTicksToSafeStop: 3,
  badTicksWindow: 20,
  badTicksInWindow: 10,
};
