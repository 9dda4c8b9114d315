import { Vec3, type Body } from 'cannon-es';
import { AxonError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';

/**
 * Random pushes: a force of random horizontal direction and a magnitude uniform in
 * [forceMin, forceMax] N, held for durationS on a link's body (at its centre of mass), repeated
 * after a gap uniform in [intervalMin, intervalMax] s; the first push comes after firstAfterS.
 * Drawn while stepping from a generator seeded by `seed` (reproducible per episode).
 */
export interface SimPushConfig {
  readonly link: string;
  readonly forceMin: number; // N
  readonly forceMax: number; // N
  readonly durationS: number; // s
  readonly intervalMin: number; // s
  readonly intervalMax: number; // s
  readonly firstAfterS: number; // s
  readonly seed: number;
}

/** Throws SIM_OPTION unless the ranges of `config` make sense. */
export function checkPushConfig(config: SimPushConfig): void {
  const ok =
    config.forceMin >= 0 && config.forceMax >= config.forceMin && config.durationS > 0 &&
    config.intervalMin > 0 && config.intervalMax >= config.intervalMin && config.firstAfterS >= 0 &&
    Number.isFinite(config.forceMax + config.durationS + config.intervalMax + config.firstAfterS);
  if (!ok) throw new AxonError('SIM_OPTION', 'pushes', JSON.stringify(config), 'forces 0 <= min <= max (N), duration > 0 s, intervals 0 < min <= max (s), first >= 0 s');
}

/**
 * The push schedule of one simulated robot, counted in physics steps. The simulator calls
 * `apply(step)` before each world step (adds the force to the body while a push is on) and
 * `advance(step)` after it (counts pushes, draws the next one, writes `obs`).
 *
 * Real-time rules: apply() and advance() allocate nothing.
 */
export class Pushes {
  config: SimPushConfig | undefined;
  /** The body pushed (the config's link's); undefined: no pushes. */
  body: Body | undefined;
  /** Pushes started since reset. */
  count = 0;
  /** The push acting now (N, world frame), zero between pushes: Observation.extras.push_force. */
  readonly obs = new Float32Array(3);
  private readonly force = new Vec3();
  private rng = new Rng(0);
  private startStep = 0;
  private endStep = 0;

  constructor(
    /** Physics step (s). */
    private readonly physicsDt: number,
  ) {}

  /** Pushes `body` as `config` says (undefined: none) from the next reset on. */
  set(config: SimPushConfig | undefined, body: Body | undefined): void {
    if (config !== undefined) checkPushConfig(config);
    this.config = config;
    this.body = config === undefined ? undefined : body;
  }

  /** Back to physics step 0: no push counted, the first one drawn from the config's seed. */
  reset(): void {
    this.count = 0;
    this.force.setZero();
    this.obs.fill(0);
    if (this.config !== undefined) {
      this.rng = new Rng(this.config.seed);
      this.schedule(Math.round(this.config.firstAfterS / this.physicsDt));
    }
  }

  /** Before physics step `step` (0-based count of steps done): adds the push force if one is on. */
  apply(step: number): void {
    const b = this.body;
    if (b !== undefined && step >= this.startStep && step < this.endStep) b.force.vadd(this.force, b.force);
  }

  /** After a physics step; `step` = steps done now. */
  advance(step: number): void {
    if (this.body === undefined) return;
    if (step === this.startStep + 1) this.count++;
    if (step === this.endStep) {
      const p = this.config!;
      const gap = this.rng.uniform(p.intervalMin, p.intervalMax);
      this.schedule(this.endStep + Math.max(1, Math.round(gap / this.physicsDt)));
    }
    const on = step >= this.startStep && step < this.endStep;
    this.obs[0] = on ? this.force.x : 0;
    this.obs[1] = on ? this.force.y : 0;
    this.obs[2] = on ? this.force.z : 0;
  }

  /** Draws the next push: it starts at physics step `start`. */
  private schedule(start: number): void {
    const p = this.config!;
    const f = this.rng.uniform(p.forceMin, p.forceMax);
    const heading = this.rng.uniform(-Math.PI, Math.PI);
    this.force.set(f * Math.cos(heading), f * Math.sin(heading), 0);
    this.startStep = start;
    this.endStep = start + Math.max(1, Math.round(p.durationS / this.physicsDt));
  }
}
