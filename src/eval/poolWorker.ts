/** A worker thread of runPool: opens one session, runs the episodes it is handed, one at a time. */
import { parentPort, workerData } from 'node:worker_threads';
import type { SessionSource } from '../session/index.ts';
import { runEpisodeOutcome } from './runOne.ts';
import { errorData } from '../core/errors.ts';
import type { EvalSpec } from './types.ts';

const { spec, source } = workerData as { spec: EvalSpec; source: string };
const port = parentPort!;
try {
  const { sessions } = (await import(source)) as { sessions: SessionSource };
  const session = await sessions.open(spec.session);
  port.on('message', async (m: { index?: number; done?: boolean }) => {
    if (m.done) {
      await session.close();
      port.close();
      return;
    }
    try {
      port.postMessage({ outcome: await runEpisodeOutcome(session, spec, m.index!) });
    } catch (e) {
      port.postMessage({ error: errorData(e) });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: errorData(e) });
}
