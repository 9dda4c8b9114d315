import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { mujocoMessage } from '../../sim/mujoco/loadMujoco.ts';
import { writeMenagerieQuadruped } from '../helpers/menagerieMjcf.ts';

/**
 * An MJCF that MuJoCo refuses: the menagerie-style
 * quadruped (tests/helpers/menagerieMjcf.ts: scene.xml including quad.xml, joint ranges and
 * actuator gains by <default> class, a "home" keyframe) with one thing changed.
 */

function axon(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/axon.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The quadruped in dir/<name>/ with `from` replaced by `to` in `part` (quad.xml or scene.xml): the model file, the changed file and the line changed. */
function variant(name: string, part: 'quad.xml' | 'scene.xml', from: string, to: string): { scene: string; changed: string; line: number } {
  const { file: scene } = writeMenagerieQuadruped(join(dir, name));
  const changed = join(dir, name, 'quad', part);
  const text = readFileSync(changed, 'utf8');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`${from} not in ${part}`);
  writeFileSync(changed, text.slice(0, at) + to + text.slice(at + from.length));
  return { scene, changed, line: text.slice(0, at).split('\n').length };
}

/** The AxonError createMujocoMjcfRobot (sim --mjcf, inspect --mjcf, describe) throws for `file`. */
async function refusal(file: string): Promise<AxonError> {
  const e = await createMujocoMjcfRobot(file, { physicsDt: 0.002 }).then(
    (r) => {
      r.dispose();
      return undefined;
    },
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AxonError);
  return e as AxonError;
}

describe("MuJoCo's refusal of an MJCF is one line that keeps the element and line it names", () => {
  it("its compiler's two lines joined; a line 0 (an included file's element, which MuJoCo has no line for) dropped", () => {
    expect(mujocoMessage("MuJoCo Error: Loading error: XML Error: unknown default class name 'kneee'\nElement 'joint', line 0\n\n")).toBe(
      "Loading error: XML Error: unknown default class name 'kneee'; Element 'joint'",
    );
    expect(mujocoMessage("Error: mesh 'm' not found in geom 1\nElement name 'FL_thigh', id 3, line 12\n")).toBe("Error: mesh 'm' not found in geom 1; Element name 'FL_thigh', id 3, line 12");
  });

  it('an unknown attribute in the model file, a class no <default> has in an included file, a mesh file that is not there', async () => {
    const attr = variant('unknown-attribute', 'scene.xml', '<geom name="floor"', '<geom name="floor" frictionx="1"');
    const e = await refusal(attr.scene);
    expect(e.code).toBe('MUJOCO_COMPILE');
    expect(e.message).toBe(`${attr.scene}: MuJoCo refused it: Loading error: XML Error: Schema violation: unrecognized attribute: 'frictionx'; Element 'geom', line ${attr.line} (expected a model MuJoCo 3.14 compiles)`);
    const cls = variant('missing-class', 'quad.xml', 'class="knee"/>', 'class="kneee"/>');
    expect((await refusal(cls.scene)).message).toBe(`${cls.scene}: MuJoCo refused it: Loading error: XML Error: unknown default class name 'kneee'; Element 'joint' (expected a model MuJoCo 3.14 compiles)`);
    const mesh = variant('missing-mesh', 'quad.xml', '<default>', '<asset><mesh name="shell" file="shell.stl"/></asset>\n  <default>');
    const m = await refusal(mesh.scene);
    expect(m.message).toContain("Error opening file 'shell.stl'");
    expect(m.message).not.toContain('\n');
  });

  it('axon sim --mjcf prints it on one line and exits 2', () => {
    const attr = variant('unknown-attribute-cli', 'scene.xml', '<geom name="floor"', '<geom name="floor" frictionx="1"');
    const r = axon('sim', '--mjcf', attr.scene, '--duration', '0.1', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `axon: error [MUJOCO_COMPILE]: ${attr.scene}: MuJoCo refused it: Loading error: XML Error: Schema violation: unrecognized attribute: 'frictionx'; Element 'geom', line ${attr.line} (expected a model MuJoCo 3.14 compiles)\n`,
    );
  });
});
