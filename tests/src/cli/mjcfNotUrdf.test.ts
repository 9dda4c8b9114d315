import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refuseUrdfAsMjcf } from '../../../src/cli/mjcfSession.ts';
import { runAxon } from '../../helpers/cli.ts';

/** `--mjcf` given a URDF ran it through MuJoCo's own URDF importer as "MJCF", skipping axon's URDF checks. */
const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-urdf-'));

describe('refuseUrdfAsMjcf', () => {
  it('refuses a root <robot> after a BOM, an XML declaration, comments and a DOCTYPE (with a <mujoco> block inside)', () => {
    const f = join(dir, 'vendor.xml');
    writeFileSync(f, '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<!-- exported by a CAD tool; <mujoco> is mentioned here -->\n<!DOCTYPE robot>\n<robot name="g1">\n  <mujoco><compiler meshdir="meshes"/></mujoco>\n  <link name="base"/>\n</robot>\n');
    expect(() => refuseUrdfAsMjcf(f)).toThrow(/--mjcf: .*vendor\.xml is a URDF \(its root element is <robot>.*--urdf/);
  });

  it('lets an MJCF through, a comment naming <robot> or not', () => {
    const f = join(dir, 'scene.xml');
    writeFileSync(f, '<!-- converted from <robot name="x"> -->\n<mujoco model="x"><worldbody/></mujoco>\n');
    expect(() => refuseUrdfAsMjcf(f)).not.toThrow();
    expect(() => refuseUrdfAsMjcf(join(dir, 'missing.xml'))).not.toThrow(); // the loader names it
  });

  it('axon sim --mjcf cartpole.urdf: exit 2 naming --mjcf and pointing to --urdf', () => {
    const f = join(dir, 'robot.urdf');
    copyFileSync('sim/robots/cartpole.urdf', f);
    const r = runAxon(['sim', '--mjcf', f, '--fast', '--duration', '0.2'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--mjcf');
    expect(r.stderr).toContain('is a URDF');
    expect(r.stderr).toContain(`--urdf ${f}`);
    expect(r.stdout).toBe('');
  });
});
