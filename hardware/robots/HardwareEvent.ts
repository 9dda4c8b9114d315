/** What a bus robot (Dynamixel, Feetech) reports on `events$`, and its connect-time mismatch error. */
import { AxonError } from '../../src/core/errors.ts';

export type HardwareEventKind = 'connected' | 'armed' | 'read_retry' | 'read_failed' | 'status_error' | 'stale' | 'recovered' | 'silent_bus' | 'hardware_error' | 'bus_watchdog' | 'port_lost' | 'safe_stop' | 'safe_stop_unconfirmed' | 'closed';

/**
 * Events that end a run: the robot cannot go on (a run that saw one exits non-zero). A safe stop
 * the read-back could not confirm on some servo (`safe_stop_unconfirmed`, at a fault or at close)
 * is one: torque may still be on there, and the run must not read as a success. So is a tripped
 * Dynamixel bus watchdog (`bus_watchdog`): those servos refuse every new goal.
 */
export const FAULT_EVENTS: ReadonlySet<HardwareEventKind> = new Set(['hardware_error', 'bus_watchdog', 'port_lost', 'silent_bus', 'safe_stop_unconfirmed']);

export interface HardwareEvent {
  /** Steady time (s). */
  readonly time: number;
  readonly kind: HardwareEventKind;
  readonly joint?: string;
  readonly id?: number;
  readonly reason: string;
}

/** connect() found the bus not matching the config. `diff` has one line per difference. */
export class HardwareMismatchError extends AxonError {
  constructor(
    where: string,
    readonly diff: readonly string[],
  ) {
    super('HW_MISMATCH', where, `the bus does not match the config, refusing to arm:\n  ${diff.join('\n  ')}`);
  }
}

/**
 * An error from connect() with the robot named: `ROBOT on PORT` (`where`) in front of the thing
 * the error was about, once. An error about the port itself (the transport could not be opened)
 * is said as `arm6 on /dev/ttyUSB0: cannot open the serial port: not found`, not with the port
 * repeated after it (nor its expectation twice, as wrapping the whole message did); an error that
 * already names the robot is kept.
 */
export function robotError(e: AxonError, where: string, port: string): AxonError {
  if (e.where.startsWith(where)) return e;
  return new AxonError(e.code, e.where === port ? where : `${where}: ${e.where}`, e.detail, e.expected);
}
