import { Subject, type Observable } from 'rxjs';
import type { SafetyEvent, SafetyEventKind, SafetyState } from './types.ts';

const _kinds: readonly SafetyEventKind[] = [
  'position_clamp',
  'velocity_clamp',
  'effort_clamp',
  'rate_limit',
  'soft_start',
  'non_finite',
  'stale_observation',
  'bad_observation',
  'policy_deadline',
  'world_model_deadline',
  'world_model_error',
  'gain_clamp',
  'safe_stop',
  'estop',
  'reset',
  'state_change',
  'shield_veto',
  'surprise',
  'overspeed',
  'state_watchdog',
];

/**
 * The safety supervisor's event bookkeeping: each event goes to the subscribers of `events$`
 * synchronously, is counted by kind, and is kept in `tick` with the other events of its tick.
 * SafetySupervisor exposes these as events$, counts and tickEvents.
 *
 * Real-time rules: emit() never throws and allocates only the event object (its reason string is
 * the caller's).
 */
export class SafetyEvents {
  /** Every event, synchronously, as it happens. */
  readonly events$: Observable<SafetyEvent>;
  /** Events by kind since construction. */
  readonly counts: Record<SafetyEventKind, number>;
  /**
   * Events of the last check(): cleared when the next tick starts, so it also holds events raised
   * between two checks (arm, estop, reportDeadlineMiss) together with those of the check after them.
   */
  readonly tick: SafetyEvent[] = [];

  private readonly _subject = new Subject<SafetyEvent>();
  private _clearTick = false;

  constructor() {
    this.events$ = this._subject.asObservable();
    this.counts = Object.fromEntries(_kinds.map((k) => [k, 0])) as Record<SafetyEventKind, number>;
  }

  /** A tick starts (a check(), or an event): the events of the tick that ended are dropped. */
  startTick(): void {
    if (this._clearTick) {
      this.tick.length = 0;
      this._clearTick = false;
    }
  }

  /** check() is done: the next tick starts a new list. */
  endTick(): void {
    this._clearTick = true;
  }

  emit(kind: SafetyEventKind, time: number, seq: number, reason: string, state: SafetyState, joint?: string, value?: number): void {
    this.startTick();
    const e: SafetyEvent =
      joint === undefined
        ? value === undefined
          ? { time, seq, kind, state, reason }
          : { time, seq, kind, state, value, reason }
        : value === undefined
          ? { time, seq, kind, state, joint, reason }
          : { time, seq, kind, state, joint, value, reason };
    this.counts[kind]++;
    this.tick.push(e);
    this._subject.next(e); // rxjs reports a throwing subscriber asynchronously: this never throws
  }
}
