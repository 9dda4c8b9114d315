/**
 * Torque Enable read back on an armed servo robot (FeetechRobot: address 40; DynamixelRobot: 64),
 * docs/hardware.md "Faults". A servo can drop its torque without any status bit: one that resets on
 * a voltage sag comes back with torque off (and, an X-series one, with its Bus Watchdog 0, so that
 * check misses it too), as does one that something else on the bus switched off. Nothing else the
 * robots read shows it: the goal still reads back, and the arm sags or falls (review R25 F3). So:
 * - every TORQUE_CHECK_CYCLES bus cycles an armed robot sync-reads Torque Enable of every servo (one
 *   read of one byte per servo, in the bus cycle, off the tick); a servo reading 0 is a
 *   `hardware_error` fault naming it, then the safe stop;
 * - the `hold` safe stop reads it back after its goals: a servo reading 0 there holds nothing, and
 *   is named unconfirmed, unless its own alarm cut the torque (already a `hardware_error`).
 * Allocates only when it reads (every TORQUE_CHECK_CYCLES cycles, and at a safe stop).
 */
import type { ConfirmBus } from './confirmedWrite.ts';
import type { BusReadHealth } from './BusReadHealth.ts';

/** Bus cycles between two reads of Torque Enable while armed (1 s at 50 Hz). */
export const TORQUE_CHECK_CYCLES = 50;

export interface TorqueRead {
  /** Ids whose Torque Enable read 0. */
  readonly off: number[];
  /** Ids that gave no valid reply (no reply, or an error reply). */
  readonly unread: number[];
}

export class TorqueCheck {
  private _cycles = 0;

  constructor(
    /** Torque Enable's address: 40 (Feetech STS), 64 (Dynamixel X). */
    readonly address: number,
  ) {}

  /** A bus cycle of an armed robot ended: whether Torque Enable is to be read now. */
  cycleEnded(): boolean {
    return ++this._cycles >= TORQUE_CHECK_CYCLES;
  }

  /** Sync-reads Torque Enable of `ids` until `deadline` (the bus's steady s). A complete read restarts the cycle count. */
  async read(bus: Pick<ConfirmBus, 'syncRead'>, ids: readonly number[], deadline: number): Promise<TorqueRead> {
    const te = new Uint8Array(ids.length);
    const r = await bus.syncRead(this.address, 1, ids, te, deadline);
    if (r.ok) this._cycles = 0;
    const unread = ids.filter((id) => r.missing.includes(id) || r.errors.includes(id));
    return { off: ids.filter((id, i) => te[i] === 0 && !unread.includes(id)), unread };
  }

  /**
   * The armed robot's periodic check: reads Torque Enable, and for each servo reading 0 a
   * `hardware_error` fault on `status` naming it (`jointOf(id)`), the robot marked faulted. Returns
   * the safe stop's reason, or undefined when every servo read on (or the robot had faulted already).
   */
  async checkArmed(bus: Pick<ConfirmBus, 'syncRead'>, ids: readonly number[], deadline: number, status: Pick<BusReadHealth, 'faulted' | 'emit' | 'addFaults'>, jointOf: (id: number) => string): Promise<string | undefined> {
    const t = await this.read(bus, ids, deadline);
    if (t.off.length === 0 || status.faulted) return undefined;
    status.faulted = true;
    const faults = t.off.map((id) => this.fault(`${jointOf(id)} (id ${id})`));
    t.off.forEach((id, k) => status.emit('hardware_error', faults[k], id));
    status.addFaults(faults);
    return `torque off on ${t.off.map(jointOf).join(', ')}`;
  }

  /** The fault of a servo found with its torque off while armed (`name`: `joint (id n)`). */
  fault(name: string): string {
    return `joint ${name}: Torque Enable (${this.address}) read back 0 while armed, with no status bit: the servo dropped its torque (a reset on a voltage sag, or something else writing to the bus) and holds nothing; the run stops`;
  }
}

/** A hold's goal read-back (`goal`) with Torque Enable read back too: what the safe_stop event and its fault say. */
export interface HeldResult {
  /** The goal's unconfirmed servos plus those reading torque off (but not by their own alarm) or not read back. */
  readonly result: { readonly unconfirmed: number[]; readonly writes: number };
  /** For the event, after the confirmed write's words: '' when torque read back on everywhere. */
  readonly note: string;
  /** For the fault's risk: the limp servos, '' when none. */
  readonly limpRisk: string;
}

/**
 * Reads Torque Enable back after a hold (or a velocity / current stop that keeps torque on) whose
 * goal read-back was `goal`, and merges both: a servo holds only with its goal and its torque on.
 * `alarmed`: servos whose own alarm cut their torque (already a `hardware_error`), said, not
 * counted unconfirmed. `name(id)`: `joint (id n)`.
 */
export async function withTorqueReadBack(
  check: TorqueCheck,
  bus: Pick<ConfirmBus, 'syncRead' | 'lost'>,
  ids: readonly number[],
  deadline: number,
  goal: { readonly unconfirmed: number[]; readonly writes: number },
  alarmed: ReadonlySet<number>,
  name: (id: number) => string,
): Promise<HeldResult> {
  if (bus.lost) return { result: goal, note: '', limpRisk: '' };
  const t = await check.read(bus, ids, deadline);
  const limp = t.off.filter((id) => !alarmed.has(id));
  const cut = t.off.filter((id) => alarmed.has(id));
  const unread = t.unread.filter((id) => !goal.unconfirmed.includes(id));
  const unconfirmed = ids.filter((id) => goal.unconfirmed.includes(id) || limp.includes(id) || unread.includes(id));
  const list = (xs: number[]) => xs.map(name).join(', ');
  let note = '';
  if (limp.length > 0) note += `; Torque Enable (${check.address}) read back 0 at ${list(limp)}: limp, holding nothing`;
  if (unread.length > 0) note += `; Torque Enable (${check.address}) not read back at ${list(unread)}`;
  if (cut.length > 0) note += `; torque cut by the servo's own alarm at ${list(cut)}`;
  const limpRisk = limp.length > 0 ? `; ${list(limp)} read torque off: limp, an arm may sag or fall` : '';
  return { result: { unconfirmed, writes: goal.writes }, note, limpRisk };
}
