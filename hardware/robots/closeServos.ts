/**
 * The end of a servo robot's close(), shared by DynamixelRobot and FeetechRobot: the bus cycle in
 * flight settles, an armed robot gets its confirmed safe stop (after a fault too: a silent servo must
 * not leave the others armed; a repeated stop is harmless), and the port closes whatever happened.
 * A safe stop that throws (a bus error it could not get past) names every servo unconfirmed, a fault
 * that fails the run (docs/hardware.md, "Faults"); so does a port lost while armed, where no stop
 * can be sent at all (review R19 F3: the summary said `safe_stop_unconfirmed: []`). Not on the tick.
 */
import type { BusReadHealth } from './BusReadHealth.ts';

export interface ServoClose {
  /** The bus cycle in flight (or the last one). */
  settle(): Promise<void>;
  /** The servos hold torque as the run left them (asked once the cycle in flight has settled). */
  armed(): boolean;
  readonly bus: { readonly lost: Error | undefined; close(): Promise<void> };
  /** The robot's confirmed safe stop (it reports unconfirmed servos itself). */
  safeStop(why: string): Promise<void>;
  /** Marks the robot disarmed, before its port closes. */
  disarm(): void;
  /** Every servo as `joint (id n)` (servoNames), what an unconfirmed stop names. */
  readonly joints: readonly string[];
  readonly status: BusReadHealth;
}

/**
 * The servos of a config as `joint (id n)`, the form every unconfirmed safe stop names them in
 * (docs/hardware.md, "Faults"); a lost port named them without ids (review R25 F7).
 */
export function servoNames(joints: readonly { readonly name: string; readonly id: number }[]): string[] {
  return joints.map((j) => `${j.name} (id ${j.id})`);
}

export async function closeWithSafeStop(r: ServoClose): Promise<void> {
  await r.settle().catch(() => {});
  try {
    if (r.armed() && r.bus.lost) {
      r.status.stopConfirmed(r.joints, `robot closed: the port was lost, no safe stop could be sent (${r.bus.lost.message}): torque may still be on; cut servo power if that is not safe`);
    } else if (r.armed()) await r.safeStop('robot closed');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    r.status.stopConfirmed(r.joints, `robot closed: the safe stop failed (${why}): torque may still be on; cut servo power if that is not safe`);
  } finally {
    r.disarm();
    await r.bus.close().catch(() => {});
    r.status.closed();
  }
}
