/**
 * Emulated buses get ids 1..N, so N is bounded by the protocol's largest unicast id: Feetech 253
 * (254 = 0xFE is the broadcast id), Dynamixel Protocol 2.0 252 (253 = 0xFD is reserved, 254 is the
 * broadcast id). Beyond it: a UsageError naming the flag, not the emulator's plain Error later on.
 */
import { describe, expect, it } from 'vitest';
import { parsePort } from '../../hardware/transport/openPort.ts';
import { createFeetechPort } from '../../hardware/robots/openRobot.ts';
import { emulateFeetech } from '../../src/cli/commands/hwServo.ts';
import { runAxon } from './helpers/spawnCli.ts';

describe('emulated servo counts stop at the largest unicast id', () => {
  it('Feetech emu://254 (the broadcast id) is a usage error naming --port and 1..253; emu://253 works', () => {
    expect(() => createFeetechPort('emu://254', { baud: 1_000_000 })).toThrow(expect.objectContaining({ code: 'CLI_USAGE', where: '--port', expected: expect.stringMatching(/from 1 to 253 .*254 is the broadcast id/) }));
    const { emulator } = createFeetechPort('emu://253', { baud: 1_000_000 });
    expect(emulator!.servos.at(-1)!.id).toBe(253);
  });

  it('Dynamixel emu://253 (0xFD, reserved in Protocol 2.0) is a usage error naming --port and 1..252', () => {
    expect(() => parsePort('emu://253')).toThrow(expect.objectContaining({ code: 'CLI_USAGE', where: '--port', expected: expect.stringMatching(/from 1 to 252 .*253 is reserved and 254 is the broadcast id/) }));
    expect(parsePort('emu://252')).toEqual({ kind: 'emu', servos: 252 });
  });

  it('hw emulate --protocol feetech --servos 254 is refused before listening, naming --servos', async () => {
    const o = { servos: 254, listen: '127.0.0.1:0', baud: 1_000_000, latencyMs: 0, loss: 0, corrupt: 0, realTiming: false, seed: 1 };
    await expect(emulateFeetech(o)).rejects.toMatchObject({ code: 'CLI_USAGE', where: '--servos', expected: '1..253 (254 is the broadcast id)' });
  });

  it('through the CLI: exit 2 and the flag named (scan emu://254, emulate --servos 253 on Dynamixel)', { timeout: 60_000 }, () => {
    const scan = runAxon(['hw', 'scan', '--protocol', 'feetech', '--port', 'emu://254', '--ids', '1'], 30_000);
    expect(scan.code).toBe(2);
    expect(scan.stderr).toMatch(/--port.*emu:\/\/254.*not an emulator address/s);
    const emu = runAxon(['hw', 'emulate', '--servos', '253', '--listen', '127.0.0.1:0'], 30_000);
    expect(emu.code).toBe(2);
    expect(emu.stderr).toMatch(/--servos.*1\.\.252/s);
  });
});
