/**
 * A Dynamixel servo that answers a sync read (or its block of a fast sync read) with a processing
 * error (Protocol 2.0 status packet, error number in bits 0-6: Result Fail, Access Error, ...) sends
 * no valid data: the robot must not decode its slot of the read buffer (the last good read) as a
 * fresh reading. The cycle fails like a missing reply (retried, stale, then silent_bus) and a
 * `status_error` event names the joint and the decoded error.
 */
import { describe, expect, it } from 'vitest';
import type { DynamixelRobotConfig } from '../../hardware/robots/config.ts';
import { DynamixelBus } from '../../hardware/dynamixel/DynamixelBus.ts';
import { PRESENT_BLOCK } from '../../hardware/dynamixel/controlTable.ts';
import { createPort } from '../../hardware/transport/openPort.ts';
import { createCommand } from '../../src/core/robot.ts';
import { emulatedArm } from './helpers/emuArm.ts';

// The arm's odd id order on the bus puts the elbow, id 3, in the middle of the sync read's list either way.
const arm = (over: Partial<DynamixelRobotConfig>) => emulatedArm(over);

describe.each([
  ['fast sync read', true],
  ['plain sync read', false],
])('a servo answering the %s with a processing error', (_name, fast) => {
  it('has no valid data: the cycle fails (stale, then silent_bus), seq stops, an event names the joint and the error', async () => {
    const { robot, emu, events, health } = arm({ fast_sync_read: fast, silent_bus_cycles: 8 });
    await robot.connect();
    expect((robot as unknown as { _fast: boolean })._fast).toBe(fast);
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.set(robot.observe().jointPosition);
    const s3 = emu.servo(3);
    s3.checkRead = () => 1; // Result Fail on every read
    const seq0 = robot.observe().seq;
    const errors0 = robot.bus.stats.statusErrors;
    for (let k = 0; k < 10; k++) {
      robot.command(cmd);
      await robot.settle();
    }
    expect(robot.observe().seq).toBe(seq0); // nothing decoded as fresh
    expect(health.at(-1)!.stale).toBe(true);
    expect(robot.faulted).toBe(true); // silent_bus after 8 cycles, as for a servo that does not answer
    const kinds = events.map((e) => e.kind);
    expect(kinds).toContain('read_failed');
    expect(kinds).toContain('silent_bus');
    const se = events.filter((e) => e.kind === 'status_error');
    expect(se).toHaveLength(1); // once per streak, not once per cycle
    expect(se[0]).toMatchObject({ id: 3, joint: 'elbow' });
    expect(se[0].reason).toMatch(/elbow \(id 3\) answered the sync read with result fail/);
    expect(events.find((e) => e.kind === 'silent_bus')!.reason).toMatch(/missing: elbow \(id 3\)/);
    // Every error reply counted, the fast read's blocks after the first included.
    expect(robot.bus.stats.statusErrors - errors0).toBeGreaterThanOrEqual(10);
    await robot.close();
  });

  it('reads the servo again once it answers cleanly: the reading is its present position, not the stale one', async () => {
    const { robot, emu, events } = arm({ fast_sync_read: fast });
    await robot.connect();
    const cmd = createCommand(robot.spec, 'position');
    cmd.target.set(robot.observe().jointPosition);
    const s3 = emu.servo(3);
    s3.checkRead = () => 7; // Access Error
    for (let k = 0; k < 3; k++) {
      robot.command(cmd);
      await robot.settle();
    }
    expect(events.find((e) => e.kind === 'status_error')!.reason).toMatch(/access error/);
    s3.mem[64] = 0; // torque off (Torque Enable, 64), so that the push below stays where it is put
    s3.pos += 0.8;
    const before = robot.observe().jointPosition[2];
    delete (s3 as { checkRead?: unknown }).checkRead; // the prototype's again
    robot.command(cmd);
    await robot.settle();
    expect(events.at(-1)!.kind).toBe('recovered');
    expect(Math.abs(robot.observe().jointPosition[2] - before)).toBeGreaterThan(0.7);
    await robot.close();
  });
});

describe('DynamixelBus.syncRead and processing errors', () => {
  it('an error reply is retried within the deadline; one that then answers cleanly is read and not reported', async () => {
    const { transport, emulator } = createPort('emu://', { baud: 1_000_000, servos: [{ id: 7 }, { id: 2 }, { id: 5 }] });
    const bus = new DynamixelBus(transport);
    await bus.open();
    let fails = 1;
    const s2 = emulator!.servo(2);
    const real = s2.checkRead.bind(s2);
    s2.checkRead = (a, n) => (fails-- > 0 ? 1 : real(a, n));
    const ids = [7, 2, 5];
    const out = new Uint8Array(ids.length * PRESENT_BLOCK.length).fill(0xaa);
    const r = await bus.syncRead(PRESENT_BLOCK.address, PRESENT_BLOCK.length, ids, out, performance.now() / 1000 + 0.5, true);
    expect(r).toMatchObject({ ok: true, missing: [], errors: [], errorCodes: [] });
    expect(r.retries).toBe(1);
    expect(out.subarray(PRESENT_BLOCK.length, 2 * PRESENT_BLOCK.length).every((b) => b === 0xaa)).toBe(false);

    s2.checkRead = () => 4; // data range error, every time
    const r2 = await bus.syncRead(PRESENT_BLOCK.address, PRESENT_BLOCK.length, ids, out, performance.now() / 1000 + 0.05, true);
    expect(r2).toMatchObject({ ok: false, missing: [2], errors: [2], errorCodes: [4] });
    await bus.close();
  });
});
