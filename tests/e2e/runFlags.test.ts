import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon, type CliRun } from '../helpers/cli.ts';
import { writeSo101PoseModel } from '../hardware/helpers/so101Model.ts';

/** `axon run`: --baud by the config's protocol, and a dry run that cannot become a dataset episode. */
const axon = (...args: string[]) => runAxon(args, 60_000);

function expectUsage(r: CliRun, ...parts: string[]) {
  expect(r.code, r.stderr).toBe(2);
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'))).toHaveLength(1);
}

describe('run --baud takes the rates of the config\'s protocol', () => {
  it('a Feetech rate (500000, as hw set-baud --to 500000 sets) on the SO-101: the run goes on (--dry-run, emulated)', () => {
    const policy = writeSo101PoseModel([0.1, -0.1, 0.2, 0.1, -0.1, 0.1]);
    const r = axon('run', '--config', 'hardware/robots/so101-follower.json', '--policy', policy, '--port', 'emu://', '--duration', '0.3', '--baud', '500000', '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.lastLine)).toMatchObject({ command: 'run', robot: 'so101-follower' });
  });

  it('a Dynamixel-only rate on a Feetech config is blamed on --baud, not --port', () => {
    const policy = writeSo101PoseModel([0, 0, 0, 0, 0, 0]);
    const r = axon('run', '--config', 'hardware/robots/so101-follower.json', '--policy', policy, '--port', 'emu://', '--duration', '0.3', '--baud', '2000000');
    expectUsage(r, '--baud', '2000000 bit/s is not a Feetech STS rate', '500000');
    expect(r.stderr).not.toContain('--port');
  });

  it('a Feetech-only rate on a Dynamixel config is refused naming --baud', () => {
    expectUsage(axon('run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://', '--duration', '0.3', '--baud', '500000'), '--baud', 'not a Dynamixel rate', '57600');
  });
});

describe('run --dry-run --dataset', () => {
  it('is refused before the bus: a dry run sends no command, its actions were never executed', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'axon-dry-')), 'ds');
    const r = axon('run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://', '--duration', '0.3', '--dry-run', '--dataset', dir);
    expectUsage(r, '--dataset', '--dry-run', 'never have been executed', '--record');
    expect(existsSync(dir)).toBe(false);
  });
});
