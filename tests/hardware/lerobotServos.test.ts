/**
 * The servo check of `hw calibrate --from-lerobot --port` (hardware/robots/lerobotServos.ts) on a
 * bus that misbehaves: a reply that comes after the host gave up on it, and a line rate the servos
 * are not at.
 */
import { describe, expect, it } from 'vitest';
import { DynamixelEmulator } from '../../hardware/emulator/DynamixelEmulator.ts';
import { dynamixelServosAsLerobotLeft } from '../../hardware/emulator/lerobotArm.ts';
import { Inst, readLe } from '../../hardware/dynamixel/packet.ts';
import { DynamixelBus } from '../../hardware/dynamixel/DynamixelBus.ts';
import { importLerobotCalibration, readLerobotCalibration } from '../../hardware/robots/lerobotCalibration.ts';
import { lerobotServoDiff } from '../../hardware/robots/lerobotServos.ts';
import type { DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import type { LoadedConfig } from '../../hardware/robots/openRobot.ts';
import { KOCH_F, koch, link } from './helpers/lerobotFiles.ts';

/** The Koch follower imported, with a short reply timeout so that a stalled reply times out fast. */
function kochFollower(replyTimeoutMs: number): { loaded: LoadedConfig; config: DynamixelRobotConfig } {
  const cal = readLerobotCalibration(KOCH_F);
  const imp = importLerobotCalibration(koch('follower'), cal, { narrowLimits: true });
  const config = { ...(imp.loaded.config as DynamixelRobotConfig), reply_timeout_ms: replyTimeoutMs };
  return { loaded: { protocol: 'dynamixel', config }, config };
}

/** A read instruction to `id` whose reply carries address `addr` (wherever the read starts). */
const readCovering = (id: number, addr: number) => (p: { instruction: number; id: number; params: Uint8Array }) =>
  p.instruction === Inst.Read && p.id === id && readLe(p.params, 0, 2) <= addr && readLe(p.params, 0, 2) + readLe(p.params, 2, 2) > addr;

describe('LeRobot servo check', () => {
  it('a reply stalled past the reply timeout (the retry answered behind it) is not read as the next register: the servos still match the file', async () => {
    const { loaded, config } = kochFollower(20);
    const cal = readLerobotCalibration(KOCH_F);
    const emu = new DynamixelEmulator({ servos: dynamixelServosAsLerobotLeft(config, cal) });
    expect(await lerobotServoDiff(loaded, cal, await link(emu))).toEqual([]);
    // The reply carrying shoulder_lift's Homing Offset (address 20) stalls past the 20 ms timeout
    // and comes with the retry's: the retry takes it, and the retry's own arrives while the next
    // read waits (before: separate 4-byte reads of 20, 48 and 52, so it passed for Max Position Limit).
    emu.stallReply(readCovering(2, 20));
    const before = emu.stats.received;
    expect(await lerobotServoDiff(loaded, cal, await link(emu))).toEqual([]);
    expect(emu.stats.received - before).toBeGreaterThan(6 * 3); // a ping and two reads per servo, and the retry
  });

  it('the bus drops a late reply of another length and waits for its own (BusStats.stale)', async () => {
    const emu = new DynamixelEmulator({ servos: [{ id: 1, table: { homing_offset: -1028, max_position_limit: 4095, min_position_limit: 0 } }] });
    const bus = new DynamixelBus(await link(emu), { replyMarginS: 0.02 });
    await bus.open();
    emu.stallReply(readCovering(1, 20));
    const head = await bus.read(1, 10, 14); // times out, retried; both replies come at once
    const lim = await bus.read(1, 48, 8); // the second 14-byte reply arrives first: stale
    expect(readLe(head, 10, 4, true)).toBe(-1028);
    expect([readLe(lim, 0, 4), readLe(lim, 4, 4)]).toEqual([4095, 0]);
    expect(bus.stats.retries).toBe(1);
    expect(bus.stats.stale).toBe(1);
    await bus.close();
  });

  it('a servo that does not answer is named with the line rate the check used (--baud), not the config\'s', async () => {
    const { loaded, config } = kochFollower(5);
    const cal = readLerobotCalibration(KOCH_F);
    const emu = new DynamixelEmulator({ servos: dynamixelServosAsLerobotLeft(config, cal) }); // servos at 1 Mbps
    const diff = await lerobotServoDiff(loaded, cal, await link(emu, 57_600));
    expect(diff[0]).toBe('joint shoulder_pan: servo id 1 did not answer a ping at 57600 bit/s (nothing arrived at all: check power, the id and the baud rate)');
    expect(diff).toHaveLength(6);
  });
});
