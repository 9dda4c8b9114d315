import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { withoutSensorNoise } from '../../sim/mujoco/mjcfFolder.ts';
import { mujocoPoser } from '../../sim/mujoco/mujocoView.ts';
import { axon } from '../helpers/cli.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { SLIDE_BALL_JOINTS, writeSlideBallBiped } from '../helpers/slideBallMjcf.ts';
import { buildRefusal } from '../helpers/errors.ts';

/**
 * An MJCF written as humanoid-gym's XBot-L.xml is (tests/helpers/slideBallMjcf.ts): a floating base
 * of three slides and a ball, `<flag sensornoise>`, meshes in a sibling folder, the IMU as an `imu`
 * site read by sim2sim.py through a framequat and a gyro. docs/mujoco.md, docs/byom.md.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-slide-ball-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const biped = writeSlideBallBiped(join(dir, 'xbot-like'));

function refusal(file: string): Promise<AxonError> {
  return buildRefusal(() => createMujocoMjcfRobot(file, { physicsDt: 0.001 }));
}

describe("an MJCF written as humanoid-gym's XBot-L (three slides and a ball for a base, sensornoise, ../meshes)", () => {
  it('loads with a floating base: the slides and the ball are not joints, the legs are, in qpos order; the joint class\'s damping, frictionloss and armature kept', async () => {
    const r = await createMujocoMjcfRobot(biped.file, { physicsDt: 0.001 });
    try {
      expect(r.spec.joints.map((j) => j.name)).toEqual(SLIDE_BALL_JOINTS);
      expect(r.mjcfSetup.floating).toBe(true);
      expect(r.mjcfSetup.imuLink).toBe('base_link');
      expect(r.floatingBase).toMatchObject({ kind: 'slides+ball', qadr: 0, vadr: 0, origin: [0, 0, 0.6] });
      // The legs are qpos[-6:], as sim2sim.py reads them (q[-num_actions:]).
      const { mj, model } = r;
      const jq = model.jnt_qposadr as Int32Array;
      expect(SLIDE_BALL_JOINTS.map((n) => jq[mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, n)])).toEqual([7, 8, 9, 10, 11, 12]);
      expect(model.nq).toBe(13);
      // The meshes in ../meshes/ were read (3 meshes, 2 cm cubes).
      expect(model.nmesh).toBe(3);
      const dofs = (f: 'dof_damping' | 'dof_frictionloss' | 'dof_armature') => Array.from(model[f] as Float64Array).slice(-6);
      expect(dofs('dof_damping')).toEqual([0.01, 0.01, 0.01, 0.01, 0.01, 0.01]);
      expect(dofs('dof_frictionloss')).toEqual([0.01, 0.01, 0.05, 0.01, 0.01, 0.05]);
      expect(dofs('dof_armature')).toEqual([0.01, 0.01, 0.01, 0.01, 0.01, 0.01]);
      // Motor ctrlrange × gear is each joint's effort limit.
      expect(r.spec.joints.map((j) => j.effortLimit)).toEqual([200, 200, 200, 200, 200, 200]);
      const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
      expect(notes.MUJOCO_MJCF_SENSORNOISE).toBe(
        `<flag sensornoise> on line ${biped.flagLine} taken out: MuJoCo removed sensor noise in 3.1.4 and 3.14 refuses the attribute; the sensors' noise= values are not applied (axon's readings carry the noise the run configures, none by default)`,
      );
      expect(notes.MUJOCO_MJCF_BASE).toBe(`floating base: the root body "base_link" moves on three slide joints and a ball joint (qpos 0–6, as a free joint's), placed and read as a free base; they are not in axon's joint list`);
      // The base's ball is not a passive joint of the robot.
      expect(notes.MUJOCO_MJCF_LOOPS).toBeUndefined();
      expect(notes.MUJOCO_MJCF_SENSORS).toBe("12 sensor(s) on the model's actuators removed with them (on " + SLIDE_BALL_JOINTS.join(', ') + ')');
    } finally {
      r.dispose();
    }
  });

  it('places and reads the base in world coordinates: a slide counts from the body\'s pos, so qpos z is the height less 0.6 m', async () => {
    const r = await createMujocoMjcfRobot(biped.file, { physicsDt: 0.001, manifest: () => ({ baseHeight: 0.9 }) });
    try {
      const qpos = r.data.qpos as Float64Array;
      expect(r.observe().base!.position[2]).toBeCloseTo(0.9, 6);
      expect(qpos[2]).toBeCloseTo(0.3, 9);
      // The replay's poser puts the base where the recording says.
      mujocoPoser(r).showPose(new Float64Array(6), [1, -2, 0.75], [0, 0, Math.sin(0.25), Math.cos(0.25)]);
      const root = r.mj.mj_name2id(r.model, r.mj.mjtObj.mjOBJ_BODY.value, 'base_link');
      expect(Array.from((r.data.xpos as Float64Array).subarray(3 * root, 3 * root + 3))).toEqual([1, -2, 0.75].map((x) => expect.closeTo(x, 9)));
    } finally {
      r.dispose();
    }
    // Without a base height it rests on its feet: the lowest colliding geom at z = 0, not 0.6 m lower or higher.
    const g = await createMujocoMjcfRobot(biped.file, { physicsDt: 0.001 });
    try {
      const foot = g.mj.mj_name2id(g.model, g.mj.mjtObj.mjOBJ_GEOM.value, 'left_foot');
      expect((g.data.geom_xpos as Float64Array)[3 * foot + 2] - 0.015).toBeCloseTo(0, 6);
    } finally {
      g.dispose();
    }
  });

  it("reads the IMU as sim2sim.py's sensors do: orientation = framequat 'orientation', angular velocity = gyro 'angular-velocity', joints = qpos[-6:]", async () => {
    const r = await createMujocoMjcfRobot(biped.file, { physicsDt: 0.001 });
    try {
      const { mj, model, data } = r;
      const adr = (n: string) => (model.sensor_adr as Int32Array)[mj.mj_name2id(model, mj.mjtObj.mjOBJ_SENSOR.value, n)];
      const [so, sg] = [adr('orientation'), adr('angular-velocity')];
      let moved = 0;
      for (let k = 0; k < 60; k++) {
        r.command({ mode: 'position', target: Float64Array.from(SLIDE_BALL_JOINTS, (_, j) => 0.4 * Math.sin(0.1 * k + j)), kp: new Float64Array(6).fill(60), kd: new Float64Array(6).fill(2) });
        r.step(0.005);
        const o = r.observe();
        // mj_step leaves the sensors at the state the step started from; on the state axon read:
        mj.mj_forward(model, data);
        const s = data.sensordata as Float64Array;
        const q = [s[so + 1], s[so + 2], s[so + 3], s[so]]; // w x y z -> x y z w
        const sign = Math.sign(q[3] * o.imu!.orientation[3]) || 1;
        for (let i = 0; i < 4; i++) expect(o.imu!.orientation[i]).toBeCloseTo(sign * q[i], 6);
        for (let i = 0; i < 3; i++) expect(o.imu!.angularVelocity[i]).toBeCloseTo(s[sg + i], 4);
        const qp = data.qpos as Float64Array;
        for (let j = 0; j < 6; j++) expect(o.jointPosition[j]).toBeCloseTo(qp[model.nq - 6 + j], 5);
        moved = Math.max(moved, Math.abs(o.imu!.angularVelocity[0]) + Math.abs(o.imu!.angularVelocity[1]));
      }
      expect(moved).toBeGreaterThan(0.1); // the base did turn
    } finally {
      r.dispose();
    }
  });

  it('refuses slides and a ball that are not a free base, naming the body, its joints and what was expected', async () => {
    const expected = "a <freejoint/>, or three slide joints along the body's x, y and z in that order and then one ball joint at the body's origin (a free base as humanoid-gym's XBot-L writes it), on a body not rotated from the world";
    const ballFirst = writeSlideBallBiped(join(dir, 'ball-first'), {
      baseJoints: `<joint type='ball' limited='false'/><joint type='slide' axis='1 0 0' limited='false'/><joint type='slide' axis='0 1 0' limited='false'/><joint type='slide' axis='0 0 1' limited='false'/>`,
    });
    const e = await refusal(ballFirst.file);
    expect(e.code).toBe('MUJOCO_MJCF_BASE');
    expect(e.message).toBe(`${ballFirst.file}: <body name="base_link">: is the robot's root and has slide and ball joints (ball, slide axis 1 0 0, slide axis 0 1 0, slide axis 0 0 1), which are not a floating base axon can read (expected ${expected})`);
    const swapped = writeSlideBallBiped(join(dir, 'swapped'), {
      baseJoints: `<joint name="y" type='slide' axis='0 1 0' limited='false'/><joint name="x" type='slide' axis='1 0 0' limited='false'/><joint type='slide' axis='0 0 1' limited='false'/><joint type='ball' limited='false' pos='0 0 0.1'/>`,
    });
    expect((await refusal(swapped.file)).message).toContain('(slide "y" axis 0 1 0, slide "x" axis 1 0 0, slide axis 0 0 1, ball pos 0 0 0.1)');
  });

  it('named slides and a ball in another arrangement load as before floating bases of slides were read: the slides are joints on a fixed base, the ball passive', async () => {
    const planar = writeSlideBallBiped(join(dir, 'named-planar'), {
      baseJoints: `<joint name="base_x" type='slide' axis='1 0 0' limited='false'/><joint name="base_y" type='slide' axis='0 1 0' limited='false'/><joint name="base_tilt" type='ball' limited='false'/>`,
    });
    const r = await createMujocoMjcfRobot(planar.file, { physicsDt: 0.001 });
    try {
      expect(r.spec.joints.map((j) => j.name)).toEqual(['base_x', 'base_y', ...SLIDE_BALL_JOINTS]);
      expect(r.mjcfSetup.floating).toBe(false);
      expect(r.floatingBase).toBeUndefined();
      const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
      expect(notes.MUJOCO_MJCF_BASE).toBeUndefined();
      expect(notes.MUJOCO_MJCF_LOOPS).toContain('base_tilt');
      // No actuator of the model moves the slides: passive, as the model has them.
      expect(notes.MUJOCO_MJCF_PASSIVE).toContain('base_x, base_y');
    } finally {
      r.dispose();
    }
  });

  it('a free base whose slides and ball are limited, sprung, damped or given armature or frictionloss: read as a free base, and the note names what a free joint has none of', async () => {
    const b = writeSlideBallBiped(join(dir, 'base-extras'), {
      baseJoints: `<joint type='slide' axis='1 0 0' limited='true' range='-0.5 0.5'/>
      <joint type='slide' axis='0 1 0' limited='false' stiffness='5'/>
      <joint type='slide' axis='0 0 1' limited='false' damping='2'/>
      <joint name="base_ball" type='ball' limited='false' armature='0.01' frictionloss='0.1'/>`,
    });
    const r = await createMujocoMjcfRobot(b.file, { physicsDt: 0.001 });
    try {
      expect(r.floatingBase?.kind).toBe('slides+ball');
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_BASE')?.message).toBe(
          `floating base: the root body "base_link" moves on three slide joints and a ball joint (qpos 0–6, as a free joint's), placed and read as a free base; they are not in axon's joint list. They carry what a free joint has none of, and MuJoCo keeps it (the base is held, sprung or slowed by it; a <freejoint/> would not be): slide x: limited to [-0.5, 0.5] m; slide y: stiffness 5; slide z: damping 2; ball "base_ball": armature 0.01, frictionloss 0.1`,
      );
    } finally {
      r.dispose();
    }
  });

  it('sensornoise alone (a free joint, meshes beside the model): taken out with its line kept, so MuJoCo\'s line numbers still name the file\'s lines', async () => {
    const multi = `<mujoco>\n<option>\n  <flag frictionloss="enable"\n     sensornoise='enable' contact="enable"/>\n</option>\n</mujoco>\n`;
    const out = withoutSensorNoise(multi);
    expect(out.lines).toEqual([4]);
    expect(out.text).toBe(`<mujoco>\n<option>\n  <flag frictionloss="enable"\n contact="enable"/>\n</option>\n</mujoco>\n`);
    expect(withoutSensorNoise('<flag sensornoise="disable"/>').text).toBe('<flag />');
    const alone = writeSlideBallBiped(join(dir, 'noise-alone'), { baseJoints: '<freejoint/>', meshes: 'beside' });
    const r = await createMujocoMjcfRobot(alone.file, { physicsDt: 0.001 });
    expect(r.notes.map((n) => n.code)).toContain('MUJOCO_MJCF_SENSORNOISE');
    expect(r.floatingBase?.kind).toBe('free');
    r.dispose();
    const bad = writeSlideBallBiped(join(dir, 'bad-after-flag'), { baseJoints: '<freejoint/>', meshes: 'beside', flag: '<flag sensornoise="enable" frictionlos="enable"/>' });
    const e = await refusal(bad.file);
    expect(e.code).toBe('MUJOCO_COMPILE');
    expect(e.message).toContain(`unrecognized attribute: 'frictionlos'; Element 'flag', line ${bad.flagLine}`);
  });

  it('meshes in the sibling folder alone (meshdir="../meshes/", a free joint, no sensornoise): read from there', async () => {
    const m = writeSlideBallBiped(join(dir, 'meshes-alone'), { baseJoints: '<freejoint/>', flag: '<flag frictionloss="enable"/>' });
    const r = await createMujocoMjcfRobot(m.file, { physicsDt: 0.001 });
    expect(r.model.nmesh).toBe(3);
    expect(r.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_SENSORNOISE');
    r.dispose();
    // Without that folder, MuJoCo's refusal says where on disk the file was looked for.
    const meshes = join(dirname(dirname(m.file)), 'meshes');
    rmSync(meshes, { recursive: true });
    const e = await refusal(m.file);
    expect(e.code).toBe('MUJOCO_COMPILE');
    expect(e.message).toContain(`Error opening file '../meshes/base_link.STL' (${join(meshes, 'base_link.STL')}: no such file)`);
  });

  it('the slides and the ball alone (meshes beside the model, no sensornoise): a floating base, its six joints the legs', async () => {
    const b = writeSlideBallBiped(join(dir, 'base-alone'), { flag: '<flag frictionloss="enable"/>', meshes: 'beside' });
    const r = await createMujocoMjcfRobot(b.file, { physicsDt: 0.001 });
    expect(r.spec.joints.map((j) => j.name)).toEqual(SLIDE_BALL_JOINTS);
    expect(r.mjcfSetup.floating).toBe(true);
    r.dispose();
  });

  it('axon sim --mjcf with a policy over the legs: a floating base, 0.2 s, exit 0', () => {
    const policy = zeroPositionPolicy(SLIDE_BALL_JOINTS, { base_height: 0.85 });
    const run = axon('sim', '--mjcf', biped.file, '--policy', policy, '--duration', '0.2', '--fast', '--json');
    expect(run.stderr).toContain('MUJOCO_MJCF_BASE');
    expect(run.code).toBe(0);
    const s = JSON.parse(run.lastLine);
    expect(s.ticks).toBe(10);
    expect(s.robot_setup).toMatchObject({ base: 'floating', imu_link: 'base_link' });
    expect(s.episode.base_height_start).toBeGreaterThan(0.85);
    rmSync(policy, { recursive: true, force: true });
  }, 120_000);
});
