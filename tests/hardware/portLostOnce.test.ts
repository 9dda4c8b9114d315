/**
 * An unplugged serial device can report its loss twice (serialport emits 'close' for the unplug,
 * then again with the failed read's "bad file descriptor"): one `port_lost` per loss, its first
 * cause kept, on the bus, the robot's health and events, and the serial transport itself.
 */
import { describe, expect, it } from 'vitest';
import { loadAnyRobotConfig, feetechServosOf } from '../../hardware/robots/openRobot.ts';
import { FeetechRobot } from '../../hardware/robots/FeetechRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { memoryPair, type MemoryTransport } from '../../hardware/transport/MemoryTransport.ts';
import { SerialTransport } from '../../hardware/transport/SerialTransport.ts';
import type { Transport, TransportHandlers } from '../../hardware/transport/Transport.ts';
import type { RobotHealth } from '../../src/core/robot.ts';

/** A host end whose link reports its loss as serialport does on an unplug: close, then close again. */
class TwiceLost implements Transport {
  private _h: TransportHandlers = {};
  constructor(private readonly inner: MemoryTransport) {}
  get name() { return this.inner.name; }
  get baud() { return this.inner.baud; }
  get isOpen() { return this.inner.isOpen; }
  open() { return this.inner.open(); }
  close() { return this.inner.close(); }
  write(b: Uint8Array) { this.inner.write(b); }
  on(h: TransportHandlers) { this._h = h; this.inner.on(h); }
  unplug() {
    this._h.close?.(new Error('port closed (device unplugged?)'));
    this._h.close?.(new Error('bad file descriptor'));
  }
}

/** The shipped SO-101 follower on an emulated bus behind a TwiceLost link (not connected yet). */
async function so101OnEmulator() {
  const cfg = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;
  const emu = new FeetechEmulator({ servos: feetechServosOf(cfg) });
  const [host, dev] = memoryPair('/dev/ttyACM0');
  await dev.open();
  emu.attach(dev);
  const link = new TwiceLost(host);
  return { cfg, link, robot: new FeetechRobot(cfg, link, { period: 0.02 }) };
}

describe('a lost port is reported once, with its first cause', () => {
  it('FeetechRobot on a link that says close twice: one port_lost, bus.lost and health keep the first cause', async () => {
    const { link, robot } = await so101OnEmulator();
    const health: RobotHealth[] = [];
    robot.health$.subscribe((h) => health.push(h));
    let lost = 0;
    await robot.connect();
    const onLost = robot.bus.onLost!;
    robot.bus.onLost = (e) => (lost++, onLost(e));
    link.unplug();
    expect(lost).toBe(1);
    expect(robot.eventLog.filter((e) => e.kind === 'port_lost')).toHaveLength(1);
    expect(robot.bus.lost?.message).toBe('port closed (device unplugged?)');
    expect(health.at(-1)!.faults).toHaveLength(1);
    expect(health.at(-1)!.faults[0]).toMatch(/lost: port closed \(device unplugged\?\)/);
    await robot.close();
  });

  it('closed after the loss: no stop could be sent, so every servo is named unconfirmed (review R19 F3)', async () => {
    const { cfg, link, robot } = await so101OnEmulator();
    await robot.connect();
    expect(robot.armed).toBe(true);
    link.unplug();
    await robot.close();
    expect(robot.safeStopUnconfirmed).toHaveLength(cfg.joints.length); // not [] ("read back on all")
    expect(robot.safeStopUnconfirmed.join(', ')).toContain('shoulder_pan');
    const ev = robot.eventLog.find((e) => e.kind === 'safe_stop_unconfirmed')!;
    expect(ev.reason).toMatch(/port was lost, no safe stop could be sent/);
    expect(robot.eventLog.some((e) => e.kind === 'safe_stop')).toBe(false); // nothing claims a stop happened
  });

  it("SerialTransport passes serialport's second 'close' of one loss on no more", async () => {
    const sp = (await import('serialport' as string)) as { SerialPortMock: { binding: { createPort(p: string, o: object): void; reset(): void } } };
    sp.SerialPortMock.binding.createPort('/dev/ttyMOCK3', {});
    const t = new SerialTransport({ path: '/dev/ttyMOCK3', baud: 1_000_000, mock: true });
    const said: string[] = [];
    t.on({ close: (e) => said.push(e?.message ?? '') });
    await t.open();
    const port = (t as unknown as { _port: { emit(ev: string, e?: Error): void } })._port;
    port.emit('close');
    port.emit('close', new Error('bad file descriptor'));
    expect(said).toEqual(['port closed (device unplugged?)']);
    expect(t.isOpen).toBe(false);
    sp.SerialPortMock.binding.reset();
  });
});
