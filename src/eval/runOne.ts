import { episodeSeed, type EpisodeResult, type EpisodeSession } from '../session/index.ts';
import type { EpisodeOutcome, EvalSpec } from './types.ts';

/** Episode `index` of `spec` on an open session. */
export async function runEpisodeOutcome(session: EpisodeSession, spec: EvalSpec, index: number): Promise<EpisodeOutcome> {
  const seed = episodeSeed(spec.seed, index);
  return episodeOutcome(index, seed, await session.runEpisode({ seed, randomize: spec.randomize, durationS: spec.durationS }));
}

/** The part of an episode's result that an eval summary is made of. */
export function episodeOutcome(index: number, seed: number, r: EpisodeResult): EpisodeOutcome {
  const events: Record<string, number> = {};
  for (const [kind, n] of Object.entries(r.safety.counts)) if (n > 0) events[kind] = n;
  return { index, seed, success: r.success, return: r.episodeReturn, steps: r.steps, events };
}
