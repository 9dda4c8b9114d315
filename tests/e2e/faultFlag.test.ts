import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon, type CliRun } from '../helpers/cli.ts';

/**
 * `--fault` is checked against the robot and the run before the run starts (docs/cli.md,
 * `--fault`): a mass fault on a robot without a "pole" link crashed 0.1 s in with a Node stack
 * trace from an rxjs subscriber (exit 1, after a summary saying success), and a fault after the
 * run's end silently never fired.
 */
const axon = (...args: string[]) => runAxon(args, 60_000);

function expectUsage(r: CliRun, ...parts: string[]) {
  expect(r.code, r.stderr).toBe(2);
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |reportUnhandledError/);
  expect(r.stdout).not.toContain('"success":true');
}

/** A user's URDF with no "pole": joints written before their links, a zero-inertia frame link, tiny inertias. */
function poleless(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'axon-fault-')), 'two_link.urdf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<robot name="two_link">
  <joint name="elbow" type="revolute"><parent link="upper"/><child link="lower"/><origin xyz="0 0 0.2"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="5" velocity="10"/></joint>
  <joint name="shoulder" type="revolute"><parent link="world"/><child link="upper"/><origin xyz="0 0 0.5"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="5" velocity="10"/></joint>
  <joint name="tool_joint" type="fixed"><parent link="lower"/><child link="tool_frame"/></joint>
  <link name="world"/>
  <link name="upper"><inertial><mass value="0.3"/><inertia ixx="1e-5" iyy="1e-5" izz="1e-6" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <link name="lower"><inertial><mass value="0.2"/><inertia ixx="2e-6" iyy="2e-6" izz="1e-7" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <link name="tool_frame"/>
</robot>
`,
  );
  return file;
}

describe('--fault mass on a robot without a "pole" link: exit 2 naming --fault, before the run', () => {
  it('sim --robot humanoid', () => {
    const r = axon('sim', '--robot', 'humanoid', '--policy', 'models/humanoid-balance', '--fast', '--duration', '0.4', '--fault', 'mass:3@0.1', '--json');
    expectUsage(r, '--fault', 'mass:3@0.1', '"pole"', 'pelvis', 'motor:FACTOR@S');
    expect(r.stdout).toBe('');
  });

  it('eval --robot humanoid (and before anything is queued or threaded: --workers 2)', () => {
    const r = axon('eval', '--robot', 'humanoid', '--policy', 'models/humanoid-balance', '--episodes', '2', '--workers', '2', '--duration', '0.4', '--fault', 'mass:3@0.1', '--json');
    expectUsage(r, '--fault', '"pole"', 'pelvis');
  });

  it('sim --urdf with no pole link (the robot as built is checked)', () => {
    const r = axon('sim', '--urdf', poleless(), '--fast', '--duration', '0.2', '--fault', 'mass:2@0.1');
    expectUsage(r, '--fault', '"pole"', 'two_link', 'upper');
  });
});

describe('--fault at or after the end of the run: exit 2, as teleop --estop-at', () => {
  it('sim: after --duration', () => {
    expectUsage(axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--fast', '--duration', '0.2', '--fault', 'mass:2@100'), '--fault', '100 s', '0.2 s');
  });

  it("eval: after the task's episode length (10 s for the cartpole)", () => {
    expectUsage(axon('eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '1', '--fault', 'mass:3@100', '--json'), '--fault', '100 s', '10 s');
  });

  it('a fault inside the run still runs (cartpole, exit 0)', () => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--fast', '--duration', '0.2', '--fault', 'mass:2@0.1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.lastLine).command).toBe('sim');
  });
});
