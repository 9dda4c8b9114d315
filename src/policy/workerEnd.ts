/**
 * Ending an inference worker thread that may be stuck in a native call (guardedSession.ts,
 * AsyncPolicy.ts). `worker.terminate()` stops JavaScript, not a native call that never returns, and
 * Node joins every thread when the process exits: such a worker would keep the process alive
 * forever. `endWorker` gives up on it after a bound and counts it, and the CLI's endProcess ends the
 * process by a signal while any is counted.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';

const stuck = new Set<Worker>();

/** Workers given up on: asked to quit and terminated, still not ended. */
export function stuckInferenceWorkers(): number {
  return stuck.size;
}

/**
 * Asks `worker` to end (`quit()`), terminates it if it has not within `graceMs`, and resolves at its
 * exit or `graceMs` after the terminate, whichever is first. A worker still running then is counted
 * stuck until it does exit.
 */
export async function endWorker(worker: Worker, quit: () => void, graceMs = 1000): Promise<void> {
  const exited = once(worker, 'exit');
  quit();
  if (await within(exited, graceMs)) return;
  // terminate() settles at once for a worker that had already ended (its 'exit' came before).
  if (await within(worker.terminate(), graceMs)) return;
  stuck.add(worker);
  void exited.then(() => stuck.delete(worker));
}

/** Whether `p` settles within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const done = await Promise.race([p.then(() => true, () => true), late]);
  clearTimeout(timer);
  return done;
}
