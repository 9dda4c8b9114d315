import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import type { Clock, Tick } from './types.ts';
import { steadyNow } from './sleep.ts';
import { AdaptiveSleeper } from './AdaptiveSleeper.ts';
import { AxonError } from '../core/errors.ts';

export interface WorkerClockOptions {
  /** Share of a core the timing thread's spin may burn (AdaptiveSleeper). Default 0.06. */
  readonly cpuBudget?: number;
  /**
   * Share of a core this thread may spin: the worker notifies this much earlier than the
   * deadline (the learned p99 of this thread's wake-up after a notify) and this thread spins the
   * rest. 0 = notify at the deadline, no spin here. Default 0.06.
   */
  readonly mainBudget?: number;
  /** A fixed spin margin (s) instead of a learned one. */
  readonly fixedMargin?: number;
  /** Lateness samples kept from the timing thread (its own period error, for benchmarks). */
  readonly ring?: number;
  /**
   * Seconds the timing thread may take to load and say it is ready, else CLOCK_LOST and the thread
   * is ended. Default 60: on this 2-core machine at load average 21, 200 starts took up to 27 s.
   */
  readonly readyTimeoutS?: number;
}

/** What the timing thread reports: its learned margin, its spin time, and its own wake lateness. */
export interface WorkerClockTiming {
  readonly margin: number;
  readonly spunS: number;
  readonly wakes: number;
  /** The last min(wakes, ring) lateness values at the timing thread's wake (s), oldest first. */
  lateness(): Float64Array;
}

const RING = 6;

/**
 * Real time from a dedicated timing thread: a worker sleeps to each deadline of the grid
 * start + k·period with Atomics.wait and a learned spin (AdaptiveSleeper), publishes k in shared
 * memory and notifies; this thread waits for it with Atomics.waitAsync (its event loop stays free
 * for I/O between ticks) and emits the tick. A sleeping event loop pays the host's wake-up latency
 * again on the notify, so the worker notifies `lead` early, lead being this thread's learned p99
 * wake-up after a notify (capped by `mainBudget`), and this thread spins the rest. The tick's
 * `lateness` is measured here, where the tick is handled (`npm run bench` prints both threads'
 * figures). Same overrun rule as WallClock.
 *
 * Start with `await WorkerClock.start(period)`; `close()` ends the timing thread, and a run still
 * subscribed completes (as does one that a newer run replaced: the thread serves one run at a
 * time). If the thread ends before that (it threw, or was terminated), a run's ticks end with an
 * AxonError CLOCK_LOST.
 */
export class WorkerClock implements Clock {
  overruns = 0;
  /** This thread's side: the wake-up margin it learned after notifies, and its spin. */
  main: AdaptiveSleeper;
  /** Where the time base starts (steady s): when the clock was made; it does not jump at a run's start (WallClock). */
  private readonly origin = steadyNow();
  private closed = false;
  private warmUp: (() => void) | undefined;

  private constructor(
    readonly period: number,
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly values: Float64Array,
    private readonly mainBudget: number,
  ) {
    this.main = this.newMain();
  }

  private newMain(): AdaptiveSleeper {
    const main = new AdaptiveSleeper({ period: this.period, cpuBudget: this.mainBudget, ...(this.mainBudget <= 0 ? { fixedMargin: 0 } : {}) });
    main.warm = this.warmUp;
    return main;
  }

  setWarmUp(fn: (() => void) | undefined): void {
    this.warmUp = fn;
    this.main.warm = fn;
  }

  static async start(period: number, o: WorkerClockOptions = {}): Promise<WorkerClock> {
    const control = new SharedArrayBuffer(4 * 4);
    const values = new SharedArrayBuffer(8 * (RING + (o.ring ?? 4096)));
    // Workers do not inherit tsx: register it explicitly (docs/dependencies.md).
    const worker = new Worker(new URL('../policy/worker.boot.mjs', import.meta.url), {
      workerData: {
        entry: new URL('./timingWorker.ts', import.meta.url).href,
        control,
        values,
        mainOrigin: performance.timeOrigin,
        cpuBudget: o.cpuBudget ?? 0.06,
        ...(o.fixedMargin !== undefined ? { fixedMargin: o.fixedMargin } : {}),
      },
    });
    // Ready = idle in its loop, waiting for a run (tsx and the module take a while to load). Never
    // waited on for ever: a thread that does not come up is ended and the start fails.
    const limitS = o.readyTimeoutS ?? 60;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        once(worker, 'message'),
        once(worker, 'error').then(([e]) => Promise.reject(e)),
        once(worker, 'exit').then(([code]) => Promise.reject(new AxonError('CLOCK_LOST', 'WorkerClock', `the timing thread exited (code ${code}) before it was ready`, 'a timing thread that starts'))),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new AxonError('CLOCK_LOST', 'WorkerClock', `the timing thread was not ready within ${limitS} s`, 'a timing thread that starts (a machine this loaded cannot pace a real-time loop either)')), limitS * 1000);
        }),
      ]);
    } catch (e) {
      await worker.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    // Idle, it must not keep the process alive (a run keeps it alive with a timer of its own).
    worker.unref();
    const clock = new WorkerClock(period, worker, new Int32Array(control), new Float64Array(values), o.mainBudget ?? 0.06);
    let failure: string | undefined;
    worker.on('error', (e) => (failure = `the timing thread failed: ${e instanceof Error ? e.message : String(e)}`));
    worker.once('exit', (code) => clock.threadLost(failure ?? `the timing thread exited (code ${code})`));
    return clock;
  }

  /** Why the timing thread is gone before close() (it threw, or was ended); undefined while it runs. */
  get lost(): string | undefined {
    return this._lost;
  }

  private _lost: string | undefined;
  private readonly lostListeners = new Set<(why: string) => void>();

  private threadLost(why: string): void {
    if (this.closed || this._lost !== undefined) return;
    this._lost = why;
    for (const f of [...this.lostListeners]) f(why);
  }

  now(): number {
    return steadyNow() - this.origin;
  }

  get timing(): WorkerClockTiming {
    const v = this.values;
    const size = v.length - RING;
    const wakes = v[4];
    return {
      margin: v[2],
      spunS: v[3],
      wakes,
      lateness: () => {
        const n = Math.min(wakes, size);
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = v[RING + ((wakes - n + i) % size)];
        return out;
      },
    };
  }

  /**
   * @param gridStart where the run's grid start + k·period begins (steady s, not in the future);
   *   default the subscription's time. An owner with its own grid (the bridge server's loop)
   *   passes its origin so that the ticks land on its deadlines.
   */
  ticks(done$: Observable<unknown>, gridStart?: number): Observable<Tick> {
    return new Observable<Tick>((sub) => {
      const c = this.control;
      const main = (this.main = this.newMain());
      const start = Math.min(gridStart ?? Infinity, steadyNow()); // the run's grid: start + k·period
      this.values[5] = main.earlyBy;
      this.values[0] = start;
      this.values[1] = this.period;
      this.values[4] = 0;
      Atomics.store(c, 0, 0);
      Atomics.add(c, 2, 1); // a new run for the timing thread
      Atomics.notify(c, 2);
      const generation = Atomics.load(c, 2);
      // The last tick emitted, and the last value read from the shared word (they differ for a publish not taken).
      let seen = 0;
      let observed = 0;
      let seq = 0;
      let busy = false;
      let stopped = false;
      const doneSub = done$.subscribe(() => {
        busy = false;
      });
      const emit = (k: number, lateness: number) => {
        if (busy) {
          this.overruns++;
          return;
        }
        busy = true;
        sub.next({ seq: seq++, time: start - this.origin + k * this.period, lateness });
      };
      const wait = async () => {
        while (!stopped && !this.closed && Atomics.load(c, 2) === generation) {
          const w = Atomics.waitAsync(c, 0, observed, 1000);
          if (w.async) await w.value;
          const k = Atomics.load(c, 0);
          if (k === observed || stopped) continue;
          observed = k;
          const deadline = start + k * this.period;
          const t = steadyNow();
          // Not this run's tick: the timing thread was still on the previous run's grid when this
          // one began (a deadline far ahead), or it restarted its count on this grid (k already emitted).
          if (k <= seen || deadline > t + this.period) continue;
          // Ticks published while this thread was busy elsewhere are overruns; the newest is emitted.
          if (k > seen + 1) this.overruns += k - seen - 1;
          seen = k;
          // Woken `lead` before the deadline (when this thread was quick): learn the wake-up, spin the rest.
          const lead = this.values[5];
          if (lead > 0) main.observe(t - (deadline - lead));
          const lateness = main.margin > 0 || main.warm !== undefined ? main.spin(t, deadline) : t - deadline;
          this.values[5] = main.earlyBy;
          emit(k, lateness);
        }
        // Not unsubscribed, yet no tick can come: the clock was closed, or a newer run took the
        // timing thread. The run completes, and its keep-alive timer goes with it: a run left
        // subscribed must not hold the process after close (nor wait for ever).
        if (!stopped) sub.complete();
      };
      // No thread, no ticks: the run ends with an error (its owner puts the robot in its safe state)
      // rather than waiting for a tick that never comes.
      const onLost = (why: string) => {
        stopped = true;
        sub.error(new AxonError('CLOCK_LOST', 'WorkerClock', why, 'a timing thread that runs until close()'));
      };
      if (this._lost !== undefined) {
        onLost(this._lost);
        return;
      }
      this.lostListeners.add(onLost);
      // Atomics.waitAsync does not keep the event loop alive: a ref'd timer does while the run lasts.
      const keepAlive = setInterval(() => {}, 1 << 30);
      emit(0, 0);
      void wait();
      return () => {
        stopped = true;
        this.lostListeners.delete(onLost);
        clearInterval(keepAlive);
        doneSub.unsubscribe();
        // Parks the timing thread: a new generation with no run behind it.
        if (!this.closed && Atomics.load(c, 2) === generation) {
          this.values[0] = NaN;
          Atomics.add(c, 2, 1);
          Atomics.notify(c, 2);
        }
      };
    });
  }

  /** Ends the timing thread; a run still subscribed completes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, 1, 1);
    Atomics.notify(this.control, 1);
    Atomics.notify(this.control, 2);
    Atomics.notify(this.control, 0); // a run waiting for its next tick wakes now, and completes
    await this.worker.terminate();
  }
}
