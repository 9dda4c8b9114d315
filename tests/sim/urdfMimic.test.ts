import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUrdf, UrdfError } from '../../sim/urdf/parseUrdf.ts';
import { FRANKA_MIMICS, ROBOTIQ_MIMICS, writeFrankaHand, writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

/** URDF <mimic> as parseUrdf reads it: q_follower = multiplier · q_leader + offset (the ROS URDF spec), chains resolved, typed errors. */

const inertial = '<inertial><mass value="0.05"/><inertia ixx="1e-5" ixy="0" ixz="0" iyy="1e-5" iyz="0" izz="1e-5"/></inertial>';
const link = (name: string) => `<link name="${name}">${inertial}</link>`;
/** A moving joint from `parent` to `child` with an optional <mimic> element (as text). */
const joint = (name: string, parent: string, child: string, mimic = '', type = 'revolute', limit = '<limit lower="-1" upper="1" effort="5" velocity="2"/>') =>
  `<joint name="${name}" type="${type}"><parent link="${parent}"/><child link="${child}"/><axis xyz="1 0 0"/>${limit}${mimic}</joint>`;
const robot = (body: string) => `<robot name="mimic"><link name="base">${inertial}</link>${body}</robot>`;

function urdfError(xml: string): UrdfError {
  try {
    parseUrdf(xml, { source: 'hand.urdf' });
  } catch (e) {
    expect(e).toBeInstanceOf(UrdfError);
    return e as UrdfError;
  }
  throw new Error('parseUrdf accepted it');
}

describe('<mimic> as vendors ship it', () => {
  it('the Franka hand: panda_finger_joint2 follows panda_finger_joint1 (multiplier 1); one URDF_MIMIC note saying it is moved, not commanded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-'));
    const m = parseUrdf(readFileSync(writeFrankaHand(dir), 'utf8'));
    for (const p of FRANKA_MIMICS) expect(m.jointByName.get(p.follower)!.mimic).toEqual({ joint: p.leader, multiplier: 1, offset: 0, root: p.leader, rootMultiplier: 1, rootOffset: 0, rootFixed: false });
    expect(m.jointByName.get('panda_finger_joint1')!.mimic).toBeUndefined();
    expect(m.notes.filter((n) => n.code.startsWith('URDF_MIMIC'))).toEqual([
      {
        code: 'URDF_MIMIC',
        where: '<joint name="panda_finger_joint2"> <mimic joint="panda_finger_joint1">',
        message: 'follows panda_finger_joint1 (q = 1·q(panda_finger_joint1) + 0): moved by it, not commanded (its command is ignored), observed as any joint',
      },
    ]);
  });

  it('the Robotiq 2F-85: five followers of finger_joint, multipliers 1 and -1; `<mimic joint="finger_joint"/>` alone is multiplier 1 offset 0, as is one without offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mimic-'));
    const text = readFileSync(writeRobotiq2f85(dir), 'utf8');
    // The fixture carries the awkward forms: joint= only, and a multiplier without an offset.
    expect(text).toContain('<mimic joint="finger_joint"/>');
    expect(text).toContain('<mimic joint="finger_joint" multiplier="1"/>');
    const m = parseUrdf(text);
    for (const p of ROBOTIQ_MIMICS) expect(m.jointByName.get(p.follower)!.mimic).toMatchObject({ joint: 'finger_joint', multiplier: p.multiplier, offset: 0, root: 'finger_joint' });
    const notes = m.notes.filter((n) => n.code.startsWith('URDF_MIMIC'));
    expect(notes.map((n) => n.code)).toEqual(['URDF_MIMIC']);
    expect(notes[0].message).toContain('(and 4 more mimic joints likewise)');
  });
});

describe('<mimic> chains, units and limits', () => {
  it('a mimic of a mimic resolves to the joint the motion comes from, multipliers and offsets composed (q3 = 2·(−0.5·q1 + 0.1) + 0.05)', () => {
    const m = parseUrdf(
      robot(
        `${link('a')}${link('b')}${link('c')}${joint('j1', 'base', 'a')}` +
          // j3 before j2 in the file: the leader of a follower may come later.
          `${joint('j3', 'b', 'c', '<mimic joint="j2" multiplier="2" offset="0.05"/>', 'revolute', '<limit lower="-3" upper="3" effort="5" velocity="2"/>')}${joint('j2', 'a', 'b', '<mimic joint="j1" multiplier="-0.5" offset="0.1"/>')}`,
      ),
    );
    expect(m.jointByName.get('j2')!.mimic).toEqual({ joint: 'j1', multiplier: -0.5, offset: 0.1, root: 'j1', rootMultiplier: -0.5, rootOffset: 0.1, rootFixed: false });
    const j3 = m.jointByName.get('j3')!.mimic!;
    expect(j3).toMatchObject({ joint: 'j2', multiplier: 2, offset: 0.05, root: 'j1', rootFixed: false });
    expect(j3.rootMultiplier).toBeCloseTo(-1, 12);
    expect(j3.rootOffset).toBeCloseTo(0.25, 12);
    expect(m.notes.find((n) => n.code === 'URDF_MIMIC')!.message).toContain('(and 1 more mimic joints likewise)');
  });

  it('a prismatic joint may follow a revolute one: the multiplier is in m/rad, accepted without a note of its own', () => {
    const m = parseUrdf(robot(`${link('a')}${link('b')}${joint('j1', 'base', 'a')}${joint('slide', 'base', 'b', '<mimic joint="j1" multiplier="0.01"/>', 'prismatic', '<limit lower="-0.02" upper="0.02" effort="50" velocity="0.1"/>')}`));
    expect(m.jointByName.get('slide')!.mimic).toMatchObject({ root: 'j1', rootMultiplier: 0.01, rootOffset: 0 });
    expect(m.notes.map((n) => n.code)).toEqual(['URDF_MIMIC']);
  });

  it('a follower whose limits the leader\'s range, mapped, leaves: URDF_MIMIC_RANGE names both ranges', () => {
    const m = parseUrdf(robot(`${link('a')}${link('b')}${joint('j1', 'base', 'a')}${joint('j2', 'base', 'b', '<mimic joint="j1" multiplier="-2" offset="0.5"/>', 'revolute', '<limit lower="-1" upper="1" effort="5" velocity="2"/>')}`));
    const range = m.notes.find((n) => n.code === 'URDF_MIMIC_RANGE')!;
    expect(range.where).toBe('<joint name="j2"> <mimic joint="j1">');
    // j1 in [-1, 1] puts j2 at -2·q + 0.5 in [-1.5, 2.5], outside [-1, 1].
    expect(range.message).toContain("over j1's range [-1, 1] the coupling puts this joint at [-1.5, 2.5], outside its limits [-1, 1]");
  });

  it('a follower of a fixed joint is held at its offset (the fixed joint\'s position is 0): URDF_MIMIC_FIXED_LEADER', () => {
    const m = parseUrdf(robot(`${link('a')}${link('b')}<joint name="locked" type="fixed"><parent link="base"/><child link="a"/></joint>${joint('f', 'a', 'b', '<mimic joint="locked" multiplier="3" offset="0.2"/>')}`));
    expect(m.jointByName.get('f')!.mimic).toMatchObject({ root: 'locked', rootFixed: true, rootOffset: 0.2 });
    const note = m.notes.find((n) => n.code === 'URDF_MIMIC_FIXED_LEADER')!;
    expect(note.message).toBe('follows locked, a fixed joint (position 0): held at 0.2, its own command ignored');
  });
});

describe('<mimic> errors are typed and name the joint', () => {
  it('a mimic naming a joint that does not exist: URDF_MIMIC_JOINT, listing the moving joints', () => {
    const e = urdfError(robot(`${link('a')}${link('b')}${joint('finger_joint', 'base', 'a')}${joint('right_knuckle', 'base', 'b', '<mimic joint="finger_jiont"/>')}`));
    expect(e.code).toBe('URDF_MIMIC_JOINT');
    expect(e.where).toContain('hand.urdf: <joint name="right_knuckle"> <mimic joint="finger_jiont">');
    expect(e.message).toContain('joint "finger_jiont" does not exist');
    expect(e.message).toContain('finger_joint');
  });

  it('a joint that mimics itself: URDF_MIMIC_CYCLE', () => {
    const e = urdfError(robot(`${link('a')}${joint('j', 'base', 'a', '<mimic joint="j"/>')}`));
    expect(e.code).toBe('URDF_MIMIC_CYCLE');
    expect(e.message).toContain('the joint mimics itself');
    expect(e.where).toContain('<joint name="j"> <mimic joint="j">');
  });

  it('mimics that form a loop: URDF_MIMIC_CYCLE with the loop spelled out', () => {
    const e = urdfError(robot(`${link('a')}${link('b')}${joint('p', 'base', 'a', '<mimic joint="q"/>')}${joint('q', 'base', 'b', '<mimic joint="p" multiplier="-1"/>')}`));
    expect(e.code).toBe('URDF_MIMIC_CYCLE');
    expect(e.message).toContain('the mimics form a loop (p -> q -> p)');
  });

  it('a <mimic> without joint=: URDF_ATTRIBUTE; a multiplier that is no number: URDF_NUMBER', () => {
    expect(urdfError(robot(`${link('a')}${joint('j', 'base', 'a', '<mimic multiplier="1"/>')}`)).code).toBe('URDF_ATTRIBUTE');
    const e = urdfError(robot(`${link('a')}${link('b')}${joint('j', 'base', 'a')}${joint('k', 'base', 'b', '<mimic joint="j" multiplier="nan"/>')}`));
    expect(e.code).toBe('URDF_NUMBER');
    expect(e.where).toContain('<joint name="k"> <mimic joint="j">');
  });
});
