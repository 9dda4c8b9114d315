// Boots the recorder's writer thread. First it lowers this thread's scheduling priority (Linux:
// /proc/thread-self names the thread, and setpriority on a thread id renices that thread alone);
// the threads it starts next (tsx's loader, esbuild's) inherit it, so that even the start-up
// (about 0.7 s of CPU) yields to the loop's thread when the cores are short. Then, as
// src/policy/worker.boot.mjs does, it registers tsx (worker threads do not inherit it from the
// parent) and loads the module named in workerData.entry.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0 && tid !== process.pid && getPriority(tid) < workerData.nice) setPriority(tid, workerData.nice);
} catch {
  // no /proc, or not allowed: the writer keeps the loop's priority
}
const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
