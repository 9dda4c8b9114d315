import { describe, expect, it } from 'vitest';
import { SerialTransport, serialOpenFailure } from '../../hardware/transport/SerialTransport.ts';
import { robotError } from '../../hardware/robots/HardwareEvent.ts';
import { TransportError } from '../../hardware/transport/Transport.ts';
import { AxonError } from '../../src/core/errors.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { parsePort } from '../../hardware/transport/openPort.ts';
import { wireTime } from '../../hardware/transport/Transport.ts';
import * as P from '../../hardware/dynamixel/packet.ts';

describe('transports', () => {
  it('parses --port values', () => {
    expect(parsePort('emu://12')).toEqual({ kind: 'emu', servos: 12 });
    expect(parsePort('emu://')).toEqual({ kind: 'emu', servos: undefined });
    expect(parsePort('tcp://127.0.0.1:9000')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9000 });
    expect(parsePort('/dev/ttyUSB0')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0' });
    expect(() => parsePort('udp://x:1')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
    expect(wireTime(100, 1_000_000)).toBeCloseTo(0.001, 12);
  });

  it('memory pair delivers asynchronously and reports a pulled cable on both ends', async () => {
    const [a, b] = memoryPair();
    await a.open();
    await b.open();
    const got: number[] = [];
    const closed: string[] = [];
    b.on({ data: (c) => got.push(...c), close: (e) => closed.push(`b:${e?.message}`) });
    a.on({ close: (e) => closed.push(`a:${e?.message}`) });
    a.write(Uint8Array.of(1, 2, 3));
    expect(got).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([1, 2, 3]);
    a.fail('unplugged');
    expect(closed).toEqual(['a:unplugged', 'b:unplugged']);
  });

  it('serial transport over serialport with the mock binding', async () => {
    // serialport's own copy of the mock binding (the one SerialPortMock opens through)
    const sp = (await import('serialport' as string)) as { SerialPortMock: { binding: { createPort(p: string, o: object): void; reset(): void } } };
    const MockBinding = sp.SerialPortMock.binding;
    MockBinding.createPort('/dev/ttyMOCK0', { echo: true, record: true });
    const t = new SerialTransport({ path: '/dev/ttyMOCK0', baud: 1_000_000, mock: true });
    const got: number[] = [];
    t.on({ data: (c) => got.push(...c) });
    await t.open();
    t.write(P.ping(1));
    for (let i = 0; i < 50 && got.length < 10; i++) await new Promise((r) => setTimeout(r, 5));
    expect(P.hex(got)).toBe('FF FF FD 00 01 03 00 01 19 4E');
    await t.close();
    expect(t.isOpen).toBe(false);
    const missing = new SerialTransport({ path: '/dev/ttyMOCK9', baud: 57600, mock: true });
    await expect(missing.open()).rejects.toMatchObject({ code: 'TRANSPORT_OPEN', where: '/dev/ttyMOCK9' });
    MockBinding.reset();
  });

  it('close() drains first: bytes written just before it (a safe stop, no reply) leave the port', async () => {
    const sp = (await import('serialport' as string)) as { SerialPortMock: { binding: { createPort(p: string, o: object): void; reset(): void } } };
    const MockBinding = sp.SerialPortMock.binding;
    MockBinding.createPort('/dev/ttyMOCK1', { echo: false, record: true });
    const t = new SerialTransport({ path: '/dev/ttyMOCK1', baud: 1_000_000, mock: true });
    await t.open();
    const binding = (t as unknown as { _port: { port: { recording: Buffer } } })._port.port; // serialport's mock binding records what it sent
    const stop = P.syncWrite(64, 1, [1, 2, 3], [Uint8Array.of(0), Uint8Array.of(0), Uint8Array.of(0)]);
    t.write(stop);
    await t.close(); // at once, as a robot's close() does after its last sync write
    expect(P.hex(binding.recording)).toBe(P.hex(stop)); // without the drain: nothing had been sent
    expect(t.isOpen).toBe(false);
    MockBinding.reset();
  });
});

describe('a port that cannot be opened, in a few words', () => {
  // serialport's messages on Linux (bindings-cpp): the path repeated after the reason.
  it.each([
    ['Error: No such file or directory, cannot open /dev/ttyUSB0', 'not found', 'is the adapter plugged in?'],
    ['Error: Permission denied, cannot open /dev/ttyUSB0', 'permission denied', '"dialout" group'],
    ['Error Resource temporarily unavailable Cannot lock port', 'busy (another program holds it open)', '`fuser /dev/ttyUSB0` names it'],
    ['Error: Is a directory, cannot open /dev/ttyUSB0', 'it is a folder, not a serial device', 'a serial device such as'],
    ['Error: Inappropriate ioctl for device setting custom baud rate of 1000000', 'not a serial device (Inappropriate ioctl for device setting custom baud rate of 1000000)', 'a serial device such as'],
    ['Error: Input/output error, cannot open /dev/ttyUSB0', 'Input/output error', 'a serial port that can be opened'],
  ])('%s', (message, failure, check) => {
    const f = serialOpenFailure(message, '/dev/ttyUSB0');
    expect(f.failure).toBe(failure);
    expect(f.expected).toContain(check);
  });

  it('names the robot in front of the port once, with the reason and the check once', () => {
    const e = new TransportError('TRANSPORT_OPEN', '/dev/ttyUSB0', 'cannot open the serial port: not found', 'an existing serial device');
    const r = robotError(e, 'arm6 on /dev/ttyUSB0', '/dev/ttyUSB0');
    expect(r).toMatchObject({ code: 'TRANSPORT_OPEN', where: 'arm6 on /dev/ttyUSB0', expected: 'an existing serial device' });
    expect(r.message).toBe('arm6 on /dev/ttyUSB0: cannot open the serial port: not found (expected an existing serial device)');
    // About something else on the bus: that thing stays named after the robot.
    const other = robotError(new AxonError('HW_READ', 'servo 3', 'no reply', 'a reply'), 'arm6 on /dev/ttyUSB0', '/dev/ttyUSB0');
    expect(other.message).toBe('arm6 on /dev/ttyUSB0: servo 3: no reply (expected a reply)');
    // Already naming the robot: kept as it is.
    const named = new AxonError('HW_READ', 'arm6 on /dev/ttyUSB0', 'servos 1 did not answer');
    expect(robotError(named, 'arm6 on /dev/ttyUSB0', '/dev/ttyUSB0')).toBe(named);
  });
});

