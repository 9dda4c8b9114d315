/**
 * The health and events of a robot on a servo bus (Dynamixel, Feetech): the `health$` and
 * `events$` streams, the event log, the latched fault flag, and the failed-read streak.
 *
 * A streak of bus cycles without a complete read reports once (`read_failed` on its first cycle),
 * once when it turns stale (`staleAfter` cycles: health says stale), and once if it reaches
 * `silentAfter` cycles (`silent_bus`: a fault that ends the run); the cycles in between are counted
 * (`failedTotal`), not reported one by one. A complete read ends the streak (`recovered`, stale
 * cleared). Events are stamped with the injected steady clock (style 6), or with the run's clock
 * once the robot was given one (`useClock`); so is the time of the last complete read (`readOk`),
 * which the robot's observations carry.
 */
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { RobotHealth } from '../../src/core/robot.ts';
import type { HardwareEvent, HardwareEventKind } from './HardwareEvent.ts';

export interface BusReadHealthOptions {
  /** Steady clock (s) for event stamps. */
  readonly now: () => number;
  /** The port's name (`transport.name`), for messages. */
  readonly port: string;
  /** Joint name of a servo id, for messages and events. */
  readonly jointOf: (id: number) => string;
  /** Consecutive failed cycles before health says stale. */
  readonly staleAfter: number;
  /** Consecutive failed cycles that make a silent bus (a fault). */
  readonly silentAfter: number;
  /** What a corrupt reply fails on, for messages: 'CRC' (Dynamixel), 'checksum' (Feetech). */
  readonly integrity: string;
  /** Appended to the silent-bus fault (what the servos do then), e.g. '; STS servos hold ...'. */
  readonly silentNote?: string;
}

export class BusReadHealth {
  /** Every event so far (for summaries). */
  readonly eventLog: HardwareEvent[] = [];
  readonly events$: Observable<HardwareEvent>;
  readonly health$: Observable<RobotHealth>;
  /** Latched: a servo fault, a silent bus or an unconfirmed safe stop; the robot ignores further commands. */
  faulted = false;
  /** The servos (`joint (id n)`) the last safe stop could not confirm; empty when it was confirmed on all. */
  unconfirmed: readonly string[] = [];
  private readonly _health = new BehaviorSubject<RobotHealth>({ connected: false, stale: false, faults: [] });
  private readonly _events = new Subject<HardwareEvent>();
  private _stale = false;
  private _streak = 0;
  private _total = 0;
  /** The run's clock (useClock); undefined: stamps on the steady clock. */
  private _runNow: (() => number) | undefined;
  private _read = false;
  private _readAt = 0;
  private _readTime = 0;

  constructor(private readonly o: BusReadHealthOptions) {
    this.events$ = this._events.asObservable();
    this.health$ = this._health.asObservable();
  }

  /** Bus cycles that ended without a complete read, since construction. */
  get failedTotal(): number {
    return this._total;
  }

  /**
   * Stamps events and reads on the run's clock `now` (s) from here on (Robot.useClock). A read
   * already made keeps its moment: its stamp is moved onto the new clock by its age.
   */
  useClock(now: () => number): void {
    this._runNow = now;
    if (this._read) this._readTime = now() - (this.o.now() - this._readAt);
  }

  /** Steady time (s) the last complete read ended; 0 before the first. */
  get lastReadAt(): number {
    return this._readAt;
  }

  /** The time (s) the last complete read ended, on the run's clock once given one, else steady. */
  get lastReadTime(): number {
    return this._readTime;
  }

  emit(kind: HardwareEventKind, reason: string, id?: number): void {
    const t = this._runNow === undefined ? this.o.now() : this._runNow();
    const e: HardwareEvent = id === undefined ? { time: t, kind, reason } : { time: t, kind, id, joint: this.o.jointOf(id), reason };
    this.eventLog.push(e);
    this._events.next(e);
  }

  /** The first read answered: health connected, clean; `connected` event. */
  connected(reason: string): void {
    this._health.next({ connected: true, stale: false, faults: [] });
    this.emit('connected', reason);
  }

  /** Adds faults to health (each already reported as its own event). */
  addFaults(faults: readonly string[]): void {
    this._health.next({ ...this._health.value, faults: [...this._health.value.faults, ...faults] });
  }

  /** The link is gone: health disconnected, stale, with the fault; `port_lost` event. */
  portLost(fault: string): void {
    this._health.next({ connected: false, stale: true, faults: [...this._health.value.faults, fault] });
    this.emit('port_lost', fault);
  }

  /**
   * Servos that raised their alert: latches the fault; per id reads its status register (`read`;
   * -1 when that fails too) and reports `describe(id, bits)` as a `hardware_error` event; then adds
   * them all to health.
   */
  async servoFaults(ids: readonly number[], read: (id: number) => Promise<number>, describe: (id: number, bits: number) => string): Promise<void> {
    this.faulted = true;
    const faults: string[] = [];
    for (const id of ids) {
      let bits = -1;
      try {
        bits = await read(id);
      } catch {
        /* reported as unknown: bits -1 */
      }
      const f = describe(id, bits);
      faults.push(f);
      this.emit('hardware_error', f, id);
    }
    this.addFaults(faults);
  }

  /**
   * A safe stop was read back: `servos` (`joint (id n)`) it could not confirm, none when all showed
   * it. Any: a fault (latched, on health$, `safe_stop_unconfirmed` event with `fault` as reason).
   */
  stopConfirmed(servos: readonly string[], fault: string): void {
    this.unconfirmed = servos;
    if (servos.length === 0) return;
    this.faulted = true;
    this.addFaults([fault]);
    this.emit('safe_stop_unconfirmed', fault);
  }

  /** The port was closed: health disconnected (stale and faults kept); `closed` event. */
  closed(): void {
    const h = this._health.value;
    this._health.next({ connected: false, stale: h.stale, faults: h.faults });
    this.emit('closed', `port ${this.o.port} closed`);
  }

  /** A complete read, just ended: stamps it (`lastReadAt`, `lastReadTime`); ends the streak (recovered, stale cleared). */
  readOk(): void {
    this._read = true;
    this._readAt = this.o.now();
    this._readTime = this._runNow === undefined ? this._readAt : this._runNow();
    if (this._streak > 0) {
      if (this._stale) {
        this._stale = false;
        this._health.next({ ...this._health.value, stale: false });
      }
      this.emit('recovered', `reads answered again after ${this._streak} failed cycle${this._streak === 1 ? '' : 's'}`);
    }
    this._streak = 0;
  }

  /** A cycle without a complete read (the link still up): `missing` ids, `retries` spent. */
  readFailed(missing: readonly number[], retries: number): void {
    const o = this.o;
    this._streak++;
    this._total++;
    const who = missing.map((id) => `${o.jointOf(id)} (id ${id})`).join(', ');
    if (this._streak === 1) this.emit('read_failed', `no valid reply from ${who} within the read budget (${retries} retries; timeouts or ${o.integrity} errors); further failures of this streak are counted`);
    if (!this._stale && this._streak >= o.staleAfter) {
      this._stale = true;
      this._health.next({ ...this._health.value, stale: true });
      this.emit('stale', `${this._streak} consecutive bus cycles without a complete read: observations are stale`);
    }
    if (this._streak === o.silentAfter && !this.faulted) {
      this.faulted = true;
      const f = `bus silent: ${this._streak} consecutive bus cycles on ${o.port} without a complete read (missing: ${who}; limit silent_bus_cycles = ${o.silentAfter})${o.silentNote ?? ''}`;
      this.addFaults([f]);
      this.emit('silent_bus', f);
    }
  }
}
