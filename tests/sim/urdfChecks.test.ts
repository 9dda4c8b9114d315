import { describe, it, expect } from 'vitest';
import { parseUrdf, SimRobot, UrdfError, type UrdfErrorCode } from '../../sim/index.ts';
import { DEFAULT_LINK_INERTIAL } from '../../sim/SimRobot.ts';

const inertial = (mass: number, i: [number, number, number, number, number, number] = [0.1, 0, 0, 0.1, 0, 0.1]) =>
  `<inertial><mass value="${mass}"/><inertia ixx="${i[0]}" ixy="${i[1]}" ixz="${i[2]}" iyy="${i[3]}" iyz="${i[4]}" izz="${i[5]}"/></inertial>`;
const hinge = (name: string, parent: string, child: string, limit = 'lower="-1" upper="1"') =>
  `<joint name="${name}" type="revolute"><parent link="${parent}"/><child link="${child}"/><axis xyz="0 1 0"/><limit ${limit} effort="5" velocity="3"/></joint>`;

function failure(f: () => unknown): UrdfError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UrdfError);
    return e as UrdfError;
  }
  throw new Error('expected a UrdfError');
}

describe('URDF checks: each named error', () => {
  const cases: [string, UrdfErrorCode, string, RegExp][] = [
    ['negative mass', 'URDF_MASS', `<robot name="t"><link name="a">${inertial(-1)}</link></robot>`, /mass is -1/],
    ['lower > upper', 'URDF_LIMIT', `<robot name="t"><link name="a"/><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b', 'lower="1" upper="-1"')}</robot>`, /lower 1 is above upper -1/],
    ['duplicate link', 'URDF_DUPLICATE', `<robot name="t"><link name="a"/><link name="a"/></robot>`, /link name "a" is used twice/],
    ['duplicate joint', 'URDF_DUPLICATE', `<robot name="t"><link name="a"/><link name="b"/><link name="c"/>${hinge('j', 'a', 'b')}${hinge('j', 'b', 'c')}</robot>`, /joint name "j" is used twice/],
    ['a link with two parents', 'URDF_TWO_PARENTS', `<robot name="t"><link name="a"/><link name="b"/><link name="c"/>${hinge('j', 'a', 'c')}${hinge('k', 'b', 'c')}</robot>`, /already the child of <joint name="j">/],
    ['an unreachable link', 'URDF_UNREACHABLE', `<robot name="t"><link name="a"/><link name="b"/><link name="stray"/>${hinge('j', 'a', 'b')}</robot>`, /"stray" is not reachable from the root "a"/],
  ];
  for (const [what, code, xml, message] of cases) {
    it(`${what}: ${code}`, () => {
      const e = failure(() => parseUrdf(xml, { source: 'bot.urdf' }));
      expect(e.code).toBe(code);
      expect(e.where.startsWith('bot.urdf: ')).toBe(true);
      expect(e.message).toMatch(message);
    });
  }

  it("a tensor that is not positive definite on a moving link with a real mass (Fetch's fingers: [0.002 0 0; 0 0 0; 0 0 0]) is repaired with a note, URDF_INERTIA when strict", () => {
    const bad = (i: [number, number, number, number, number, number]) => `<robot name="t"><link name="a">${inertial(2)}</link><link name="b">${inertial(0.08, i)}</link>${hinge('j', 'a', 'b')}</robot>`;
    const m = parseUrdf(bad([0.002, 0, 0, 0, 0, 0]));
    expect(m.linkByName.get('b')!.inertial).toMatchObject({ mass: 0.08, ixx: 0.002, iyy: 0.002, izz: 0.002, ixy: 0, ixz: 0, iyz: 0, repaired: true });
    expect(m.notes.find((n) => n.code === 'URDF_INERTIA_REPAIRED')?.message).toBe(
      'the tensor [0.002 0 0; 0 0 0; 0 0 0] is not positive definite on a link that moves (child of <joint name="j">, revolute): taken as 0.002 kg·m² about each axis of its inertial frame (its largest moment; --strict refuses it)',
    );
    // |ixy| too large: the products go, the largest moment stays
    expect(parseUrdf(bad([0.1, 0.2, 0, 0.1, 0, 0.1])).linkByName.get('b')!.inertial).toMatchObject({ ixx: 0.1, ixy: 0, iyy: 0.1, izz: 0.1 });
    // all zero with a real mass: a 2 cm sphere of that mass
    expect(parseUrdf(bad([0, 0, 0, 0, 0, 0])).linkByName.get('b')!.inertial!.ixx).toBeCloseTo(0.4 * 0.08 * 0.02 ** 2, 15);
    const r = new SimRobot(m);
    expect(r.bodyOf('b').inertia.x).toBeCloseTo(0.002, 12);
    const e = failure(() => new SimRobot(parseUrdf(bad([0.002, 0, 0, 0, 0, 0])), { strict: true }));
    expect(e.code).toBe('URDF_INERTIA');
    expect(e.where).toBe('<link name="b"> <inertial> <inertia>');
  });

  it('a moving link without <inertial>: a default and a note, or URDF_NO_INERTIAL when strict', () => {
    const xml = `<robot name="t"><link name="world"/><link name="arm"/><link name="tool"/>${hinge('j', 'world', 'arm')}<joint name="f" type="fixed"><parent link="arm"/><child link="tool"/></joint></robot>`;
    const e = failure(() => new SimRobot(parseUrdf(xml), { strict: true }));
    expect(e.code).toBe('URDF_NO_INERTIAL');
    expect(e.where).toBe('<link name="arm">');
    expect(e.message).toContain('child of <joint name="j">');
    const r = new SimRobot(parseUrdf(xml));
    expect(r.bodyMass('arm')).toBe(DEFAULT_LINK_INERTIAL.mass);
    expect(r.notes.find((n) => n.code === 'URDF_NO_INERTIAL')!.message).toMatch(/moving link has no <inertial> \(nor the 1 link\(s\) fixed to it\): given 0.1 kg/);
  });

  it('a <limit> without lower and upper is [0, 0] as the spec says, with a note (legged_gym\'s anymal_c.urdf)', () => {
    const m = parseUrdf(`<robot name="t"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link>${hinge('LF_HAA', 'a', 'b', '')}</robot>`);
    expect(m.jointByName.get('LF_HAA')).toMatchObject({ lower: 0, upper: 0 });
    expect(m.notes.find((n) => n.code === 'URDF_LIMIT_RANGE_ABSENT')?.message).toBe("gives no lower and no upper: both 0, as the URDF spec says, so the revolute joint cannot move; write its range if it should (legged_gym's anymal_c.urdf leaves them out)");
    expect(parseUrdf(`<robot name="t"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b', 'lower="0"')}</robot>`).notes.map((n) => n.code)).not.toContain('URDF_LIMIT_RANGE_ABSENT');
  });

  it('lower="0" upper="0" written on moving joints (SolidWorks\' exporter, no range entered) is kept and said once with a count', () => {
    // As sw_urdf_exporter writes them: every attribute on its own line, all four limits 0.
    const sw = (name: string, parent: string, child: string) =>
      `<joint\n    name="${name}"\n    type="revolute">\n    <parent\n      link="${parent}" />\n    <child\n      link="${child}" />\n    <axis\n      xyz="0 1 0" />\n    <limit\n      lower="0"\n      upper="0"\n      effort="0"\n      velocity="0" />\n  </joint>`;
    const m = parseUrdf(`<robot\n  name="sw_arm"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link><link name="c">${inertial(1)}</link>${sw('joint1', 'a', 'b')}${sw('joint2', 'b', 'c')}</robot>`);
    expect(m.jointByName.get('joint1')).toMatchObject({ lower: 0, upper: 0, effort: Infinity, velocity: Infinity });
    const notes = m.notes.filter((n) => n.code === 'URDF_LIMIT_RANGE_ZERO');
    expect(notes).toHaveLength(1);
    expect(notes[0].where).toBe('<joint name="joint1"> <limit>');
    expect(notes[0].message).toMatch(/^lower="0" upper="0": the revolute joint cannot move, read as written \(a CAD exporter writes this when no range was entered\); write its range if it should, or make it a fixed joint \(and 1 more joints likewise\)$/);
    // A range written on purpose is not the placeholder.
    const ranged = parseUrdf(`<robot name="t"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b', 'lower="0" upper="1.5"')}</robot>`);
    expect(ranged.notes.map((n) => n.code)).not.toContain('URDF_LIMIT_RANGE_ZERO');
    // One side written 0 and the other left out (0 by the spec): the note quotes what is written.
    const oneSide = parseUrdf(`<robot name="t"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b', 'lower="0.0"')}</robot>`);
    expect(oneSide.notes.find((n) => n.code === 'URDF_LIMIT_RANGE_ZERO')?.message).toMatch(/^lower="0\.0" no upper \(0\): the revolute joint cannot move/);
  });

  it("elements inside a link axon does not read (Bullet's <contact> in Solo12's URDF) are one note", () => {
    const contact = '<contact><lateral_friction value="1.0"/><restitution value="0.5"/></contact>';
    const m = parseUrdf(`<robot name="t"><link name="a">${inertial(1)}${contact}</link><link name="b">${inertial(1)}${contact}</link>${hinge('j', 'a', 'b')}</robot>`);
    expect(m.notes.filter((n) => n.code === 'URDF_EXTENSION_IGNORED').map((n) => [n.where, n.message])).toEqual([['<robot name="t"> <link>', 'ignored elements inside links: <contact> x2']]);
  });

  it('inertia in kg·mm² and a centre of mass in mm (an exporter\'s unit slip) are one note, the values used as given', () => {
    // A 0.35 kg servo horn: 1.2e-4 kg·m² written as 120 kg·mm², its centre of mass 31 mm out written as 31.
    const mm = (name: string) =>
      `<link name="${name}"><inertial><origin xyz="31 0 -4.5" rpy="0 0 0"/><mass value="0.35"/><inertia ixx="120" ixy="0.5" ixz="0" iyy="98" iyz="0" izz="61"/></inertial></link>`;
    const m = parseUrdf(`<robot name="t"><link name="a">${inertial(2)}</link>${mm('b')}${mm('c')}${hinge('j', 'a', 'b')}${hinge('k', 'b', 'c')}</robot>`);
    const scale = m.notes.filter((n) => n.code === 'URDF_INERTIAL_SCALE');
    expect(scale).toHaveLength(1);
    expect(scale[0].where).toBe('<link name="b"> <inertial>');
    expect(scale[0].message).toMatch(/puts the mass 20 m from its centre.*kg·mm².*centre of mass is 31\.3 m from the link's frame: an origin in mm\? Used as given \(and 1 more inertials likewise\)$/);
    expect(m.linkByName.get('c')!.inertial).toMatchObject({ mass: 0.35, ixx: 120, origin: { xyz: [31, 0, -4.5] } });
    // The same links in SI: no note.
    const si = (name: string) =>
      `<link name="${name}"><inertial><origin xyz="0.031 0 -0.0045" rpy="0 0 0"/><mass value="0.35"/><inertia ixx="1.2e-4" ixy="5e-7" ixz="0" iyy="9.8e-5" iyz="0" izz="6.1e-5"/></inertial></link>`;
    const ok = parseUrdf(`<robot name="t"><link name="a">${inertial(2)}</link>${si('b')}${si('c')}${hinge('j', 'a', 'b')}${hinge('k', 'b', 'c')}</robot>`);
    expect(ok.notes.map((n) => n.code)).not.toContain('URDF_INERTIAL_SCALE');
  });

  it('<mimic> and inertia that breaks the triangle inequality are notes, not errors', () => {
    const m = parseUrdf(
      `<robot name="t"><link name="a"/><link name="b">${inertial(1, [0.1, 0, 0, 0.1, 0, 0.5])}</link><link name="c">${inertial(1)}</link>${hinge('j', 'a', 'b')}` +
        `<joint name="k" type="revolute"><parent link="b"/><child link="c"/><mimic joint="j"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>`,
    );
    expect(m.notes.map((n) => n.code)).toEqual(['URDF_INERTIA_TRIANGLE', 'URDF_MIMIC']);
    expect(m.jointByName.get('k')!.mimic).toMatchObject({ joint: 'j', multiplier: 1, offset: 0, root: 'j' });
  });

  it('the mimic joints of two Inspire hands are one note with a count, not one line each (unitree_ros h1_2.urdf: 12)', () => {
    // As unitree_ros's h1_2.urdf ships its hands: each finger's intermediate joint mimics its
    // proximal one (multiplier 1, offset 0), the thumb's two; 6 per hand. Every run printed 12 notes.
    const limit = '<limit lower="0" upper="1.7" effort="1" velocity="0.5"/>';
    // [parent, child, the joint the child's joint mimics (none: actuated)], per hand.
    const chain: [string, string, string | undefined][] = [
      ['hand_base_link', 'thumb_proximal', undefined],
      ['thumb_proximal', 'thumb_intermediate', 'thumb_proximal_joint'],
      ['thumb_intermediate', 'thumb_distal', 'thumb_proximal_joint'],
      ...['index', 'middle', 'ring', 'pinky'].flatMap((f): [string, string, string | undefined][] => [
        ['hand_base_link', `${f}_proximal`, undefined],
        [`${f}_proximal`, `${f}_intermediate`, `${f}_proximal_joint`],
      ]),
    ];
    const hand = (side: string) =>
      `<link name="${side}_hand_base_link">${inertial(0.1)}</link><joint name="${side}_hand" type="fixed"><parent link="a"/><child link="${side}_hand_base_link"/></joint>` +
      chain
        .map(
          ([parent, link, mimics]) =>
            `<link name="${side}_${link}">${inertial(0.004)}</link><joint name="${side}_${link}_joint" type="revolute"><parent link="${side}_${parent}"/><child link="${side}_${link}"/><axis xyz="0 0 1"/>${limit}` +
            `${mimics ? `<mimic joint="${side}_${mimics}" multiplier="1" offset="0"/>` : ''}</joint>`,
        )
        .join('');
    const m = parseUrdf(`<robot name="h1_2_hands"><link name="a">${inertial(5)}</link>${hand('L')}${hand('R')}</robot>`);
    const mimic = m.notes.filter((n) => n.code.startsWith('URDF_MIMIC'));
    expect(mimic).toHaveLength(1);
    expect(mimic[0].where).toBe('<joint name="L_thumb_intermediate_joint"> <mimic joint="L_thumb_proximal_joint">');
    expect(mimic[0].message).toBe(
      'follows L_thumb_proximal_joint (q = 1·q(L_thumb_proximal_joint) + 0): moved by it, not commanded (its command is ignored), observed as any joint (and 11 more mimic joints likewise)',
    );
    expect(m.treeOrder.filter((j) => j.mimic !== undefined)).toHaveLength(12);
  });
});

describe('<mimic> on a fixed joint', () => {
  it('says nothing: the joint does not move (unitree_rl_gym h1_2_12dof.urdf fixes its 12 mimicking finger joints)', () => {
    // As h1_2_12dof.urdf writes its hands: every finger joint type="fixed", yet still with its <axis>,
    // <limit> and, on the intermediate/distal ones, the <mimic> of the full robot's revolute hand.
    const finger = (name: string, parent: string, mimic?: string) =>
      `<link name="${name}">${inertial(0.004)}</link><joint name="${name}_joint" type="fixed"><origin xyz="-0.0024229 -0.032041 -0.001" rpy="0 0 0"/><parent link="${parent}"/><child link="${name}"/>` +
      `<axis xyz="0 0 -1"/><limit lower="0" upper="1.7" effort="1" velocity="0.5"/>${mimic ? `<mimic joint="${mimic}_joint" multiplier="1" offset="0"/>` : ''}</joint>`;
    const m = parseUrdf(
      `<robot name="h1_5"><link name="a">${inertial(5)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b')}` +
        `${finger('L_index_proximal', 'b')}${finger('L_index_intermediate', 'L_index_proximal', 'L_index_proximal')}` +
        `${finger('L_thumb_distal', 'L_index_proximal', 'L_index_proximal')}</robot>`,
    );
    expect(m.notes.filter((n) => n.code.startsWith('URDF_MIMIC'))).toEqual([]);
    expect(m.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.name)).toEqual(['j']);
    expect(m.joints.filter((j) => j.mimic !== undefined)).toEqual([]);
  });
});

describe('frame links on fixed joints (CAD exports: tool, IMU and logo frames)', () => {
  const Z: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  const robot = (frame: string, type = 'fixed') =>
    `<robot name="t"><link name="a">${inertial(2)}</link><link name="b">${inertial(1)}</link><link name="tool">${frame}</link>${hinge('j', 'a', 'b')}` +
    `<joint name="tool_joint" type="${type}"><parent link="b"/><child link="tool"/><origin xyz="0.1 0 0"/>${type === 'fixed' ? '' : '<axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/>'}</joint></robot>`;

  for (const [what, frame] of [
    ['mass 1e-9 and a zero tensor', inertial(1e-9, Z)],
    ['mass 0 and a zero tensor', inertial(0, Z)],
    ['mass 1e-7 and a tiny positive tensor', inertial(1e-7, [1e-12, 0, 0, 1e-12, 0, 1e-12])],
  ] as const) {
    it(`${what}: a massless frame merged into its parent (URDF_FRAME_LINK)`, () => {
      const m = parseUrdf(robot(frame), { source: 'bot.urdf' });
      expect(m.linkByName.get('tool')!.inertial).toBeUndefined();
      const n = m.notes.find((x) => x.code === 'URDF_FRAME_LINK')!;
      expect(n.where).toBe('bot.urdf: <link name="tool">');
      expect(n.message).toMatch(/on <joint name="tool_joint"> \(fixed\): merged into its parent as a massless frame/);
      const r = new SimRobot(m, { ground: false, gravity: 0 });
      expect(r.frameNames()).toEqual(['tool']);
      expect(r.bodyMass('b')).toBe(1);
    });
  }

  it('a real mass with a zero tensor on a fixed joint: kept as a point mass', () => {
    const m = parseUrdf(robot(inertial(0.5, Z)));
    expect(m.linkByName.get('tool')!.inertial).toMatchObject({ mass: 0.5, ixx: 0, iyy: 0, izz: 0 });
    expect(m.notes.find((x) => x.code === 'URDF_FRAME_LINK')!.message).toMatch(/point mass of 0.5 kg/);
    const r = new SimRobot(m, { ground: false, gravity: 0 });
    expect(r.bodyMass('b')).toBeCloseTo(1.5, 12);
    // About the merged centre of mass (1/3 of the 0.1 m offset from b): 0.1 + 1·(0.1/3)² + 0.5·(0.2/3)² on y and z.
    const I = r.bodyOf('b').inertia;
    expect(I.x).toBeCloseTo(0.1, 12);
    expect(I.z).toBeCloseTo(0.1 + (1 * 0.01) / 9 + (0.5 * 0.04) / 9, 12);
  });

  it('what the import merged is a typed field on the link (frameLink), not only a note: simulators read the field', () => {
    // As a vendor writes them: an IMU frame with no <inertial>, a camera frame of mass 0 and zeros, a
    // tool frame of 1e-9 kg, a 1e-6 kg antenna whose tensor is not positive definite (PAL's TIAGo), a
    // 0.5 kg battery with a zero tensor; each on a fixed joint offset (and turned) from its parent.
    const fixed = (link: string, parent: string, origin: string) => `<joint name="${link}_joint" type="fixed"><parent link="${parent}"/><child link="${link}"/><origin ${origin}/></joint>`;
    const m = parseUrdf(
      `<robot name="t"><link name="a">${inertial(2)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b')}` +
        `<link name="imu_link"/>${fixed('imu_link', 'a', 'xyz="0 0 0.05"')}` +
        `<link name="camera_link">${inertial(0, Z)}</link>${fixed('camera_link', 'a', 'xyz="0.1 0 0.3" rpy="0 0.5 0"')}` +
        `<link name="camera_optical_frame">${inertial(0, Z)}</link>${fixed('camera_optical_frame', 'camera_link', `xyz="0 0 0" rpy="${-Math.PI / 2} 0 ${-Math.PI / 2}"`)}` +
        `<link name="tool0">${inertial(1e-9, Z)}</link>${fixed('tool0', 'b', 'xyz="0 0 0.2"')}` +
        `<link name="antenna">${inertial(1e-6, [2.371e-8, 6.119e-8, 1.179e-8, 2.833e-8, 7.74e-9, 3.849e-8])}</link>${fixed('antenna', 'a', 'xyz="0 0.1 0.2"')}` +
        `<link name="battery">${inertial(0.5, Z)}</link>${fixed('battery', 'a', 'xyz="-0.1 0 0.05"')}</robot>`,
    );
    const frameLinks = Object.fromEntries(m.links.map((l) => [l.name, l.frameLink]));
    expect(frameLinks).toEqual({
      a: undefined,
      b: undefined,
      imu_link: undefined, // no <inertial>: massless as the file wrote it, nothing taken otherwise
      camera_link: { as: 'massless', joint: 'camera_link_joint', into: 'a' },
      camera_optical_frame: { as: 'massless', joint: 'camera_optical_frame_joint', into: 'camera_link' },
      tool0: { as: 'massless', joint: 'tool0_joint', into: 'b' },
      antenna: { as: 'massless', joint: 'antenna_joint', into: 'a' },
      battery: { as: 'point-mass', joint: 'battery_joint', into: 'a' },
    });
    expect(m.linkByName.get('camera_link')).toBe(m.links.find((l) => l.name === 'camera_link'));
    expect(m.linkByName.get('antenna')!.inertial).toBeUndefined();
    expect(m.linkByName.get('battery')!.inertial).toMatchObject({ mass: 0.5, ixx: 0, iyy: 0, izz: 0 });
    expect(m.rootMassless).toBe(false);
    // The notes still say it, one per merged link, for people.
    expect(m.notes.filter((n) => n.code === 'URDF_FRAME_LINK').map((n) => n.where)).toEqual(['camera_link', 'camera_optical_frame', 'tool0', 'antenna', 'battery'].map((l) => `<link name="${l}">`));
    // The decision is the field: the simulator merges the same without any note.
    const r = new SimRobot({ ...m, notes: [] }, { ground: false, gravity: 0 });
    expect(r.frameNames().sort()).toEqual(['antenna', 'camera_link', 'camera_optical_frame', 'imu_link', 'tool0']);
    expect(r.bodyMass('a')).toBeCloseTo(2.5, 12);
  });

  const refused: [string, UrdfErrorCode, string, RegExp][] = [
    ['zero tensor on a moving joint', 'URDF_INERTIA', robot(inertial(1e-9, Z), 'revolute'), /not positive definite on a link that moves \(child of <joint name="tool_joint">, revolute\)/],
    ['mass 0 on a moving joint', 'URDF_MASS', robot(inertial(0, Z), 'revolute'), /mass is 0 on a link that moves \(child of <joint name="tool_joint">, revolute\)/],
    ['mass 0 with a non-zero tensor on a fixed joint', 'URDF_MASS', robot(inertial(0)), /mass is 0 with a non-zero inertia/],
    ['negative mass on a fixed joint', 'URDF_MASS', robot(inertial(-1e-9, Z)), /mass is -1e-9/],
  ];
  for (const [what, code, xml, message] of refused) {
    it(`${what}: ${code}`, () => {
      const e = failure(() => parseUrdf(xml, { source: 'bot.urdf' }));
      expect(e.code).toBe(code);
      expect(e.where.startsWith('bot.urdf: <link name="tool"> <inertial>')).toBe(true);
      expect(e.message).toMatch(message);
    });
  }
});

describe('structure', () => {
  it('merges fixed joints: mass and inertia equal the hand-computed combination (rotation + parallel axis)', () => {
    // a: 2 kg, I = diag(0.1, 0.2, 0.3) at its origin. b: 1 kg, I = diag(0.01, 0.02, 0.03) in its frame,
    // fixed 0.4 m along x and turned 90° about z (in a's axes: diag(0.02, 0.01, 0.03)).
    const xml = `<robot name="t"><link name="a">${inertial(2, [0.1, 0, 0, 0.2, 0, 0.3])}</link><link name="b">${inertial(1, [0.01, 0, 0, 0.02, 0, 0.03])}</link>
      <joint name="f" type="fixed"><parent link="a"/><child link="b"/><origin xyz="0.4 0 0" rpy="0 0 ${Math.PI / 2}"/></joint></robot>`;
    const r = new SimRobot(parseUrdf(xml), { ground: false, gravity: 0 });
    const body = r.bodyOf('a');
    expect(r.bodyOf('b')).toBe(body);
    expect(body.mass).toBe(3);
    // Centre of mass x = 0.4·1/3; parallel axis: m_a·d_a² + m_b·d_b² = (2·1/3)·0.4² = 0.10667 on y and z.
    const shift = ((2 * 1) / 3) * 0.16;
    expect(body.inertia.x).toBeCloseTo(0.1 + 0.02, 12);
    expect(body.inertia.y).toBeCloseTo(0.2 + 0.01 + shift, 12);
    expect(body.inertia.z).toBeCloseTo(0.3 + 0.03 + shift, 12);
    expect(body.position.x).toBeCloseTo(0.4 / 3, 12);
    const p = new Float64Array(3), q = new Float64Array(4);
    r.linkPose('b', p, q);
    expect([p[0], q[2], q[3]].map((v) => +v.toFixed(9))).toEqual([0.4, +Math.SQRT1_2.toFixed(9), +Math.SQRT1_2.toFixed(9)]);
  });

  it('floats unless the URDF fixes the robot to "world"; a root with no mass at all is fixed, with a note', () => {
    const floating = new SimRobot(parseUrdf(`<robot name="t"><link name="base"/><link name="body">${inertial(1)}</link><joint name="f" type="fixed"><parent link="base"/><child link="body"/></joint></robot>`));
    expect(floating.bodyOf('body').type).toBe(1); // Body.DYNAMIC
    const world = new SimRobot(parseUrdf(`<robot name="t"><link name="world"/><link name="body">${inertial(1)}</link><joint name="f" type="fixed"><parent link="world"/><child link="body"/></joint></robot>`));
    expect(world.bodyOf('body').type).toBe(2); // Body.STATIC
    const massless = new SimRobot(parseUrdf(`<robot name="t"><link name="base"/><link name="arm">${inertial(1)}</link>${hinge('j', 'base', 'arm')}</robot>`));
    expect(massless.bodyOf('base').type).toBe(2);
    expect(massless.notes.map((n) => n.code)).toContain('SIM_FIXED_BASE');
  });

  it("a root with mass 0 (pybullet's static base, any tensor) is a root without <inertial>: fixed unless links fixed to it have mass", () => {
    // pybullet_data's kuka_iiwa/model.urdf: lbr_iiwa_link_0 has mass 0 and a non-zero tensor
    const model = parseUrdf(`<robot name="t"><link name="base">${inertial(0, [0.05, 0, 0, 0.06, 0, 0.03])}</link><link name="arm">${inertial(1)}</link>${hinge('j', 'base', 'arm')}</robot>`);
    expect(model.linkByName.get('base')!.inertial).toBeUndefined();
    expect(model.rootMassless).toBe(true);
    expect(model.notes.find((n) => n.code === 'URDF_ROOT_MASSLESS')?.message).toBe('the root has mass 0 kg (inertia [0.05 0 0; 0 0.06 0; 0 0 0.03] dropped): taken as a root without <inertial>');
    const fixed = new SimRobot(model);
    expect(fixed.bodyOf('base').type).toBe(2); // Body.STATIC
    expect(fixed.notes.map((n) => n.code)).toContain('SIM_FIXED_BASE');
    // a massless root with a heavy link fixed to it floats, with the link's mass
    const carried = new SimRobot(parseUrdf(`<robot name="t"><link name="base">${inertial(0)}</link><link name="body">${inertial(2)}</link><joint name="f" type="fixed"><parent link="base"/><child link="body"/></joint><link name="arm">${inertial(1)}</link>${hinge('j', 'body', 'arm')}</robot>`));
    expect(carried.bodyOf('base').type).toBe(1); // Body.DYNAMIC
    expect(carried.bodyOf('base').mass).toBeCloseTo(2, 9);
    // a moving link with mass 0 is still refused
    const e = failure(() => parseUrdf(`<robot name="t"><link name="base">${inertial(1)}</link><link name="arm">${inertial(0)}</link>${hinge('j', 'base', 'arm')}</robot>`));
    expect(e.code).toBe('URDF_MASS');
  });

  it('a xacro source given as a URDF is URDF_XACRO naming its first xacro element or substitution; an expanded file that keeps xmlns:xacro reads', () => {
    // As ROS description packages ship them: the namespace, an include, properties, a macro and
    // ${...} / $(find ...) substitutions.
    const source = `<?xml version="1.0"?>
<robot xmlns:xacro="http://www.ros.org/wiki/xacro" name="ur_arm">
  <xacro:include filename="$(find ur_description)/urdf/inc/ur_common.xacro"/>
  <xacro:property name="shoulder_height" value="0.1625"/>
  <link name="base_link">${inertial(4)}</link>
</robot>`;
    const e = failure(() => parseUrdf(source, { source: 'ur5e.urdf.xacro' }));
    expect(e.code).toBe('URDF_XACRO');
    expect(e.where).toBe('ur5e.urdf.xacro: <xacro:include>');
    expect(e.detail).toBe('is xacro: the file is a xacro source, not yet expanded to URDF');
    expect(e.expected).toContain('xacro robot.urdf.xacro > robot.urdf');
    // Only a substitution left (the macros were in an included file).
    const sub = failure(() => parseUrdf(`<robot name="t"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link><joint name="j" type="revolute"><parent link="a"/><child link="b"/><origin xyz="0 0 \${shoulder_height}"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="5" velocity="3"/></joint></robot>`));
    expect(sub.code).toBe('URDF_XACRO');
    expect(sub.where).toBe('<origin>: xyz="0 0 \${shoulder_height}"');
    // What xacro writes: its comment header and the namespace kept on <robot>.
    const expanded = `<?xml version="1.0" ?>
<!-- =================================================================================== -->
<!-- |    This document was autogenerated by xacro from ur5e.urdf.xacro                | -->
<!-- |    EDITING THIS FILE BY HAND IS NOT RECOMMENDED                                 | -->
<!-- =================================================================================== -->
<robot name="ur_arm" xmlns:xacro="http://www.ros.org/wiki/xacro"><link name="a">${inertial(1)}</link><link name="b">${inertial(1)}</link>${hinge('j', 'a', 'b')}</robot>`;
    expect(parseUrdf(expanded).joints.map((j) => j.name)).toEqual(['j']);
  });
});
