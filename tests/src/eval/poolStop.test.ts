/**
 * `axon eval --workers N` on a signal (src/eval/pool.ts, docs/eval.md "Ending an eval early"): no
 * further episode is handed out, the episodes in flight are stopped and not scored, and a worker
 * thread that does not end is terminated after a bounded grace. Before, runPool took no stop: the
 * eval died of the signal with no summary, and nothing bounded a hung thread.
 */
import { describe, expect, it } from 'vitest';
import { runPool } from '../../../src/eval/pool.ts';
import { sessions } from '../../../sim/session/index.ts';
import { HUNG_CHANNEL, sessions as hung } from '../../helpers/hungSessions.ts';
import type { EpisodeOutcome, EvalSpec } from '../../../src/eval/types.ts';

const spec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, durationS: 600, seed: 11, episodes: 8 };

describe('eval worker threads stopped by a signal', () => {
  it('stops handing out episodes; the episodes in flight stop after their tick and are not scored', async () => {
    const stop = new AbortController();
    const got: EpisodeOutcome[] = [];
    const end = await runPool(spec, 2, (o) => {
      // 200 ms after the first episode ended (30000 ticks, seconds each), its thread is early in
      // its next one. Not at once: the threads run in step and the other might end its first
      // episode within the 500 ticks it takes to read the stop.
      if (got.push(o) === 1) setTimeout(() => stop.abort('SIGTERM'), 200);
    }, sessions, stop.signal);
    expect(end.terminated).toBe(0); // each thread ended its episode itself, within the grace
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThan(8);
    expect(end.stopped.length).toBeGreaterThanOrEqual(1);
    for (const o of got) {
      expect(o.steps).toBe(30000); // only whole episodes come back
      expect(end.stopped).not.toContain(o.index);
    }
    // Nothing handed out after the stop: the episodes seen are the first ones, with no gap.
    expect([...got.map((o) => o.index), ...end.stopped].sort((a, b) => a - b)).toEqual([...Array(got.length + end.stopped.length).keys()]);
  }, 60_000);

  it('a hung worker thread cannot hang the eval: terminated after the grace, its episode listed as stopped', async () => {
    const stop = new AbortController();
    const started = new BroadcastChannel(HUNG_CHANNEL);
    let n = 0;
    started.onmessage = () => {
      if (++n === 2) stop.abort('SIGINT'); // both threads spinning in an episode
    };
    try {
      const got: EpisodeOutcome[] = [];
      const end = await runPool({ ...spec, episodes: 4 }, 2, (o) => got.push(o), hung, stop.signal, 300);
      expect(got).toEqual([]);
      expect(end).toEqual({ stopped: [0, 1], terminated: 2, stuck: 0 });
    } finally {
      started.close();
    }
  }, 30_000);
});
