import type { ModelManifest } from '../model/manifest.ts';

/**
 * A learned (or scripted) controller: model input vector in, raw action vector out. The output
 * array may be reused by the policy: it is valid until the next act(). act() may be synchronous
 * (a JS forward pass) or return a promise (onnxruntime-node's run is asynchronous).
 */
export interface Policy {
  readonly manifest: ModelManifest;
  /** Length of the flat input vector (from the manifest). */
  readonly inputSize: number;
  /** Length of the raw action vector. */
  readonly outputSize: number;
  /**
   * Clears any internal state (recurrent state, queued chunks) at an episode start. The loop also
   * calls it when an operator re-arms the supervisor after a stop, so that a NaN that got into
   * the state cannot latch past the reset.
   */
  reset(): void;
  /**
   * The loop gives only finite inputs (ObservationBuilder replaces bad values). A recurrent policy
   * feeds a state back only when every value of it is finite (|x| <= 1e10), keeping the previous
   * one otherwise; its action may still be bad, which the safety supervisor rejects. A promise is
   * raced against the tick's budget (ControlLoop StageDeadlines): one that settles late is dropped;
   * a synchronous answer is timed against the same budget when it returns (late: the tick holds).
   * @param now the loop clock's time (s) at the call, for a policy that judges time itself
   *   (AsyncPolicy's stall bound); others ignore it
   */
  act(input: Float32Array, now?: number): Float32Array | Promise<Float32Array>;
  /**
   * Optional: runs the model once on its last input and throws the result away, changing nothing
   * that act() reads or returns (state, outputs). A paced loop calls it shortly before each tick
   * (Clock.setWarmUp) so that the tick's call finds the inference code and data in cache: after a
   * 20 ms sleep a 5 µs onnxruntime call takes 70-110 µs (docs/timing.md). Synchronous policies only.
   */
  prewarm?(): void;
  close(): Promise<void>;
  /** For policies that run apart from the loop (async): updated by every act(). */
  readonly status?: PolicyStatus;
}

/** How fresh an asynchronous policy's action is. */
export interface PolicyStatus {
  /** Ticks since the input that produced the current action was taken. */
  actionAge: number;
  /** Duration of the last inference (s). */
  inferenceS: number;
  /** The outstanding request is older than the policy's stall bound (s, on the loop clock). */
  stalled: boolean;
  /**
   * No action yet since reset(): what act() returned is a placeholder, never to be sent. The loop
   * holds (SafetySupervisor.holdPending: degraded, the hold pose, no deadline miss counted) until
   * the first action, or until `stalled` makes it a deadline miss.
   */
  pending: boolean;
}

/** Outputs zeros with the manifest's shapes: the do-nothing baseline an eval compares against. */
export class ZeroPolicy implements Policy {
  private readonly out: Float32Array;
  constructor(
    readonly manifest: ModelManifest,
    readonly inputSize: number,
    readonly outputSize: number,
  ) {
    this.out = new Float32Array(outputSize);
  }
  reset(): void {}
  act(): Float32Array {
    return this.out;
  }
  async close(): Promise<void> {}
}
