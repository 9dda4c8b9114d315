import { episodeSeed, type EpisodeResult, type EpisodeSession } from '../session/index.ts';
import type { EpisodeOutcome, EvalSpec } from './types.ts';

/** Episode `index` of `spec` on an open session. */
export async function runEpisodeOutcome(session: EpisodeSession, spec: EvalSpec, index: number): Promise<EpisodeOutcome> {
  const seed = episodeSeed(spec.seed, index);
  return episodeOutcome(index, seed, await session.runEpisode({ seed, randomize: spec.randomize, durationS: spec.durationS }));
}

/**
 * Episode `index` of `spec`, stopped after its tick in progress when `stop` aborts (a signal, a
 * worker closing): undefined then, for a stopped episode is not scored (docs/eval.md, "Ending an
 * eval early"). An abort before the loop starts stops it before its first tick. An episode whose
 * loop ended by itself before the stop reached it is returned, scored, whenever the abort fires.
 */
export async function runEpisodeUntil(session: EpisodeSession, spec: EvalSpec, index: number, stop: AbortSignal): Promise<EpisodeOutcome | undefined> {
  if (stop.aborted) return undefined;
  const seed = episodeSeed(spec.seed, index);
  let onStop: (() => void) | undefined;
  let cut = false;
  const r = await session
    .runEpisode({ seed, randomize: spec.randomize, durationS: spec.durationS }, (loop) => {
      onStop = () => {
        cut = true;
        loop.stop();
      };
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
    })
    .finally(() => onStop && stop.removeEventListener('abort', onStop));
  // Decided by the loop, not by the listener: a stop landing after the loop's last tick (while the
  // episode finishes: recorder and dataset close, policy reset) stops nothing, and that complete
  // episode is scored (and a worker keeps its job rather than putting it back).
  return cut && r.loop.stopped ? undefined : episodeOutcome(index, seed, r);
}

/** The part of an episode's result that an eval summary is made of. */
export function episodeOutcome(index: number, seed: number, r: EpisodeResult): EpisodeOutcome {
  const events: Record<string, number> = {};
  for (const [kind, n] of Object.entries(r.safety.counts)) if (n > 0) events[kind] = n;
  return { index, seed, success: r.success, return: r.episodeReturn, steps: r.steps, events };
}
