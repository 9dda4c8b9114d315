/**
 * `axon hw scan` that finds no servo fails as `axon run` fails on a silent bus: its summary first
 * (`servos: []` with --json), then one HW_NO_SERVO line and exit 2, so that `axon hw scan --port P
 * && axon run ...` tells "found servos" from "found none" (review R14 F11; docs/cli.md "hw scan").
 * `hw set-id` (Feetech) says on stderr that it is pinging every id before its long scan.
 */
import { describe, expect, it } from 'vitest';
import { runAxon } from './helpers/spawnCli.ts';

const axon = (...args: string[]) => runAxon(args, 90_000);

describe('hw scan that finds nothing', () => {
  it('Dynamixel broadcast at a rate the servos are not set to: the JSON summary, then HW_NO_SERVO, exit 2', () => {
    const r = axon('hw', 'scan', '--port', 'emu://6?baud=57600', '--baud', '1000000', '--json');
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.last)).toMatchObject({ command: 'hw scan', servos: [] });
    expect(r.stderr.trim().split('\n')).toEqual(['axon: error [HW_NO_SERVO]: emu://6?baud=57600 at 1000000 bit/s: no Dynamixel servo answered (to a broadcast ping) (expected a servo connected, powered, at this baud rate (--baud) and among the ids scanned (--ids))']);
  });

  it('Feetech ids that are not on the bus (odd list): the text summary, then HW_NO_SERVO naming the ids, exit 2', () => {
    const r = axon('hw', 'scan', '--protocol', 'feetech', '--port', 'emu://2', '--ids', '9,5-7');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/0 servos in \d+ ms/);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^axon: error \[HW_NO_SERVO\]: emu:\/\/2 at 1000000 bit\/s: no Feetech servo answered \(ids pinged: 4 from 5 to 9\)/)]);
  });

  it('auto over both rates: HW_NO_SERVO names both, exit 2; a scan that finds servos still exits 0', () => {
    const none = axon('hw', 'scan', '--protocol', 'auto', '--port', 'emu://2', '--ids', '5', '--json');
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain('emu://2 (Dynamixel at 57600 bit/s, Feetech at 1000000 bit/s): no Dynamixel or Feetech servo answered (id pinged: 5)');
    const some = axon('hw', 'scan', '--protocol', 'feetech', '--port', 'emu://2', '--ids', '1-3', '--json');
    expect(some.code, some.stderr).toBe(0);
    expect(JSON.parse(some.last).servos).toHaveLength(2);
  });
});

describe('hw set-id (Feetech)', () => {
  it('says on stderr, before its scan of every id, what it pings and how long a silent bus takes', () => {
    // Two servos: refused after the first pass (HW_MANY_SERVOS); the progress line came first.
    const r = axon('hw', 'set-id', '--port', 'emu://2', '--to', '9');
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^axon hw: looking for the one servo on emu:\/\/2 at 1000000 bit\/s: pinging ids 0\.\.253 \(a second, slower pass if none answers: about \d+ s with nothing on the bus\)$/);
    expect(lines[1]).toMatch(/HW_MANY_SERVOS/);
  });
});
