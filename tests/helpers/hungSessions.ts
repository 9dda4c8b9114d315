/**
 * A session source whose episodes hang in a synchronous loop that never yields (a stuck policy, a
 * physics step that never returns): the worst an eval worker thread can do. Each episode says it
 * started on the BroadcastChannel `HUNG_CHANNEL` before it spins. For tests/src/eval/poolStop.test.ts.
 */
import type { EpisodeSession, SessionSource } from '../../src/session/index.ts';

export const HUNG_CHANNEL = 'axon-test-hung-episode';

export const sessions: SessionSource = {
  module: import.meta.url,
  open: async () =>
    ({
      runEpisode: async () => {
        const c = new BroadcastChannel(HUNG_CHANNEL);
        c.postMessage('started');
        c.close();
        for (;;);
      },
      close: async () => {},
    }) as unknown as EpisodeSession,
};
