import type { Observation, RobotSpec } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';

/** The envelope a simulated robot must stay in; beyond it the simulation has blown up. */
export interface StateEnvelope {
  /** A joint faster than this multiple of its velocity limit (rad/s | m/s) is a runaway. Default 10. */
  readonly jointSpeedFactor: number;
  /** Speed for joints whose velocity limit is unset or infinite (rad/s | m/s). Default 200. */
  readonly jointSpeedMax: number;
  /** Base linear speed (m/s) no robot reaches. Default 20. */
  readonly baseSpeedMax: number;
  /** Base height above its start (m): thrown up. Default 2. */
  readonly riseMax: number;
  /** Base height below its start (m): through the ground. Default 3. */
  readonly sinkMax: number;
}

export const DEFAULT_STATE_ENVELOPE: StateEnvelope = { jointSpeedFactor: 10, jointSpeedMax: 200, baseSpeedMax: 20, riseMax: 2, sinkMax: 3 };

/**
 * Judges each observation against the envelope: a simulator that says its state diverged
 * (Observation.diverged: MuJoCo reset itself), any non-finite joint or base value, a joint far
 * faster than its limit, a base far faster than a robot moves, or a base far above or below where
 * the episode started. The first breach is kept (`reason`); later ones are not checked.
 * Engine-independent: it reads the Observation (base state is the simulator's privileged one).
 * check() allocates only when it trips (the reason string).
 */
export class StateWatchdog {
  reason: string | undefined;
  private readonly speedLimit: Float64Array;
  private startZ = 0;

  constructor(
    private readonly spec: RobotSpec,
    private readonly envelope: StateEnvelope = DEFAULT_STATE_ENVELOPE,
  ) {
    this.speedLimit = Float64Array.from(spec.joints, (j) => (Number.isFinite(j.velocityLimit) && j.velocityLimit > 0 ? envelope.jointSpeedFactor * j.velocityLimit : envelope.jointSpeedMax));
  }

  reset(obs: Observation): void {
    this.reason = undefined;
    this.startZ = obs.base ? obs.base.position[2] : 0;
  }

  /** True while the state is sane; false from the first breach on. */
  check(obs: Observation): boolean {
    if (this.reason !== undefined) return false;
    if (obs.diverged !== undefined) return this.trip(obs.diverged); // the engine reset itself (docs/mujoco.md, "MuJoCo's reset")
    const q = obs.jointPosition;
    const v = obs.jointVelocity;
    for (let i = 0; i < q.length; i++) {
      if (!(Math.abs(q[i]) < 1e10 && Math.abs(v[i]) < 1e10)) return this.trip(`joint ${this.spec.joints[i].name} is not finite (position ${q[i]}, velocity ${v[i]})`);
      if (Math.abs(v[i]) > this.speedLimit[i]) return this.trip(`joint ${this.spec.joints[i].name} moves at ${fmt(v[i])}, over ${fmt(this.speedLimit[i])} (${this.envelope.jointSpeedFactor} × its velocity limit)`);
    }
    const b = obs.base;
    if (b === undefined) return true;
    const p = b.position;
    const lv = b.linearVelocity;
    if (!(Math.abs(p[0]) < 1e10 && Math.abs(p[1]) < 1e10 && Math.abs(p[2]) < 1e10)) return this.trip(`base position is not finite (${p[0]}, ${p[1]}, ${p[2]})`);
    const speed = Math.hypot(lv[0], lv[1], lv[2]);
    if (!(speed <= this.envelope.baseSpeedMax)) return this.trip(`base moves at ${fmt(speed)} m/s, over ${this.envelope.baseSpeedMax} m/s`);
    const dz = p[2] - this.startZ;
    if (dz > this.envelope.riseMax) return this.trip(`base is ${fmt(dz)} m above its start, over ${this.envelope.riseMax} m`);
    if (dz < -this.envelope.sinkMax) return this.trip(`base is ${fmt(-dz)} m below its start, over ${this.envelope.sinkMax} m`);
    return true;
  }

  private trip(reason: string): false {
    this.reason = reason;
    return false;
  }
}

const fmt = (x: number) => String(+x.toPrecision(4));

/**
 * A task under a state watchdog: the inner task's reward and success, and a watchdog judged at
 * every tick. On the first breach `onTrip(reason, obs)` is called once (the session reports a
 * safety event and ends the episode), the episode terminates and is a failure (`invalid` set).
 */
export class WatchedTask implements Task {
  readonly name: string;
  readonly episodeS: number;
  private readonly watchdog: StateWatchdog;

  constructor(
    private readonly inner: Task,
    spec: RobotSpec,
    private readonly onTrip: (reason: string, obs: Observation) => void,
    envelope?: StateEnvelope,
  ) {
    this.name = inner.name;
    this.episodeS = inner.episodeS;
    this.watchdog = new StateWatchdog(spec, envelope);
  }

  /** Why the episode is invalid (the watchdog's first breach), undefined while it is sane. */
  get invalid(): string | undefined {
    return this.watchdog.reason;
  }

  reset(obs: Observation): void {
    this.watchdog.reset(obs);
    this.inner.reset(obs);
  }

  step(obs: Observation, dt: number): boolean {
    if (!this.watchdog.check(obs)) {
      if (this.watchdog.reason !== undefined && !this.tripped) {
        this.tripped = true;
        this.onTrip(this.watchdog.reason, obs);
      }
      return true;
    }
    this.tripped = false;
    return this.inner.step(obs, dt);
  }
  private tripped = false;

  get totalReward(): number {
    return this.inner.totalReward;
  }

  get success(): boolean {
    return this.watchdog.reason === undefined && this.inner.success;
  }

  metrics(): Record<string, unknown> | undefined {
    return this.inner.metrics?.();
  }
}
