/**
 * A session source whose episodes block in native code (a synchronous read of the FIFO named by
 * AXON_TEST_FIFO, which nobody writes until the test does): what worker.terminate() cannot
 * interrupt. Each episode writes `<fifo>.started` first. For tests/src/eval/poolNative.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { EpisodeSession, SessionSource } from '../../src/session/index.ts';

export const sessions: SessionSource = {
  module: import.meta.url,
  open: async () =>
    ({
      runEpisode: async () => {
        const fifo = process.env.AXON_TEST_FIFO!;
        writeFileSync(`${fifo}.started`, '1');
        readFileSync(fifo);
        return {};
      },
      close: async () => {},
    }) as unknown as EpisodeSession,
};
