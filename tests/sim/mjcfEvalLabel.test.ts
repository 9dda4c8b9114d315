import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalUserRobot } from '../../src/cli/commands/evalUserRobot.ts';

/** Review R24 F8: `axon eval --mjcf` names the robot as `axon sim --mjcf` does, by the model's name (<mujoco model>). */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-label-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cmd = { getOptionValueSource: () => undefined };
const flags = (mjcf: string) => ({ mjcf, workers: 1, physics: 'cannon' as const, strict: false, urdfPackagePath: [] });

describe('eval --mjcf: the robot label', () => {
  it("is the model's name, after a prolog and a commented-out older <mujoco>, in single quotes too", () => {
    const file = join(dir, 'robot.xml');
    writeFileSync(file, `<?xml version="1.0" encoding="utf-8"?>\n<!-- <mujoco model="old name"> -->\n<mujoco\n  model='degbot'>\n  <worldbody/>\n</mujoco>\n`);
    expect(evalUserRobot(flags(file), cmd as never)?.label).toBe('degbot');
  });

  it("is the file's name when the model has none, and --robot over both", () => {
    const file = join(dir, 'unnamed.xml');
    writeFileSync(file, '<mujoco>\n  <worldbody/>\n</mujoco>\n');
    expect(evalUserRobot(flags(file), cmd as never)?.label).toBe('unnamed');
    expect(evalUserRobot({ ...flags(join(dir, 'robot.xml')), robot: 'mine' }, cmd as never)?.label).toBe('mine');
  });
});
