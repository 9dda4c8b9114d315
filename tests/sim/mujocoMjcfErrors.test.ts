import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { mujocoMessage } from '../../sim/mujoco/loadMujoco.ts';
import { writeMenagerieQuadruped } from '../helpers/menagerieMjcf.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { axon } from '../helpers/cli.ts';
import { buildRefusal } from '../helpers/errors.ts';

/**
 * An MJCF that MuJoCo refuses, or one it takes with numbers that are not numbers: the menagerie-style
 * quadruped (tests/helpers/menagerieMjcf.ts: scene.xml including quad.xml, joint ranges and
 * actuator gains by <default> class, a "home" keyframe) with one thing changed.
 */


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
function refusal(file: string): Promise<AxonError> {
  return buildRefusal(() => createMujocoMjcfRobot(file, { physicsDt: 0.002 }));
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

describe('an MJCF number that is nan or inf is refused at load (MUJOCO_MJCF_NUMBER), as a URDF one is (URDF_NUMBER)', () => {
  it('where it is written: file, line, element (or default class), attribute and value', async () => {
    const cases: [string, string, string, (line: number, file: string) => string][] = [
      // A default class's range: MuJoCo compiled a NaN joint limit for every knee.
      ['range="-2.7227 -0.83776"', 'range="-2.7227 nan"', 'range', (l, f) => `${f}:${l}: <default class="knee"> <joint>: attribute "range" is "-2.7227 nan" (a default class: every element of the class gets it) (expected 2 finite numbers separated by spaces, or -inf for no lower bound and inf for no upper one)`],
      ['size="0.19 0.05 0.05"', 'size="0.19 inf 0.05"', 'size', (l, f) => `${f}:${l}: <body name="base"> <geom>: attribute "size" is "0.19 inf 0.05" (expected 3 finite numbers separated by spaces)`],
      ['pos="0 0 0.445"', 'pos="0 0 nan"', 'pos', (l, f) => `${f}:${l}: <body name="base">: attribute "pos" is "0 0 nan" (expected 3 finite numbers separated by spaces)`],
      // MuJoCo's own "not given": the geom silently weighed its density instead.
      ['mass="0.6"', 'mass="NaN"', 'mass', (l, f) => `${f}:${l}: <body name="FL_thigh"> <geom>: attribute "mass" is "NaN" (expected a finite number)`],
      ['<site name="imu"', '<inertial pos="0 0 0" mass="nan" diaginertia="0.1 0.1 0.1"/><site name="imu"', 'inertial', (l, f) => `${f}:${l}: <body name="base"> <inertial>: attribute "mass" is "nan" (expected a finite number)`],
      ['qpos="0 0 0.32', 'qpos="0 0 -inf', 'qpos', (l, f) => `${f}:${l}: <key name="home">: attribute "qpos" is "0 0 -inf 1 0 0 0 0.9 -1.8 0.9 -1.8 0.9 -1.8 0.9 -1.8" (expected 15 finite numbers separated by spaces)`],
      // An actuator axon replaces: its gain was read as none, silently.
      ['kp="35"', 'kp="nan"', 'kp', (l, f) => `${f}:${l}: <default class="quad"> <position>: attribute "kp" is "nan" (a default class: every element of the class gets it) (expected a finite number)`],
    ];
    for (const [from, to, label, expected] of cases) {
      const v = variant(`number-${label}`, 'quad.xml', from, to);
      const e = await refusal(v.scene);
      expect(e.code, label).toBe('MUJOCO_MJCF_NUMBER');
      expect(e.message, label).toBe(expected(v.line, v.changed));
    }
  });

  it('a range unbounded on a side (-inf below, inf above: a vendor\'s continuous hinge, an unlimited force) loads as unbounded; inf on the wrong side is refused', async () => {
    const v = variant('unbounded', 'quad.xml', `<joint range="-1.5708 3.4907"/>
        <position ctrlrange="-1.5708 3.4907"/>`, `<joint range="-inf inf"/>
        <position ctrlrange="-inf +inf" forcerange="-inf inf"/>`);
    const r = await createMujocoMjcfRobot(v.scene, { physicsDt: 0.002 });
    expect(r.spec.joints.find((j) => j.name === 'FL_thigh_joint')).toMatchObject({ type: 'continuous', lower: -Infinity, upper: Infinity, effortLimit: Infinity });
    expect(r.spec.joints.find((j) => j.name === 'FL_calf_joint')).toMatchObject({ type: 'revolute', lower: -2.7227, upper: -0.83776, effortLimit: 23.7 });
    r.dispose();
    const wrong = variant('unbounded-wrong', 'quad.xml', 'range="-1.5708 3.4907"', 'range="-1.5708 -inf"');
    expect((await refusal(wrong.scene)).message).toBe(
      `${wrong.changed}:${wrong.line}: <default class="thigh"> <joint>: attribute "range" is "-1.5708 -inf" (a default class: every element of the class gets it) (expected 2 finite numbers separated by spaces, or -inf for no lower bound and inf for no upper one)`,
    );
  });

  it("a finite number MuJoCo's compiler turns into an infinite one (a size of 1e200) is refused by the element's name", async () => {
    const v = variant('number-overflow', 'quad.xml', 'size="0.19 0.05 0.05"', 'size="0.19 1e200 0.05"');
    const e = await refusal(v.scene);
    expect(e.code).toBe('MUJOCO_MJCF_NUMBER');
    expect(e.message).toBe(`${v.scene}: <body name="base">: MuJoCo compiles its inertia to Infinity, from the numbers it or its default class gives (too large to compute with, or not finite) (expected numbers MuJoCo compiles to finite values)`);
  });

  it('a mass whose weight overflows (1e308 kg: the first step was NaN) and an axis MuJoCo normalises to zero (length 1e200) are refused by name', async () => {
    const heavy = variant('weight-overflow', 'quad.xml', 'size="0.19 0.05 0.05" mass="5"', 'size="0.19 0.05 0.05" mass="1e308"');
    expect((await refusal(heavy.scene)).message).toBe(
      `${heavy.scene}: <body name="base">: MuJoCo compiles its weight (mass × 9.81 m/s² of gravity) to Infinity, from the numbers it or its default class gives (too large to compute with, or not finite) (expected numbers MuJoCo compiles to finite values)`,
    );
    const axis = variant('axis-overflow', 'quad.xml', '<joint axis="0 1 0" damping="0.5"', '<joint axis="0 1e200 1e200" damping="0.5"');
    expect((await refusal(axis.scene)).message).toBe(
      `${axis.scene}: <joint name="FL_thigh_joint">: MuJoCo compiles its axis length to 0, from the numbers it or its default class gives (too large to compute with, or not finite) (expected numbers MuJoCo compiles to finite values)`,
    );
  });

  it('sim --mjcf, inspect --mjcf and describe refuse it on one line, exit 2; a body or class named "inf" is a name', () => {
    const v = variant('number-cli', 'quad.xml', 'range="-2.7227 -0.83776"', 'range="-2.7227 nan"');
    const line = `axon: error [MUJOCO_MJCF_NUMBER]: ${v.changed}:${v.line}: <default class="knee"> <joint>: attribute "range" is "-2.7227 nan" (a default class: every element of the class gets it) (expected 2 finite numbers separated by spaces, or -inf for no lower bound and inf for no upper one)\n`;
    const policy = zeroPositionPolicy(writeMenagerieQuadruped(join(dir, 'names')).joints, { observation: { terms: [{ term: 'joint_pos_rel' }] } });
    for (const args of [['sim', '--mjcf', v.scene, '--duration', '0.1', '--fast'], ['inspect', policy, '--mjcf', v.scene], ['describe', v.scene]]) {
      const r = axon(...args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toBe(line);
    }
    // Names are not numbers.
    const named = variant('names-inf', 'quad.xml', '<body name="base" pos="0 0 0.445" childclass="quad">', '<body name="inf" pos="0 0 0.445" childclass="quad">');
    writeFileSync(named.changed, readFileSync(named.changed, 'utf8').replaceAll('class="knee"', 'class="nan"'));
    const ok = axon('describe', named.scene, '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout.trim().split('\n').at(-1)!)).toMatchObject({ format: 'mjcf', imu_link: 'inf' });
  });
});

describe('an unnamed hinge joint', () => {
  it('is refused as MUJOCO_MJCF_JOINT with its body, not by MuJoCo as an actuator on joint "emsc" (the binding\'s name for an unnamed element)', async () => {
    const v = variant('unnamed-joint', 'quad.xml', '<joint name="FR_calf_joint" class="knee"/>', '<joint class="knee"/>');
    // and its actuator, and the keyframe's ctrl for it
    writeFileSync(v.changed, readFileSync(v.changed, 'utf8').replace(/<position class="knee" name="FR_calf"[^>]*>/, '').replace(/ ctrl="[^"]*"/, ''));
    const e = await refusal(v.scene);
    expect(e.code, e.message).toBe('MUJOCO_MJCF_JOINT');
    expect(e.message).toBe(`${v.scene}: has 1 unnamed hinge or slide joint(s), on body "FR_calf" (expected every moving joint named (axon addresses joints by name))`);
  });
});
