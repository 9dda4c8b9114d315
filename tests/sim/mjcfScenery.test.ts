import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';

/**
 * Review R24 F1: which body under the worldbody is the robot. Scenes declare a table, a mocap
 * target or a loose cube wherever they like, often before the robot (an <include> of the robot
 * file after them); the robot is the first tree that holds a hinge or slide joint (sim/mujoco/mjcfRoot.ts).
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-scenery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(folder: string, files: Record<string, string>): string {
  const d = join(dir, folder);
  for (const [name, xml] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), xml);
  }
  return join(d, Object.keys(files)[0]);
}

/** A three-legged floating robot in its own file, included by the scene (menagerie's layout), with a childclass, fromto legs and an imu site. */
const ROBOT = `<mujoco model="tripod">
  <default>
    <default class="leg">
      <joint damping="1" armature="0.01" range="-86 86"/>
      <position kp="40" kv="1" ctrlrange="-1.5 1.5"/>
      <geom type="capsule" size="0.03" mass="1"/>
    </default>
  </default>
  <worldbody>
    <body name="torso" pos="0 0 0.6" childclass="leg">
      <freejoint name="root"/>
      <site name="imu"/>
      <geom type="box" size="0.15 0.1 0.05" mass="5"/>
      <body name="lleg" pos="0 0.08 -0.05"><joint name="lhip" axis="0 1 0"/><geom fromto="0 0 0 0 0 -0.4"/></body>
      <body name="rleg" pos="0 -0.08 -0.05"><joint name="rhip" axis="0 1 0"/><geom fromto="0 0 0 0 0 -0.4"/></body>
      <body name="fleg" pos="0.12 0 -0.05"><joint name="fhip" axis="1 0 0"/><geom fromto="0 0 0 0 0 -0.4"/></body>
    </body>
  </worldbody>
  <actuator>
    <position joint="lhip" class="leg"/>
    <position joint="rhip" class="leg"/>
    <position joint="fhip" class="leg"/>
  </actuator>
</mujoco>
`;

describe('scenery before the robot under the worldbody (R24 F1)', () => {
  it('a table (a jointless box, 600 kg) and a mocap target declared before an included floating robot: the robot is still the floating tripod, its IMU the torso', async () => {
    const file = write('table', {
      'scene.xml': `<?xml version="1.0"?>
<!-- a hand-written scene: the props first, then the robot -->
<mujoco model="table scene">
  <worldbody>
    <geom name="floor" type="plane" size="5 5 0.1"/>
    <light pos="0 0 3" dir="0 0 -1"/>
    <body name="table" pos="2 0 0.3" euler="0 0 30">
      <geom type="box" size="0.5 0.5 0.3" mass="600"/>
    </body>
    <body name="target" mocap="true" pos="1 1 1"><geom type="sphere" size="0.05" contype="0" conaffinity="0"/></body>
  </worldbody>
  <include file="robot/tripod.xml"/>
</mujoco>
`,
      'robot/tripod.xml': ROBOT,
    });
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.mjcfSetup).toMatchObject({ floating: true, root: 'torso', imuLink: 'torso' });
      expect(r.mjcfSetup.mass).toBeCloseTo(8, 9); // 5 + three 1 kg legs: not the table
      expect(r.floatingBase?.kind).toBe('free');
      expect(r.spec.joints.map((j) => j.name)).toEqual(['lhip', 'rhip', 'fhip']);
      const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
      expect(notes.MUJOCO_MJCF_ROOT).toBe(
        'the robot is the tree of "torso", the first body under the worldbody whose tree holds a hinge or slide joint; the bodies before it (table, target) hold none (scenery, mocap bodies, loose objects) and are not the robot',
      );
      // The table and the target have no joint: not loose objects.
      expect(notes.MUJOCO_MJCF_LOOSE_BODIES).toBeUndefined();
    } finally {
      r.dispose();
    }
  });

  it('a free cube before a fixed arm whose top body has no joint (its joints one level down): the arm is the robot, fixed, the cube a loose object', async () => {
    const file = write('cube', {
      'cube_arm.xml': `<mujoco model="pick">
  <compiler angle="radian"/>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 .1"/>
    <body name="cube" pos="0.4 0 0.025"><freejoint name="cube_free"/><geom type="box" size=".025 .025 .025" mass="0.1"/></body>
    <body name="link0">
      <geom type="cylinder" size=".06 .05" pos="0 0 .05" mass="2"/>
      <body name="link1" pos="0 0 0.1"><joint name="joint1" axis="0 0 1" range="-2.9 2.9"/><geom type="capsule" fromto="0 0 0 0 0 .3" size=".04" mass="1"/>
        <body name="link2" pos="0 0 0.3"><joint name="joint2" axis="0 1 0" range="-1.7 1.7"/><geom type="capsule" fromto="0 0 0 .3 0 0" size=".035" mass="1"/></body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position joint="joint1" kp="200" kv="20" ctrlrange="-2.9 2.9"/>
    <position joint="joint2" kp="200" kv="20" ctrlrange="-1.7 1.7"/>
  </actuator>
</mujoco>
`,
    });
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.mjcfSetup).toMatchObject({ floating: false, root: 'link0', imuLink: null });
      expect(r.mjcfSetup.mass).toBeCloseTo(4, 9);
      const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
      expect(notes.MUJOCO_MJCF_LOOSE_BODIES).toBe('1 more body with joints under the worldbody (cube): not attached to the robot\'s root "link0", simulated as loose objects and left out of its mass');
      expect(notes.MUJOCO_MJCF_ROOT).toContain('the body before it (cube) holds none');
    } finally {
      r.dispose();
    }
  });

  it("a floating base of three slides and a ball (XBot-L's) after a table: the slides are the base, not joints, and what they carry is noted", async () => {
    const file = write('slides', {
      'xbot.xml': `<mujoco model="slidebot">
  <compiler angle="radian"/>
  <worldbody>
    <geom name="floor" type="plane" size="5 5 0.1"/>
    <body name="table" pos="2 0 0.3"><geom type="box" size="0.5 0.5 0.3"/></body>
    <body name="base_link" pos="0 0 0.6">
      <joint name="px" type="slide" axis="1 0 0" damping="0.5"/>
      <joint name="py" type="slide" axis="0 1 0"/>
      <joint name="pz" type="slide" axis="0 0 1"/>
      <joint name="rot" type="ball"/>
      <geom type="box" size="0.1 0.1 0.05" mass="4"/>
      <body name="leg" pos="0 0 -0.05"><joint name="hip" axis="0 1 0" range="-1 1"/><geom type="capsule" fromto="0 0 0 0 0 -0.4" size="0.02" mass="1"/></body>
    </body>
  </worldbody>
  <actuator><position joint="hip" kp="30" kv="1"/></actuator>
</mujoco>
`,
    });
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.spec.joints.map((j) => j.name)).toEqual(['hip']);
      expect(r.mjcfSetup).toMatchObject({ floating: true, root: 'base_link', imuLink: 'base_link' });
      expect(r.floatingBase?.kind).toBe('slides+ball');
      const base = r.notes.find((n) => n.code === 'MUJOCO_MJCF_BASE')?.message;
      expect(base).toContain('slide x "px": damping 0.5');
    } finally {
      r.dispose();
    }
  });

  it('two trees with hinge joints (a door before the robot): the first is taken, and the note names the other and says how to choose', async () => {
    const file = write('door', {
      'door.xml': `<mujoco model="door scene">
  <worldbody>
    <geom name="floor" type="plane" size="5 5 0.1"/>
    <body name="door" pos="2 0 1"><joint name="door_hinge" axis="0 0 1" range="0 90"/><geom type="box" size="0.02 0.4 1" mass="10"/></body>
  </worldbody>
  <include file="tripod.xml"/>
</mujoco>
`,
      'tripod.xml': ROBOT,
    });
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
      expect(notes.MUJOCO_MJCF_ROOT).toBe(
        'the robot is the tree of "door", the first body under the worldbody whose tree holds a hinge or slide joint; 1 more tree with hinge or slide joints (torso) is not the robot: if it is, declare it first under the worldbody',
      );
    } finally {
      r.dispose();
    }
  });
});

describe('a <joint type="free"> inside a childclass (R24 F9)', () => {
  it("takes the class's damping, armature and frictionloss (MuJoCo applies them to the base), and the note says so; a <freejoint/> has none", async () => {
    const body = (free: string) => `<mujoco model="classbase">
  <default><default class="bot"><joint damping="0.5" armature="0.02" frictionloss="0.1"/></default></default>
  <worldbody>
    <geom type="plane" size="5 5 0.1"/>
    <body name="pelvis" pos="0 0 0.5" childclass="bot" euler="0 0 90">
      ${free}
      <geom type="box" size="0.1 0.1 0.05" mass="4"/>
      <body name="leg" pos="0 0 -0.05"><joint name="hip" axis="0 1 0" range="-60 60"/><geom type="capsule" fromto="0 0 0 0 0 -0.4" size="0.02" mass="1"/></body>
    </body>
  </worldbody>
</mujoco>
`;
    const r = await createMujocoMjcfRobot(write('classbase', { 'classbase.xml': body('<joint name="floating_base" type="free"/>') }), { physicsDt: 0.002 });
    try {
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_BASE')?.message).toBe(
        'floating base: the root body "pelvis"\'s free joint carries what a <freejoint/> has none of (a <joint type="free"> takes its class\'s defaults), and MuJoCo keeps it: the base is slowed or held by it: free joint "floating_base": damping 0.5, armature 0.02, frictionloss 0.1',
      );
    } finally {
      r.dispose();
    }
    const f = await createMujocoMjcfRobot(write('classfreejoint', { 'classfreejoint.xml': body('<freejoint name="floating_base"/>') }), { physicsDt: 0.002 });
    try {
      expect(f.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_BASE');
    } finally {
      f.dispose();
    }
  });
});

describe("a model whose floor plane is not at z = 0 (R24 F10)", () => {
  it('is noted with the floor\'s height: the robot is placed on z = 0 and drops onto its floor', async () => {
    const scene = (z: string) => `<mujoco model="lowfloor">
  <worldbody>
    <geom name="wall" type="plane" size="5 5 0.1" pos="3 0 1" zaxis="-1 0 0"/>
    <geom name="floor" type="plane" size="5 5 0.1" pos="0 0 ${z}"/>
  </worldbody>
  <include file="tripod.xml"/>
</mujoco>
`;
    const low = await createMujocoMjcfRobot(write('lowfloor', { 'lowfloor.xml': scene('-0.5'), 'tripod.xml': ROBOT }), { physicsDt: 0.002 });
    try {
      expect(low.notes.find((n) => n.code === 'MUJOCO_MJCF_FLOOR')?.message).toBe(
        'the model\'s floor plane "floor" is at z = -0.5, not 0: axon places the robot with its lowest geom at z = 0, so it starts 0.5 m above its floor and drops onto it (a stand check may read that as a fall); the plane at z = 0 (its pos) stands the robot on it',
      );
    } finally {
      low.dispose();
    }
    const level = await createMujocoMjcfRobot(write('levelfloor', { 'levelfloor.xml': scene('0'), 'tripod.xml': ROBOT }), { physicsDt: 0.002 });
    try {
      expect(level.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_FLOOR');
    } finally {
      level.dispose();
    }
  });
});
