import type { Observation } from '../core/robot.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import type { Planner } from './Planner.ts';
import type { RolloutTrace } from './RolloutTrace.ts';
import type { WorldModelHook, WorldModelTickInfo } from './types.ts';

export interface PlanHookOptions {
  /** Seed the plan's first step with the policy's action (a policy was given). Default false. */
  readonly seedWithPolicy?: boolean;
}

/**
 * `--wm-mode plan`: the planner chooses the action from the world-model state built from the
 * observation (the world model's own observation terms); the policy's action, when there is a
 * policy, seeds the sampling mean. The state builder and output are sized at construction.
 */
export class PlanHook implements WorldModelHook {
  readonly mode = 'plan' as const;
  readonly tick: WorldModelTickInfo = { surprise: Number.NaN, cost: Number.NaN, vetoed: false };
  private readonly out: Float32Array;
  private readonly last: Float32Array;

  constructor(
    private readonly planner: Planner,
    private readonly state: ObservationBuilder,
    actionSize: number,
    private readonly options: PlanHookOptions = {},
    private readonly episodeSeed?: number,
  ) {
    this.out = new Float32Array(actionSize);
    this.last = new Float32Array(actionSize);
  }

  reset(): void {
    this.planner.reset(this.episodeSeed);
    this.state.reset();
    this.last.fill(0);
    this.tick.cost = Number.NaN;
  }

  /** The planner's rollouts for a viewer (enableTrace first). */
  get trace(): RolloutTrace | undefined {
    return this.planner.trace;
  }

  /** Keeps the first `rows` samples' rollouts each tick (sample 0 = the plan this tick refines, see Planner.enableTrace). */
  enableTrace(rows: number): RolloutTrace {
    return this.planner.enableTrace(rows);
  }

  async apply(obs: Observation, _input: Float32Array, action: Float32Array, seq = 0): Promise<Float32Array> {
    const s = this.state.build(obs, this.last);
    await this.planner.plan(s, this.out, this.options.seedWithPolicy ? action : undefined, seq);
    this.last.set(this.out);
    this.tick.cost = this.planner.lastCost;
    return this.out;
  }
}
