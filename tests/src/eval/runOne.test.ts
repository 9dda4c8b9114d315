/**
 * runEpisodeUntil decides "stopped" by the loop (R9 #4): an episode whose loop already ran its last
 * tick is scored even when the abort lands while it finishes (recorder/dataset close, policy reset);
 * before, the listener's flag discarded that complete episode (and `axon worker` put its job back).
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { runEpisodeUntil } from '../../../src/eval/runOne.ts';
import type { EpisodeSession } from '../../../src/session/index.ts';
import type { EvalSpec } from '../../../src/eval/types.ts';

const spec = { session: { robot: 'cartpole' }, randomize: false, durationS: 5, seed: 1, episodes: 1 } as EvalSpec;

/** A session whose loop runs `ticks` ticks of 1 ms (or until stopped), then takes `finishMs` to finish the episode. */
function fakeSession(ticks: number, finishMs: number): EpisodeSession {
  return {
    runEpisode: async (_e: unknown, onLoop?: (loop: { stop(): void }) => void) => {
      let stopRequested = false;
      onLoop?.({ stop: () => (stopRequested = true) });
      let n = 0;
      while (n < ticks && !stopRequested) {
        n++;
        await sleep(1);
      }
      const stopped = stopRequested; // read when the loop returns, as ControlLoop.run() does
      await sleep(finishMs);
      return { loop: { ticks: n, stopped, terminated: false }, steps: n, episodeReturn: n, success: true, terminated: false, safety: { counts: {} }, randomization: {} };
    },
  } as unknown as EpisodeSession;
}

describe('runEpisodeUntil', () => {
  it('scores an episode whose loop had ended when the stop landed during its finish', async () => {
    const stop = new AbortController();
    const run = runEpisodeUntil(fakeSession(5, 400), spec, 0, stop.signal);
    await sleep(200); // the 5 ticks are long done; the episode is finishing
    stop.abort('SIGINT');
    const o = await run;
    expect(o).toMatchObject({ index: 0, steps: 5, success: true });
  });

  it('still discards an episode the stop cut short', async () => {
    const stop = new AbortController();
    const run = runEpisodeUntil(fakeSession(1_000_000, 0), spec, 0, stop.signal);
    await sleep(50);
    stop.abort('SIGINT');
    expect(await run).toBeUndefined();
  });
});
