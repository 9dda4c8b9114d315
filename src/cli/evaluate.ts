import { episodeSeed, openSimSession, runEpisode } from './wiring.ts';
import { round } from './summary.ts';

export interface EvalOptions {
  readonly robot: string;
  readonly policy: string;
  readonly episodes: number;
  readonly seed: number;
  readonly randomize: boolean;
  readonly durationS?: number;
  readonly physicsHz: number;
  readonly zeroPolicy?: boolean;
  /** Called after each episode with (episodes done, successes so far). */
  readonly progress?: (done: number, successes: number) => void;
}

export interface EvalSummary {
  command: 'eval';
  robot: string;
  policy: string;
  episodes: number;
  success_rate: number;
  mean_return: number;
  mean_steps: number;
  seed: number;
  randomize: boolean;
  safety_events: Record<string, number>;
}

/** Runs `episodes` episodes, episode k seeded by episodeSeed(seed, k), and summarises them. */
export async function runEval(o: EvalOptions): Promise<EvalSummary> {
  const session = await openSimSession({ robot: o.robot, policy: o.policy, physicsHz: o.physicsHz, zeroPolicy: o.zeroPolicy });
  let successes = 0, returns = 0, steps = 0;
  const safetyEvents: Record<string, number> = {};
  try {
    for (let k = 0; k < o.episodes; k++) {
      const r = await runEpisode(session, { seed: episodeSeed(o.seed, k), randomize: o.randomize, durationS: o.durationS });
      if (r.success) successes++;
      returns += r.episodeReturn;
      steps += r.steps;
      for (const [kind, n] of Object.entries(r.safety.counts)) if (n > 0) safetyEvents[kind] = (safetyEvents[kind] ?? 0) + n;
      o.progress?.(k + 1, successes);
    }
  } finally {
    await session.close();
  }
  return {
    command: 'eval',
    robot: o.robot,
    policy: o.zeroPolicy ? `${o.policy} (zero actions)` : o.policy,
    episodes: o.episodes,
    success_rate: round(successes / o.episodes, 4),
    mean_return: round(returns / o.episodes, 4),
    mean_steps: round(steps / o.episodes, 2),
    seed: o.seed,
    randomize: o.randomize,
    safety_events: safetyEvents,
  };
}
