/**
 * The timing thread of WorkerClock: sleeps to each deadline of the grid start + k·period with an
 * AdaptiveSleeper (Atomics.wait + learned spin, blocking is fine here), then publishes k and
 * notifies. It never posts per-tick messages. Shared words (see WorkerClock.ts):
 *   Int32  [0] published tick k   [1] quit (also the word its sleep waits on)   [2] run generation
 *   Float64 [0] the run's grid start (s, the main thread's steady base)  [1] period (s)  [2] margin (s)
 *           [3] seconds spun      [4] wake-ups             [5] lead (s): publish this long before
 *           each deadline (the main thread's learned wake-up margin)  [6...] lateness ring (s)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { AdaptiveSleeper } from './AdaptiveSleeper.ts';

interface Shared {
  readonly control: SharedArrayBuffer;
  readonly values: SharedArrayBuffer;
  /** The main thread's performance.timeOrigin (ms): both threads read time on the main thread's base. */
  readonly mainOrigin: number;
  readonly cpuBudget?: number;
  readonly fixedMargin?: number;
}

const d = workerData as Shared;
const control = new Int32Array(d.control);
const values = new Float64Array(d.values);
const RING = 6;
const ringSize = values.length - RING;
const offsetMs = performance.timeOrigin - d.mainOrigin;
const now = () => (offsetMs + performance.now()) / 1000;
const block = (s: number) => void Atomics.wait(control, 1, 0, s * 1000);

let generation = 0;
parentPort!.postMessage({ ready: true });
while (Atomics.load(control, 1) === 0) {
  // Idle until the main thread starts a run (bumps the generation) or quits.
  while (Atomics.load(control, 2) === generation && Atomics.load(control, 1) === 0) Atomics.wait(control, 2, generation, 1000);
  if (Atomics.load(control, 1) !== 0) break;
  generation = Atomics.load(control, 2);
  const origin = values[0];
  const period = values[1];
  if (!Number.isFinite(origin)) continue; // parked: the run was unsubscribed
  const sleeper = new AdaptiveSleeper({
    period,
    now,
    block,
    ...(d.cpuBudget !== undefined ? { cpuBudget: d.cpuBudget } : {}),
    ...(d.fixedMargin !== undefined ? { fixedMargin: d.fixedMargin } : {}),
  });
  let k = 1;
  let w = 0;
  while (Atomics.load(control, 1) === 0 && Atomics.load(control, 2) === generation) {
    const lateness = sleeper.sleepUntil(origin + k * period - values[5]);
    if (Atomics.load(control, 2) !== generation) break; // a new run began while this one slept: not its tick
    Atomics.store(control, 0, k);
    Atomics.notify(control, 0);
    values[2] = sleeper.margin;
    values[3] = sleeper.spunS;
    values[RING + (w % ringSize)] = lateness;
    values[4] = ++w;
    // A late wake skips the deadlines already past (the main thread counts them as overruns).
    k = Math.max(k + 1, Math.floor((now() - origin) / period) + 1);
  }
}
