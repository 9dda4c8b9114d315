import type { SessionSource } from '../session/index.ts';
import { runEpisodeOutcome, runEpisodeUntil } from './runOne.ts';
import { round } from '../core/round.ts';
import { AxonError } from '../core/errors.ts';
import type { EpisodeOutcome, EvalSpec, EvalSummary, SpecWorldModel } from './types.ts';

/**
 * Runs the episodes `indices` of `spec` in this thread, one session (from `sessions`) for all of them.
 * `stop` (a signal): the running episode is stopped after its tick in progress and not reported, and
 * no further episode starts.
 */
export async function runEpisodes(spec: EvalSpec, indices: Iterable<number>, onOutcome: (o: EpisodeOutcome) => void, sessions: SessionSource, stop?: AbortSignal): Promise<{ stopped?: number }> {
  const session = await sessions.open(spec.session);
  try {
    for (const index of indices) {
      if (!stop) {
        onOutcome(await runEpisodeOutcome(session, spec, index));
        continue;
      }
      if (stop.aborted) break;
      const o = await runEpisodeUntil(session, spec, index, stop);
      if (!o) return { stopped: index };
      onOutcome(o);
    }
    return {};
  } finally {
    await session.close();
  }
}

/** The most episodes one eval takes (`--episodes`): every mode keeps per-episode results in memory. */
export const MAX_EVAL_EPISODES = 10_000_000;

/**
 * The summary of a complete set of outcomes. Sums run in episode order, so the figures are
 * bit-identical however the episodes were spread over threads, processes or machines.
 * Refuses a set with a missing or duplicated episode.
 */
export function summarize(spec: EvalSpec, outcomes: readonly EpisodeOutcome[]): EvalSummary {
  const byIndex = new Array<EpisodeOutcome | undefined>(spec.episodes);
  for (const o of outcomes) {
    if (o.index < 0 || o.index >= spec.episodes) throw new AxonError('EVAL_RESULTS', `episode ${o.index}`, 'is outside the run', `0..${spec.episodes - 1}`);
    if (byIndex[o.index]) throw new AxonError('EVAL_RESULTS', `episode ${o.index}`, 'was reported twice');
    byIndex[o.index] = o;
  }
  // Counted by index: the array is sparse, and filter() skips its holes (it said "0 missing").
  let missing = -1, gaps = 0;
  for (let i = 0; i < byIndex.length; i++)
    if (!byIndex[i]) {
      if (missing < 0) missing = i;
      gaps++;
    }
  if (missing >= 0) throw new AxonError('EVAL_RESULTS', `episode ${missing}`, `has no result (${gaps} of ${spec.episodes} episodes missing)`);
  let successes = 0, returns = 0, steps = 0;
  const events: Record<string, number> = {};
  for (const o of byIndex as EpisodeOutcome[]) {
    if (o.success) successes++;
    returns += o.return;
    steps += o.steps;
    for (const [k, n] of Object.entries(o.events)) events[k] = (events[k] ?? 0) + n;
  }
  const n = spec.episodes;
  return {
    command: 'eval',
    robot: spec.session.robot,
    policy: spec.session.zeroPolicy ? `${spec.session.policy} (zero actions)` : (spec.session.policy ?? `none (planning with ${spec.session.worldModel?.dir})`),
    episodes: n,
    success_rate: round(successes / n, 4),
    failure_rate: round(1 - successes / n, 4),
    mean_return: round(returns / n, 4),
    mean_steps: round(steps / n, 2),
    seed: spec.seed,
    randomize: spec.randomize,
    safety_events: events,
    // The engine is named when it is not the default cannon-es, so that summaries from one thread,
    // workers, shards, a queue or `eval merge` say the same (docs/mujoco.md).
    ...(spec.session.physics === 'mujoco' ? { physics: spec.session.physics } : {}),
    ...describeSpec(spec, byIndex as EpisodeOutcome[]),
  };
}

/**
 * What a summary says of the episodes' perturbations and world model, from the spec alone (and the
 * outcomes' shield vetoes), so that a local eval, `--workers`, `--queue` and `eval merge` all say
 * it: before, only the local eval did, and a sharded figure with `--action-noise` or `--fault` read
 * exactly like a clean one (review R29 F4).
 */
export function describeSpec(spec: EvalSpec, outcomes: readonly EpisodeOutcome[]): Pick<EvalSummary, 'action_noise' | 'fault' | 'world_model'> {
  const s = spec.session;
  const wm = s.worldModel;
  let world_model: SpecWorldModel | undefined;
  if (wm) {
    world_model = { model: wm.dir, mode: wm.mode };
    if (wm.mode === 'shield') {
      let vetoes = 0, episodes = 0;
      for (const o of outcomes) {
        const v = o.events.shield_veto ?? 0;
        vetoes += v;
        if (v > 0) episodes++;
      }
      world_model.shield = { vetoes, episodes_with_veto: episodes };
    }
  }
  return {
    ...(s.actionNoise ? { action_noise: s.actionNoise } : {}),
    ...(s.fault ? { fault: s.fault } : {}),
    ...(world_model ? { world_model } : {}),
  };
}

/** Episode indices of shard k of n (0-based k, as Kubernetes' JOB_COMPLETION_INDEX): k, k+n, k+2n, ... */
export function shardIndices(episodes: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = k; i < episodes; i += n) out.push(i);
  return out;
}
