/**
 * The Dynamixel bus watchdog (Bus Watchdog, address 98) as DynamixelRobot keeps it (docs/hardware.md,
 * "Faults"). Once a servo hears no packet for longer than the value set (unit 20 ms) while its torque
 * is on, it stops where it is, 98 reads -1 (0xFF), and every new Goal PWM/Current/Velocity/Position
 * is answered with a Data Range error until 98 is written 0 (e-Manual, X series Bus Watchdog). Goals
 * go out by sync write, which gets no status, so that refusal is never seen: this reads 98 back after
 * any bus cycle that came more than half the watchdog after the one before (the pause included), and
 * every CHECK_CYCLES cycles otherwise. Buffers are allocated once; a check runs in the bus cycle, off
 * the tick.
 */
import type { DynamixelBus } from '../dynamixel/DynamixelBus.ts';

/**
 * Bus cycles between two reads of 98 when no long cycle asked for one: a trip the host's own time
 * measure missed (a packet held in the OS or the adapter) is seen within this many ticks.
 */
export const WATCHDOG_CHECK_CYCLES = 50;

export class DynamixelWatchdog {
  /** Set on the servos (the first bus cycle does it, just before its goals). */
  armed = false;
  /** Each servo's tripped flag, from the last check (1: 98 read -1). */
  readonly tripped: Uint8Array;
  /** The raw value written to 98 (watchdog_ms / 20), one per servo. */
  readonly value: Uint8Array;
  private readonly _read: Uint8Array;
  private _due = false;
  private _cycles = 0;
  private _maxSpanS = 0;
  private _lastCycleEnd = 0;
  private readonly _checkAfterS: number;

  constructor(
    private readonly n: number,
    readonly watchdogMs: number,
  ) {
    this.tripped = new Uint8Array(n);
    this.value = new Uint8Array(n).fill(Math.round(watchdogMs / 20));
    this._read = new Uint8Array(n);
    this._checkAfterS = watchdogMs / 2000;
  }

  /**
   * A bus cycle ended at `now` (steady s): whether 98 is to be read now. The span is from the end of
   * the cycle before (the pause before this one and the cycle itself, a stall between its write and
   * its read too); over half the watchdog the servos may have timed out.
   */
  cycleEnded(now: number): boolean {
    const span = now - this._lastCycleEnd;
    this._lastCycleEnd = now;
    if (!this.armed) return false;
    if (span > this._maxSpanS) this._maxSpanS = span;
    if (span > this._checkAfterS) this._due = true;
    return this._due || ++this._cycles >= WATCHDOG_CHECK_CYCLES;
  }

  /**
   * Reads 98 of every servo (a plain sync read, one status per servo: a late fast-read reply of the
   * state read, had that one timed out, cannot be taken for it). Returns the ids found tripped (none:
   * checked again next cycle if some servo did not answer).
   */
  async check(bus: DynamixelBus, ids: readonly number[], deadline: number): Promise<number[]> {
    this._read.fill(0);
    const r = await bus.syncRead(98, 1, ids, this._read, deadline);
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) {
      this.tripped[i] = this._read[i] === 0xff && !r.missing.includes(ids[i]) ? 1 : 0;
      if (this.tripped[i]) out.push(ids[i]);
    }
    if (out.length === 0) {
      this._due = !r.ok;
      if (r.ok) {
        this._cycles = 0;
        this._maxSpanS = 0;
      }
    }
    return out;
  }

  /** The fault for the servos found tripped (`names`: `joint (id n)`). */
  fault(names: readonly string[]): string {
    return `bus watchdog tripped on ${names.join(', ')}: no packet reached them for more than ${this.watchdogMs} ms (a stalled loop, a loaded host, a bus dropout; the longest bus cycle since the last check, the pause before it included: ${Math.round(this._maxSpanS * 1000)} ms); these servos stopped where they were and refuse every new goal, so the run stops (the watchdog is not re-armed mid-run)`;
  }

  /**
   * A tripped servo already holds: its goal is where it stopped, and it refuses a new one. Its hold
   * goal (in `goals`, 4 bytes per servo) becomes the Goal Position (116) it has, read here, so that
   * a safe stop's read-back confirms the hold it keeps rather than call it unconfirmed.
   */
  async keepTrippedGoals(bus: DynamixelBus, ids: readonly number[], goals: Uint8Array, deadline: number): Promise<void> {
    const tripped = ids.filter((_, i) => this.tripped[i]);
    if (tripped.length === 0) return;
    const buf = new Uint8Array(tripped.length * 4);
    const r = await bus.syncRead(116, 4, tripped, buf, deadline);
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.tripped[i]) continue;
      if (!r.missing.includes(ids[i])) goals.set(buf.subarray(k * 4, k * 4 + 4), i * 4);
      k++;
    }
  }
}
