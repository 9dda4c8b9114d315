import { describe, expect, it } from 'vitest';
import type { RobotHealth } from '../../src/core/robot.ts';
import { BusReadHealth } from '../../hardware/robots/BusReadHealth.ts';

function make(silentAfter = 4, staleAfter = 2) {
  let t = 0;
  const h = new BusReadHealth({
    now: () => (t += 0.02),
    port: 'emu://2',
    jointOf: (id) => (id === 1 ? 'shoulder' : `id ${id}`),
    staleAfter,
    silentAfter,
    integrity: 'CRC',
    silentNote: '; note',
  });
  const health: RobotHealth[] = [];
  h.health$.subscribe((x) => health.push(x));
  return { h, health };
}

describe('BusReadHealth', () => {
  it('a failed streak reports read_failed once, stale at staleAfter, and one silent_bus fault at silentAfter', () => {
    const { h, health } = make(4, 2);
    for (let i = 0; i < 7; i++) h.readFailed([1, 3], 2);
    expect(h.eventLog.map((e) => e.kind)).toEqual(['read_failed', 'stale', 'silent_bus']);
    expect(h.eventLog[0].reason).toBe('no valid reply from shoulder (id 1), id 3 (id 3) within the read budget (2 retries; timeouts or CRC errors); further failures of this streak are counted');
    expect(h.eventLog[1].reason).toBe('2 consecutive bus cycles without a complete read: observations are stale');
    const f = 'bus silent: 4 consecutive bus cycles on emu://2 without a complete read (missing: shoulder (id 1), id 3 (id 3); limit silent_bus_cycles = 4); note';
    expect(h.eventLog[2].reason).toBe(f);
    expect(h.faulted).toBe(true);
    expect(h.failedTotal).toBe(7);
    expect(health.at(-1)).toEqual({ connected: false, stale: true, faults: [f] });
  });

  it('a good read resets the streak: recovered, stale cleared, and the next streak reports again', () => {
    const { h, health } = make(4, 2);
    h.readOk(); // no streak: nothing to report
    expect(h.eventLog).toHaveLength(0);
    h.readFailed([1], 0);
    h.readFailed([1], 0);
    h.readFailed([1], 0);
    h.readOk();
    expect(h.eventLog.map((e) => e.kind)).toEqual(['read_failed', 'stale', 'recovered']);
    expect(h.eventLog[2].reason).toBe('reads answered again after 3 failed cycles');
    expect(health.at(-1)!.stale).toBe(false);
    // Three more failures: a new streak, below silentAfter (the count restarted), not faulted.
    h.readFailed([1], 0);
    h.readFailed([1], 0);
    h.readFailed([1], 0);
    expect(h.faulted).toBe(false);
    expect(h.eventLog.map((e) => e.kind).slice(3)).toEqual(['read_failed', 'stale']);
    h.readOk();
    expect(h.eventLog.at(-1)!.reason).toBe('reads answered again after 3 failed cycles');
    expect(h.failedTotal).toBe(6);
    // A one-cycle streak below staleAfter recovers without touching health.
    const n = health.length;
    h.readFailed([1], 0);
    h.readOk();
    expect(h.eventLog.at(-1)!.reason).toBe('reads answered again after 1 failed cycle');
    expect(health).toHaveLength(n);
  });

  it('a robot already faulted gets no silent_bus; events carry the clock, joint and id', () => {
    const { h } = make(2, 5);
    h.faulted = true;
    h.readFailed([1], 0);
    h.readFailed([1], 0);
    expect(h.eventLog.map((e) => e.kind)).toEqual(['read_failed']);
    h.emit('hardware_error', 'x', 1);
    expect(h.eventLog.at(-1)).toEqual({ time: expect.closeTo(0.04, 9), kind: 'hardware_error', id: 1, joint: 'shoulder', reason: 'x' });
  });

  it('connected, addFaults, portLost and closed set health as the robots did', () => {
    const { h, health } = make();
    h.connected('2 servos');
    expect(health.at(-1)).toEqual({ connected: true, stale: false, faults: [] });
    h.addFaults(['a', 'b']);
    h.portLost('gone');
    expect(health.at(-1)).toEqual({ connected: false, stale: true, faults: ['a', 'b', 'gone'] });
    h.closed();
    expect(health.at(-1)).toEqual({ connected: false, stale: true, faults: ['a', 'b', 'gone'] });
    expect(h.eventLog.map((e) => [e.kind, e.reason])).toEqual([['connected', '2 servos'], ['port_lost', 'gone'], ['closed', 'port emu://2 closed']]);
  });

  it('servoFaults latches the fault, reads each status (-1 when unreadable), one hardware_error each, all in health', async () => {
    const { h, health } = make();
    const read = async (id: number) => {
      if (id === 3) throw new Error('no reply');
      return 0x20;
    };
    await h.servoFaults([1, 3], read, (id, bits) => `id ${id}: ${bits}`);
    expect(h.faulted).toBe(true);
    expect(h.eventLog.map((e) => [e.kind, e.id, e.reason])).toEqual([['hardware_error', 1, 'id 1: 32'], ['hardware_error', 3, 'id 3: -1']]);
    expect(health.at(-1)!.faults).toEqual(['id 1: 32', 'id 3: -1']);
  });
});
