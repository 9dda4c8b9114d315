/**
 * `axon inspect`'s text report prints the robot file's names escaped (src/core/printable.ts): a
 * joint or robot named with a terminal escape (a cleared screen, a window title) reaches the
 * MISSING, difference and check lines as `\u001b`, while the JSON keeps the names raw. The fixtures
 * are the cartpole with its slider joint renamed, and with its slider the mimic of an escaped
 * joint (a difference line naming it); both with a world frame link without inertia and a pole of
 * near-zero izz.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { inspectCommand } from '../../../src/cli/commands/inspect.ts';
import { namedCartUrdf } from '../../helpers/namedCart.ts';

const ESC_JOINT = 'slider\u001b[2J';
const dir = mkdtempSync(join(tmpdir(), 'axon-inspect-printable-'));
const urdf = join(dir, 'cart.urdf');
writeFileSync(
  urdf,
  namedCartUrdf(ESC_JOINT, 'hinge'),
);

const ESC_ROBOT = 'cart\u001b]0;x';
const mimic = join(dir, 'mimic.urdf');
writeFileSync(
  mimic,
  `<robot name="${ESC_ROBOT}">
  <link name="world"/>
  <joint name="lead\u001b[2J" type="prismatic"><parent link="world"/><child link="base"/><axis xyz="1 0 0"/><limit lower="-2" upper="2" effort="20" velocity="4"/></joint>
  <link name="base"><inertial><mass value="1"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
  <joint name="slider" type="prismatic"><parent link="base"/><child link="cart"/><axis xyz="1 0 0"/><limit lower="-2" upper="2" effort="20" velocity="4"/><mimic joint="lead\u001b[2J"/></joint>
  <link name="cart"><inertial><mass value="1"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
  <joint name="hinge" type="continuous"><parent link="cart"/><child link="pole"/><axis xyz="0 1 0"/><limit effort="0" velocity="20"/></joint>
  <link name="pole"><inertial><origin xyz="0 0 0.3"/><mass value="0.1"/><inertia ixx="3e-3" ixy="0" ixz="0" iyy="3e-3" iyz="0" izz="1e-6"/></inertial></link>
</robot>
`,
);

/** stdout lines of `axon inspect models/cartpole-balance --urdf FILE ...args`, and its error (it does not fit). */
async function inspect(file: string, ...args: string[]): Promise<{ out: string[]; error: unknown }> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
  let error: unknown;
  try {
    await inspectCommand().exitOverride().parseAsync(['models/cartpole-balance', '--urdf', file, ...args], { from: 'user' });
  } catch (e) {
    error = e;
  } finally {
    log.mockRestore();
  }
  return { out, error };
}

describe('axon inspect: names from the robot file on the terminal', () => {
  it('the MISSING line names the robot\'s joint escaped; nothing on stdout carries an ESC', async () => {
    const { out, error } = await inspect(urdf);
    expect(error).toMatchObject({ code: 'MODEL_ROBOT_MISMATCH' });
    expect(out.join('\n')).not.toMatch(/\u001b/);
    expect(out.find((l) => l.startsWith('  joints: MISSING'))).toBe("  joints: MISSING slider; the robot's joints are slider\\u001b[2J, hinge");
  });

  it('the difference line, the check lines and the one-line error name the robot and its joint escaped', async () => {
    const { out, error } = await inspect(mimic);
    expect(out.join('\n')).not.toMatch(/\u001b/);
    expect(out.find((l) => l.startsWith('  difference:'))).toContain('it follows lead\\u001b[2J (coupled to it)');
    expect(out.at(-1)).toContain('(robot cart\\u001b]0;x): DOES NOT FIT');
    expect((error as Error).message).toBe('model "cartpole-balance" does not fit robot "cart\\u001b]0;x": 1 difference (listed in the report on stdout)');
  });

  it('--json keeps the names raw (JSON escapes them itself)', async () => {
    const { out } = await inspect(mimic, '--json');
    const summary = JSON.parse(out.at(-1)!);
    expect(summary.check.issues.some((x: { robot: string }) => x.robot.includes('lead\u001b[2J'))).toBe(true);
  });
});
