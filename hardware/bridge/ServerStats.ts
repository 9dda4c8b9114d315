/**
 * The bridge server's counters and round-trip samples (hardware/PROTOCOL.md `stats`): state
 * frames sent, commands accepted and refused, loop overruns, error replies sent and dropped, and
 * the round trip from a state frame to the command that acknowledges it.
 *
 * Real-time rules: `stateSent` and `acked` run on the loop and the command-frame path and
 * allocate nothing (rings sized at construction); `message` allocates (control messages only).
 */
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import type { StatsMessage } from './messages.ts';

const RTT_CAPACITY = 1 << 16;
const SENT_RING = 1 << 10;

/** Counters since listen (public on BridgeServer as `counts`). */
export interface ServerCounts {
  stateFramesSent: number;
  commandsAccepted: number;
  commandsRejected: number;
  overruns: number;
  framesDropped: number;
  errorsSent: number;
  errorsDropped: number;
}

export class ServerStats {
  readonly counts: ServerCounts = { stateFramesSent: 0, commandsAccepted: 0, commandsRejected: 0, overruns: 0, framesDropped: 0, errorsSent: 0, errorsDropped: 0 };
  private readonly _sentSeq = new Uint32Array(SENT_RING);
  private readonly _sentAt = new Float64Array(SENT_RING);
  private readonly _rtt = new Float64Array(RTT_CAPACITY);
  private _rttCount = 0;

  /** A state frame `seq` went out at server time `now` (s). */
  stateSent(seq: number, now: number): void {
    const i = seq & (SENT_RING - 1);
    this._sentSeq[i] = seq;
    this._sentAt[i] = now;
    this.counts.stateFramesSent++;
  }

  /** An accepted command acknowledged state frame `ack` at server time `now` (s): one round-trip sample per state frame. */
  acked(ack: number, now: number): void {
    if (ack === 0) return;
    const i = ack & (SENT_RING - 1);
    if (this._sentSeq[i] !== ack) return;
    this._rtt[this._rttCount % RTT_CAPACITY] = now - this._sentAt[i];
    this._rttCount++;
    this._sentSeq[i] = 0;
  }

  /** The `stats` reply at server time `now` (s). Allocates. */
  message(now: number): StatsMessage {
    const n = Math.min(this._rttCount, RTT_CAPACITY);
    const p = percentilesUs(this._rtt.subarray(0, n));
    const c = this.counts;
    return {
      type: 'stats',
      time: now,
      stateFramesSent: c.stateFramesSent,
      commandsAccepted: c.commandsAccepted,
      commandsRejected: c.commandsRejected,
      roundTripUs: { count: this._rttCount, p50: p.p50, p99: p.p99, max: p.max },
      overruns: c.overruns,
      errorsSent: c.errorsSent,
      errorsDropped: c.errorsDropped,
    };
  }

  /** Clears the round-trip samples (benchmarks measure a window). */
  clearRoundTrips(): void {
    this._rttCount = 0;
  }
}
