/**
 * A worker thread of runPool: opens one session, runs the episodes it is handed, one at a time.
 * `{ stop }` (the eval got a signal) stops the episode in progress after its tick: reported as
 * `{ stopped: index }`, not scored.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SessionSource } from '../session/index.ts';
import { runEpisodeUntil } from './runOne.ts';
import { errorData } from '../core/errors.ts';
import type { EvalSpec } from './types.ts';

const { spec, source } = workerData as { spec: EvalSpec; source: string };
const port = parentPort!;
const stop = new AbortController();
try {
  const { sessions } = (await import(source)) as { sessions: SessionSource };
  const session = await sessions.open(spec.session);
  port.on('message', async (m: { index?: number; done?: boolean; stop?: boolean }) => {
    if (m.stop) {
      stop.abort();
      return;
    }
    if (m.done) {
      await session.close();
      port.close();
      return;
    }
    try {
      const outcome = await runEpisodeUntil(session, spec, m.index!, stop.signal);
      port.postMessage(outcome ? { outcome } : { stopped: m.index });
    } catch (e) {
      port.postMessage({ error: errorData(e) });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: errorData(e) });
}
