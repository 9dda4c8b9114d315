import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { actionSize, observationSize, ManifestError, type ModelFolder, type ModelManifest } from '../model/manifest.ts';
import type { Policy, PolicyStatus } from './Policy.ts';
import { errorFromData, type ErrorData } from '../core/errors.ts';
import { endWorker } from './workerEnd.ts';

export interface AsyncPolicyOptions {
  /**
   * A request outstanding longer than this is a stall (s, judged on the loop clock: the `now`
   * act() is given): the loop reports a deadline miss. It bounds the wait for the first action too.
   */
  readonly stallS: number;
  /** Test hook: extra time each inference takes in the worker (ms). */
  readonly delayMs?: number;
}

/**
 * Runs the policy in a worker thread; act() never waits. Each tick it hands the newest input to
 * the worker when the worker is idle and returns the newest finished action. Before the first
 * answer since reset() there is no action: act() returns a placeholder of zeros and `status.pending`
 * is true, and the loop holds instead of sending it (ControlLoop: zero is not "no motion", a
 * joint_position policy's zero is the manifest's default pose). `status` reports the action's
 * age in ticks, the last inference time and whether the outstanding request has stalled: older
 * than `stallS` on the loop clock (the `now` the loop passes act(); ticks × period only for a
 * caller that passes none), the first request included. Shared memory carries inputs and
 * outputs: no per-tick messages.
 */
export class AsyncPolicy implements Policy {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly status: PolicyStatus = { actionAge: 0, inferenceS: 0, stalled: false, pending: true };
  private readonly control: Int32Array;
  private readonly input: Float32Array;
  private readonly output: Float32Array;
  private readonly timing: Float64Array;
  private readonly action: Float32Array;
  /** Tick at which each request seq was submitted (ring of 64). */
  private readonly submitted = new Float64Array(64);
  private tick = 0;
  private answered = 0;
  private answerTick = -1;
  /** Loop-clock time (s) at which the outstanding request was submitted. */
  private requestTime = 0;
  /** Requests up to this seq were made before the last reset(): their answers are not this episode's. */
  private discardUpTo = 0;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly worker: Worker,
    private readonly o: AsyncPolicyOptions & { period: number },
    buffers: { control: SharedArrayBuffer; input: SharedArrayBuffer; output: SharedArrayBuffer; timing: SharedArrayBuffer },
  ) {
    this.control = new Int32Array(buffers.control);
    this.timing = new Float64Array(buffers.timing);
    this.inputSize = observationSize(manifest);
    this.outputSize = actionSize(manifest);
    this.input = new Float32Array(buffers.input);
    this.output = new Float32Array(buffers.output);
    this.action = new Float32Array(this.outputSize);
    // A worker that dies never answers again: the outstanding request then counts as stalled.
    worker.on('error', (e) => {
      this.failure = e;
    });
  }

  /** The worker's error, if it died. */
  failure: Error | undefined;

  static async load(folder: ModelFolder, o: AsyncPolicyOptions): Promise<AsyncPolicy> {
    const m = folder.manifest;
    if (m.action.chunk || m.recurrent) throw new ManifestError('MANIFEST_FIELD', `${folder.dir}/manifest.json#/action`, 'chunked or recurrent policies cannot run with --async yet', 'a plain feed-forward policy');
    const control = new SharedArrayBuffer(16);
    const input = new SharedArrayBuffer(4 * observationSize(m));
    const output = new SharedArrayBuffer(4 * actionSize(m));
    const timing = new SharedArrayBuffer(8);
    // Workers do not inherit tsx: register it explicitly (docs/dependencies.md).
    const worker = new Worker(new URL('./worker.boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./policyWorker.ts', import.meta.url).href, dir: folder.dir, control, input, output, timing, delayMs: o.delayMs ?? 0 },
    });
    const [msg] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([e]) => Promise.reject(e))])) as [{ ready: boolean; error?: ErrorData }];
    if (!msg.ready) {
      await once(worker, 'exit');
      throw msg.error ? errorFromData(msg.error) : new Error('policy worker did not start');
    }
    return new AsyncPolicy(m, worker, { ...o, period: 1 / m.control_hz }, { control, input, output, timing });
  }

  reset(): void {
    this.action.fill(0);
    this.tick = 0;
    this.answerTick = -1;
    this.status.pending = true;
    this.answered = Atomics.load(this.control, 1);
    this.discardUpTo = Atomics.load(this.control, 0);
  }

  /**
   * @param now the loop clock's time (s) at the call; default tick count × period (a caller
   *   without a clock). The stall bound is judged on it.
   */
  act(input: Float32Array, now: number = this.tick * this.o.period): Float32Array {
    const c = this.control;
    const answer = Atomics.load(c, 1);
    // An answer to a request made before reset() (in flight across a stop and re-arm) is dropped:
    // it was computed from the old episode's input (review R16 finding 4).
    if (answer !== this.answered && ((answer - this.discardUpTo) | 0) <= 0) this.answered = answer;
    if (answer !== this.answered) {
      this.answered = answer;
      this.action.set(this.output);
      this.answerTick = this.submitted[answer % 64];
      this.status.inferenceS = this.timing[0];
    }
    if (Atomics.load(c, 2) === 0) {
      this.input.set(input);
      Atomics.store(c, 2, 1);
      const seq = Atomics.load(c, 0) + 1;
      this.submitted[seq % 64] = this.tick;
      this.requestTime = now;
      Atomics.store(c, 0, seq);
      Atomics.notify(c, 0);
    }
    this.status.pending = this.answerTick < 0;
    this.status.actionAge = this.answerTick < 0 ? this.tick + 1 : this.tick - this.answerTick;
    this.status.stalled = this.failure !== undefined || (Atomics.load(c, 2) === 1 && now - this.requestTime > this.o.stallS);
    this.tick++;
    return this.action;
  }

  /**
   * Asks the worker to release its session and end; terminates it if it does not within 2 s, and
   * gives up on it 2 s later (a native call that never returns: workerEnd.ts).
   */
  async close(): Promise<void> {
    await endWorker(
      this.worker,
      () => {
        Atomics.store(this.control, 3, 1);
        Atomics.notify(this.control, 0);
      },
      2000,
    );
  }
}
