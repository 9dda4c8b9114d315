/**
 * `hw scan --protocol auto` without --baud scans each protocol at its own factory rate: Dynamixel X
 * at 57600, Feetech STS at 1000000 (an SO-101 on a real adapter is silent at 57600), reopening the
 * serial port at the second rate; the summary names both. A TCP or pty link carries no line rate,
 * so the rate the port is opened at is what is checked here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialTransport } from '../../hardware/transport/SerialTransport.ts';
import { scanBus } from '../../src/cli/commands/hwServo.ts';

/** Opens of SerialTransport (by baud), each a port with nothing on it (writes go nowhere, nothing answers). */
function fakeSerial(): number[] {
  const opened: number[] = [];
  vi.spyOn(SerialTransport.prototype, 'open').mockImplementation(async function (this: SerialTransport) {
    opened.push(this.baud);
    const port = { isOpen: true, write() {}, drain(cb: () => void) { cb(); }, close(cb: () => void) { port.isOpen = false; cb(); } };
    (this as unknown as { _port: typeof port })._port = port;
  });
  return opened;
}

async function scanOutput(o: Parameters<typeof scanBus>[0]): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  // A port with nothing on it: the summary is printed, then the scan fails as `run` does on a silent bus (exit 2).
  await scanBus(o).catch((e: { code?: string }) => {
    if (e.code !== 'HW_NO_SERVO') throw e;
    lines.push(`error ${e.code}`);
  });
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('hw scan --protocol auto, rates', () => {
  it('without --baud: Dynamixel at 57600, then the port reopened at 1000000 for Feetech; both rates said', async () => {
    const opened = fakeSerial();
    const lines = await scanOutput({ port: '/dev/ttyUSB7', protocol: 'auto', ids: [1, 2], timeoutMs: 5, json: false });
    expect(opened).toEqual([57_600, 1_000_000]);
    expect(lines[0]).toMatch(/^axon hw scan: \/dev\/ttyUSB7 Dynamixel at 57600 bit\/s, Feetech at 1000000 bit\/s .*\(auto\): 0 servos/);
    expect(lines.at(-2)).toMatch(/factory rates: Dynamixel X 57600, Feetech STS 1000000/);
    expect(lines.at(-1)).toBe('error HW_NO_SERVO');
  });

  it('--json without --baud: bauds per protocol, baud null (two rates)', async () => {
    fakeSerial();
    const lines = await scanOutput({ port: '/dev/ttyUSB7', protocol: 'auto', ids: [1], timeoutMs: 5, json: true });
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ protocol: 'auto', baud: null, bauds: { dynamixel: 57_600, feetech: 1_000_000 } });
  });

  it('with --baud: one open at that rate for both protocols', async () => {
    const opened = fakeSerial();
    const lines = await scanOutput({ port: '/dev/ttyUSB7', protocol: 'auto', baud: 1_000_000, ids: [1], timeoutMs: 5, json: true });
    expect(opened).toEqual([1_000_000]);
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ baud: 1_000_000, bauds: { dynamixel: 1_000_000, feetech: 1_000_000 } });
  });

  it('--protocol feetech without --baud still opens at 1000000 only', async () => {
    const opened = fakeSerial();
    await scanOutput({ port: '/dev/ttyUSB7', protocol: 'feetech', ids: [1], timeoutMs: 5, json: true });
    expect(opened).toEqual([1_000_000]);
  });

  it('emu:// auto without --baud: the emulated Dynamixel servos (at 57600) are found, and the Feetech pass runs at 1000000', async () => {
    const lines = await scanOutput({ port: 'emu://2', protocol: 'auto', ids: [1, 2, 3], timeoutMs: 20, json: true });
    const s = JSON.parse(lines.at(-1)!);
    expect(s.servos.map((x: { protocol: string; id: number }) => `${x.protocol}:${x.id}`)).toEqual(['dynamixel:1', 'dynamixel:2']);
    expect(s.bauds).toEqual({ dynamixel: 57_600, feetech: 1_000_000 });
  });
});
