import { describe, it, expect } from 'vitest';
import { parseUrdf, SimRobot, UrdfError, robotModel, type UrdfErrorCode } from '../../sim/index.ts';
import { AxonError } from '../../src/core/errors.ts';

const LINK = (name: string, mass = 1): string =>
  `<link name="${name}"><inertial><mass value="${mass}"/><inertia ixx="0.1" ixy="0" ixz="0" iyy="0.1" iyz="0" izz="0.1"/></inertial></link>`;

/** A small valid robot; `joint` replaces the one joint, `extra` is appended inside <robot>. */
function urdf(joint = `<joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><axis xyz="0 0 2"/><limit lower="-1" upper="1" effort="5" velocity="3"/></joint>`, extra = ''): string {
  return `<?xml version="1.0"?><robot name="t"><link name="base"/>${LINK('arm')}${joint}${extra}</robot>`;
}

function codeOf(xml: string): UrdfErrorCode | string {
  try {
    parseUrdf(xml);
  } catch (e) {
    expect(e).toBeInstanceOf(UrdfError);
    expect(e).toBeInstanceOf(AxonError);
    return (e as UrdfError).code;
  }
  return 'no error';
}

function errorOf(xml: string): UrdfError {
  try {
    parseUrdf(xml);
  } catch (e) {
    return e as UrdfError;
  }
  throw new Error('expected a UrdfError');
}

describe('parseUrdf', () => {
  it('reads the cartpole: tree, joints, limits, inertials, shapes', () => {
    const m = robotModel('cartpole');
    expect(m.name).toBe('cartpole');
    expect(m.root).toBe('world');
    expect(m.treeOrder.map((j) => j.name)).toEqual(['slider', 'hinge']);
    const slider = m.jointByName.get('slider')!;
    expect(slider.type).toBe('prismatic');
    expect(slider.axis).toEqual([1, 0, 0]);
    expect([slider.lower, slider.upper, slider.effort, slider.velocity]).toEqual([-3, 3, 30, 10]);
    const hinge = m.jointByName.get('hinge')!;
    expect(hinge.type).toBe('continuous');
    expect(hinge.axis).toEqual([0, 1, 0]);
    expect(hinge.effort).toBe(0);
    expect(hinge.lower).toBe(-Infinity);
    expect(hinge.origin.xyz).toEqual([0, 0, 0.075]);
    const pole = m.linkByName.get('pole')!;
    expect(pole.inertial!.mass).toBe(0.1);
    expect(pole.inertial!.origin.xyz).toEqual([0, 0, 0.5]);
    expect(pole.collisions[0].geometry).toEqual({ kind: 'cylinder', radius: 0.02, length: 1 });
    expect(pole.visuals[0].color).toEqual([0.9, 0.5, 0.1, 1]);
    expect(m.linkByName.get('cart')!.collisions[0].geometry).toEqual({ kind: 'box', size: [0.4, 0.25, 0.15] });
    expect(m.childJoints.get('cart')!.map((j) => j.name)).toEqual(['hinge']);
    expect(m.parentJoint.get('pole')!.name).toBe('hinge');
  });

  it('normalises axes, defaults the axis to x and reads dynamics, meshes, rpy', () => {
    const m = parseUrdf(urdf());
    expect(m.jointByName.get('hinge')!.axis).toEqual([0, 0, 1]);
    const m2 = parseUrdf(
      urdf(
        `<joint name="j" type="continuous"><parent link="base"/><child link="arm"/><origin xyz="1 2 3" rpy="0.1 0.2 0.3"/><dynamics damping="0.5" friction="0.25"/></joint>`,
        `<link name="m"><visual><geometry><mesh filename="package://x/y.stl" scale="2 2 2"/></geometry></visual></link><joint name="f" type="fixed"><parent link="arm"/><child link="m"/></joint>`,
      ),
    );
    const j = m2.jointByName.get('j')!;
    expect(j.axis).toEqual([1, 0, 0]);
    expect(j.origin).toEqual({ xyz: [1, 2, 3], rpy: [0.1, 0.2, 0.3] });
    expect([j.damping, j.friction]).toEqual([0.5, 0.25]);
    expect(m2.linkByName.get('m')!.visuals[0].geometry).toEqual({ kind: 'mesh', filename: 'package://x/y.stl', scale: [2, 2, 2] });
  });

  it('builds the tree from parent/child, not file order (depth-first, children in file order)', () => {
    const xml = `<robot name="t">
      <link name="c"/>${LINK('b')}<link name="a"/>
      <joint name="j2" type="fixed"><parent link="b"/><child link="c"/></joint>
      <joint name="j3" type="fixed"><parent link="a"/><child link="d"/></joint>
      <joint name="j1" type="fixed"><parent link="a"/><child link="b"/></joint>
      <link name="d"/></robot>`;
    const m = parseUrdf(xml);
    expect(m.root).toBe('a');
    expect(m.treeOrder.map((j) => j.name)).toEqual(['j3', 'j1', 'j2']);
  });

  it('a <limit> without effort or velocity (as ManiSkill\'s koch arm ships) is read as unlimited with a note; --strict refuses it', () => {
    const xml = urdf(`<joint name="j" type="revolute"><parent link="base"/><child link="arm"/><limit lower="0" upper="1"/></joint>`);
    const m = parseUrdf(xml);
    expect(m.jointByName.get('j')).toMatchObject({ effort: Infinity, velocity: Infinity, lower: 0, upper: 1 });
    expect(m.notes).toContainEqual({
      code: 'URDF_LIMIT_DEFAULTED',
      where: '<joint name="j"> <limit>',
      message:
        "no effort and no velocity attribute (the URDF spec requires them): taken as unlimited, so the supervisor has no effort clamp and no per-tick step limit for it; give the actuator's in a manifest (actuators.effort_limit, actuators.velocity_limit)",
    });
    expect(parseUrdf(xml.replace('upper="1"', 'upper="1" velocity="2"')).notes.find((n) => n.code === 'URDF_LIMIT_DEFAULTED')?.message).toMatch(/^no effort attribute/);
    expect(new SimRobot(m).spec.joints[0].effortLimit).toBe(Infinity);
    expect(() => new SimRobot(m, { strict: true })).toThrow(expect.objectContaining({ code: 'URDF_ATTRIBUTE', where: '<joint name="j"> <limit>' }));
  });

  it('effort="0" velocity="0" (a CAD exporter\'s placeholders) is read as unlimited with a note; velocity 0 alone likewise; effort 0 alone is a passive joint (the cartpole\'s hinge)', () => {
    const joint = (name: string, child: string, lim: string) => `<joint name="${name}" type="revolute"><parent link="base"/><child link="${child}"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" ${lim}/></joint>`;
    const m = parseUrdf(urdf(joint('j', 'arm', 'effort="0" velocity="0"')));
    expect(m.jointByName.get('j')).toMatchObject({ effort: Infinity, velocity: Infinity });
    expect(m.notes.filter((n) => n.code === 'URDF_LIMIT_ZERO')).toEqual([expect.objectContaining({ where: '<joint name="j"> <limit>', message: expect.stringMatching(/^effort="0" velocity="0" \(placeholders a CAD exporter writes/) })]);
    expect(new SimRobot(m).spec.joints[0]).toMatchObject({ effortLimit: Infinity, velocityLimit: Infinity });
    expect(() => new SimRobot(m, { strict: true })).toThrow(expect.objectContaining({ code: 'URDF_ATTRIBUTE', where: '<joint name="j"> <limit>' }));

    const two = parseUrdf(urdf(joint('j', 'arm', 'effort="0" velocity="0"'), `${LINK('arm2')}${joint('k', 'arm2', 'effort="0" velocity="0"')}`));
    expect(two.notes.filter((n) => n.code === 'URDF_LIMIT_ZERO').map((n) => n.message)).toEqual([expect.stringMatching(/\(and 1 more joints likewise\)$/)]);

    const bare = parseUrdf(`<?xml version="1.0"?><robot name="t">${LINK('base')}<link name="a"/><link name="b"/>${joint('ja', 'a', 'effort="1" velocity="1"')}${joint('jb', 'b', 'effort="1" velocity="1"')}</robot>`);
    expect(new SimRobot(bare).notes.filter((n) => n.code === 'URDF_NO_INERTIAL').map((n) => n.message)).toEqual([expect.stringMatching(/\(and 1 more moving links likewise\)$/)]);

    const v0 = parseUrdf(urdf(joint('j', 'arm', 'effort="5" velocity="0"')));
    expect(v0.jointByName.get('j')).toMatchObject({ effort: 5, velocity: Infinity });
    expect(v0.notes.find((n) => n.code === 'URDF_LIMIT_ZERO')?.message).toMatch(/^velocity="0" \(placeholder a CAD/);

    const passive = parseUrdf(urdf(joint('j', 'arm', 'effort="0" velocity="3"')));
    expect(passive.jointByName.get('j')).toMatchObject({ effort: 0, velocity: 3 });
    expect(passive.notes).toEqual([]);
    expect(new SimRobot(passive).spec.joints[0].effortLimit).toBe(0);
  });

  it('an MJCF given as a URDF says so and where it goes', () => {
    expect(() => parseUrdf('<mujoco model="go2"><worldbody/></mujoco>')).toThrow("<mujoco>: is an MJCF model, not a URDF (expected a URDF (<robot name=\"...\">); run an MJCF with `axon sim --mjcf FILE`)");
  });

  const cases: [string, UrdfErrorCode, string][] = [
    ['not well-formed XML', 'URDF_XML', '<robot name="t"><link name="a"></robot>'],
    ['no <robot>', 'URDF_XML', '<model name="t"><link name="a"/></model>'],
    ['an MJCF', 'URDF_XML', '<mujoco model="go2"><worldbody><body name="base"/></worldbody></mujoco>'],
    ['missing parent link', 'URDF_MISSING_LINK', urdf(`<joint name="j" type="fixed"><parent link="nope"/><child link="arm"/></joint>`)],
    ['missing child link', 'URDF_MISSING_LINK', urdf(`<joint name="j" type="fixed"><parent link="base"/><child link="nope"/></joint>`)],
    ['unknown joint type', 'URDF_JOINT_TYPE', urdf(`<joint name="j" type="planar"><parent link="base"/><child link="arm"/></joint>`)],
    [
      'cycle',
      'URDF_CYCLE',
      `<robot name="t"><link name="r"/>${LINK('a')}${LINK('b')}
       <joint name="j0" type="fixed"><parent link="r"/><child link="x"/></joint><link name="x"/>
       <joint name="j1" type="fixed"><parent link="a"/><child link="b"/></joint>
       <joint name="j2" type="fixed"><parent link="b"/><child link="a"/></joint></robot>`,
    ],
    ['link its own parent', 'URDF_CYCLE', urdf(`<joint name="j" type="fixed"><parent link="arm"/><child link="arm"/></joint>`)],
    [
      'two parents',
      'URDF_TWO_PARENTS',
      urdf(`<joint name="j" type="fixed"><parent link="base"/><child link="arm"/></joint>`, `<link name="c"/><joint name="k" type="fixed"><parent link="c"/><child link="arm"/></joint>`),
    ],
    ['non-numeric limit', 'URDF_NUMBER', urdf(`<joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><limit lower="abc" upper="1" effort="1" velocity="1"/></joint>`)],
    ['NaN', 'URDF_NUMBER', urdf(`<joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><limit lower="NaN" upper="1" effort="1" velocity="1"/></joint>`)],
    ['xyz with two numbers', 'URDF_NUMBER', urdf(`<joint name="j" type="fixed"><parent link="base"/><child link="arm"/><origin xyz="1 2"/></joint>`)],
    ['zero axis', 'URDF_NUMBER', urdf(`<joint name="j" type="continuous"><parent link="base"/><child link="arm"/><axis xyz="0 0 0"/></joint>`)],
    ['missing joint type', 'URDF_ATTRIBUTE', urdf(`<joint name="j"><parent link="base"/><child link="arm"/></joint>`)],
    ['revolute without limit', 'URDF_ATTRIBUTE', urdf(`<joint name="j" type="prismatic"><parent link="base"/><child link="arm"/></joint>`)],
    ['box without size', 'URDF_ATTRIBUTE', urdf(undefined, `<link name="c"><collision><geometry><box/></geometry></collision></link><joint name="k" type="fixed"><parent link="arm"/><child link="c"/></joint>`)],
    ['duplicate link', 'URDF_DUPLICATE', urdf(undefined, '<link name="arm"/>')],
    ['duplicate joint', 'URDF_DUPLICATE', urdf(undefined, `<link name="c"/><joint name="hinge" type="fixed"><parent link="arm"/><child link="c"/></joint>`)],
    ['lower > upper', 'URDF_LIMIT', urdf(`<joint name="j" type="revolute"><parent link="base"/><child link="arm"/><limit lower="1" upper="-1" effort="1" velocity="1"/></joint>`)],
    ['zero mass', 'URDF_MASS', `<robot name="t"><link name="base"/>${LINK('arm', 0)}<joint name="j" type="fixed"><parent link="base"/><child link="arm"/></joint></robot>`],
    ['negative mass', 'URDF_MASS', `<robot name="t"><link name="base"/>${LINK('arm', -2)}<joint name="j" type="fixed"><parent link="base"/><child link="arm"/></joint></robot>`],
    ['two roots', 'URDF_ROOT', `<robot name="t"><link name="a"/><link name="b"/></robot>`],
    ['no links (no root)', 'URDF_ROOT', `<robot name="t"></robot>`],
  ];
  for (const [what, code, xml] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      expect(codeOf(xml)).toBe(code);
    });
  }

  it('names the element, the attribute, the bad value and what was expected', () => {
    const e = errorOf(urdf(`<joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><limit lower="abc" upper="1" effort="1" velocity="1"/></joint>`));
    expect(e.where).toBe('<joint name="hinge"> <limit>');
    expect(e.expected).toBe('a finite number');
    expect(e.message).toBe('<joint name="hinge"> <limit>: attribute "lower" is "abc" (expected a finite number)');
    const m = errorOf(urdf(`<joint name="j" type="fixed"><parent link="base"/><child link="ghost"/></joint>`));
    expect(m.message).toContain('link "ghost" does not exist');
    expect(m.where).toContain('<joint name="j"> <child>');
    const x = errorOf('<robot name="t"><link name="a"></robot>');
    expect(x.where).toMatch(/^line \d+/);
    const withSource = (() => {
      try {
        parseUrdf('<robot name="t"><link/></robot>', { source: 'bot.urdf' });
      } catch (err) {
        return err as UrdfError;
      }
      throw new Error('expected an error');
    })();
    expect(withSource.code).toBe('URDF_ATTRIBUTE');
    expect(withSource.where).toBe('bot.urdf: <link>');
  });
});
