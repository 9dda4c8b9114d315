import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { loadMujocoModule } from '../../sim/mujoco/loadMujoco.ts';
import { writeMenagerieHand, writeMenagerieQuadruped } from '../helpers/menagerieMjcf.ts';
import { writeMjcfRobot } from '../helpers/mjcfRobot.ts';
import { zeroPositionPolicy } from '../helpers/onnxFixtures.ts';
import { axon } from '../helpers/cli.ts';

/** Issue 20: `--mjcf FILE`, MJCF models as robot makers ship them, through MuJoCo's virtual file system. */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-'));
const bot = writeMjcfRobot(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `xml` as <dir>/<name>/<name>.xml (each model in its own folder, as a vendor ships it); returns the file. */
function writeModel(name: string, xml: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const file = join(d, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

describe('an MJCF model folder (includes, an STL mesh under assets/ via meshdir, actuators, sensors, a keyframe)', () => {
  it('--kp alone: a joint no actuator drives damps in the rule\'s kd/kp ratio to that kp (it took the rule\'s own kd); a position actuator keeps its kv', async () => {
    const rule = () => ({ kp: 30, kd: 0.75 });
    const r = await createMujocoMjcfRobot(bot.file, { physicsDt: 0.002, defaultGains: rule, kp: 200 });
    const [shoulder, elbow] = r.spec.joints;
    expect(elbow).toMatchObject({ kp: 200, kd: 5 });
    expect(shoulder).toMatchObject({ kp: 200, kd: 2 });
    r.dispose();
    // --kd alone: the rule's kp where no actuator gives one.
    const d = await createMujocoMjcfRobot(bot.file, { physicsDt: 0.002, defaultGains: rule, kd: 3 });
    expect(d.spec.joints.map((j) => [j.kp, j.kd])).toEqual([[40, 3], [30, 3]]);
    d.dispose();
  });
  it('builds: joints in model order, effort limits and position gains from its actuators, the keyframe as default pose, and holds it', async () => {
    const r = await createMujocoMjcfRobot(bot.file, { physicsDt: 0.002, defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    expect(r.spec.name).toBe('mjbot');
    expect(r.spec.joints.map((j) => j.name)).toEqual(bot.joints);
    const [shoulder, elbow] = r.spec.joints;
    expect(shoulder).toMatchObject({ type: 'revolute', lower: -1.5, upper: 1.5, effortLimit: 15, kp: 40, kd: 2, defaultPosition: 0.3 });
    // The geared motor: control range 5 × gear 2; no position gains of its own, so the caller's rule.
    expect(elbow).toMatchObject({ effortLimit: 10, kp: 30, kd: 0.75, defaultPosition: -0.6 });
    expect(r.mjcfSetup).toMatchObject({ floating: true, imuLink: 'base', pose: 'keyframe "home"', gains: { model: 1, flags: 0, default: 1 } });
    expect(r.notes.map((n) => n.code)).toContain('MUJOCO_MJCF_ACTUATORS');
    // The mesh plate (half height 0.05 m) rests on the ground.
    expect(r.observe().base!.position[2]).toBeCloseTo(0.05, 3);
    const target = Float64Array.from(r.spec.joints, (j) => j.defaultPosition);
    for (let k = 0; k < 150; k++) {
      r.command({ mode: 'position', target });
      r.step(0.02);
    }
    const o = r.observe();
    expect(Math.abs(o.jointPosition[0] - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(o.jointPosition[1] + 0.6)).toBeLessThan(0.03);
    expect(Math.abs(o.base!.position[2] - 0.05)).toBeLessThan(0.003);
    expect(o.imu!.linearAcceleration[2]).toBeCloseTo(9.81, 1);
    r.dispose();
  });

  it('axon sim --mjcf F: MuJoCo implied, no policy holds the default pose, the set-up stated', () => {
    const r = axon('sim', '--mjcf', bot.file, '--duration', '1', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s).toMatchObject({ command: 'sim', robot: 'mjbot', physics: 'mujoco', ticks: 50, policy: null, episode: { success: true, fell: false }, safety: { state: 'running' } });
    expect(s.robot_setup).toMatchObject({ base: 'floating', imu_link: 'base', pose: 'keyframe "home"', pd: 'implicit', effort_limited_joints: 2 });
    expect(s.episode.tilt_max_rad).toBeLessThan(0.01);
    expect(s.episode.base_height_min).toBeGreaterThan(0.045);
    expect(r.stderr).toContain('MUJOCO_MJCF_ACTUATORS');
  });

  it('the explicit form (--physics mujoco), --init-pose over the keyframe, and what is refused', () => {
    const ok = axon('sim', '--mjcf', bot.file, '--physics', 'mujoco', '--init-pose', 'elbow=-0.3', '--kp', '20', '--kd', '1', '--duration', '1', '--fast', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.lastLine).robot_setup.gains).toEqual({ flags: 2, manifest: 0, model: 0, default: 0, passive: 0, followers: 0 });
    const cannon = axon('sim', '--mjcf', bot.file, '--physics', 'cannon', '--duration', '1', '--fast');
    expect(cannon.code).toBe(2);
    expect(cannon.stderr).toContain('--physics');
    const armature = axon('sim', '--mjcf', bot.file, '--armature', '0.01', '--duration', '1', '--fast');
    expect(armature.code).toBe(2);
    expect(armature.stderr).toContain('does not apply to an MJCF model');
    const s2s = axon('sim2sim', '--policy', 'models/cartpole-balance', '--mjcf', bot.file);
    expect(s2s.code).toBe(2);
    expect(s2s.stderr).toContain('URDF');
  });

  it('a model with sensors on its actuators, a passive spring joint and a tendon-driven gripper (as agility_cassie, franka_emika_panda)', async () => {
    const file = writeModel('linkage', `<mujoco model="linkage">
  <worldbody>
    <body name="pelvis" pos="0 0 0.5">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.05" mass="5"/>
      <body name="thigh">
        <joint name="hip" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="1"/>
        <body name="shin" pos="0 0 -0.2">
          <joint name="knee" axis="0 1 0" range="-2 0"/>
          <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.5"/>
          <body name="spring" pos="0 0 -0.2">
            <joint name="shin_spring" axis="0 1 0" stiffness="1500" range="-0.3 0.3"/>
            <geom type="sphere" size="0.03" mass="0.1"/>
          </body>
        </body>
      </body>
      <body name="finger_l" pos="0.1 0 0">
        <joint name="finger_l" type="slide" axis="1 0 0" range="0 0.04"/>
        <geom type="box" size="0.01 0.01 0.02" mass="0.05"/>
      </body>
      <body name="finger_r" pos="-0.1 0 0">
        <joint name="finger_r" type="slide" axis="-1 0 0" range="0 0.04"/>
        <geom type="box" size="0.01 0.01 0.02" mass="0.05"/>
      </body>
    </body>
  </worldbody>
  <tendon><fixed name="split"><joint joint="finger_l" coef="0.5"/><joint joint="finger_r" coef="0.5"/></fixed></tendon>
  <actuator>
    <motor name="hip_motor" joint="hip" gear="25" forcerange="-4.5 4.5"/>
    <position name="knee_servo" joint="knee" kp="50" kv="1"/>
    <general name="gripper" tendon="split" ctrlrange="0 255" gainprm="0.0157" biastype="affine" biasprm="0 -100 -10" forcerange="-100 100"/>
  </actuator>
  <sensor>
    <actuatorpos name="hip_input" actuator="hip_motor"/>
    <actuatorfrc name="knee_force" actuator="knee_servo"/>
    <jointpos name="spring_pos" joint="shin_spring"/>
  </sensor>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    const byName = Object.fromEntries(r.spec.joints.map((j) => [j.name, j]));
    // The motor's force range is on its actuator: the hip gets gear × 4.5 N·m.
    expect(byName.hip).toMatchObject({ effortLimit: 112.5, kp: 30 });
    expect(byName.knee).toMatchObject({ kp: 50, kd: 1 });
    // The spring no actuator moves stays passive.
    expect(byName.shin_spring).toMatchObject({ effortLimit: 0, kp: 0, kd: 0 });
    // The tendon-driven fingers get axon's PD, and the note says the tendon actuator was not read.
    expect(byName.finger_l).toMatchObject({ kp: 30 });
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.MUJOCO_MJCF_ACTUATORS).toBe("3 actuator(s) of the model replaced by axon's PD actuators on the 4 joint(s) they move");
    expect(notes.MUJOCO_MJCF_SENSORS).toBe("2 sensor(s) on the model's actuators removed with them (on hip_motor, knee_servo)");
    expect(notes.MUJOCO_MJCF_PASSIVE).toContain('kept passive as in the model (springs, closed linkages): shin_spring');
    expect(notes.MUJOCO_MJCF_TENDON).toContain('finger_l, finger_r: moved by the model through a tendon');
    expect(r.mjcfSetup.gains).toEqual({ flags: 0, manifest: 0, model: 1, default: 3, passive: 1, followers: 0 });
    r.dispose();
  });

  it('with an actuator on a site (which may move any joint), no joint is taken as passive', async () => {
    const file = writeModel('siteact', `<mujoco model="siteact">
  <worldbody>
    <body name="base">
      <geom type="box" size="0.1 0.1 0.05" mass="2"/>
      <body name="l1" pos="0 0 0.1">
        <joint name="a" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0 0 0.2" size="0.02" mass="0.5"/>
        <body name="l2" pos="0 0 0.2">
          <joint name="b" axis="0 1 0" range="-1 1"/>
          <geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.02" mass="0.3"/>
          <site name="tip" pos="0.2 0 0"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="a_motor" joint="a" ctrlrange="-1 1" gear="10"/>
    <general name="push" site="tip" gear="1 0 0 0 0 0" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    expect(r.spec.joints.map((j) => j.effortLimit > 0)).toEqual([true, true]);
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.MUJOCO_MJCF_PASSIVE).toBeUndefined();
    expect(notes.MUJOCO_MJCF_TRANSMISSION).toContain('push: an actuator on a site');
    r.dispose();
  });

  it("axon's ground meets a model whose default says contype 0 and whose collision bits are others (Agility Cassie's), and its own timestep, loops and ball joints are noted", async () => {
    const file = writeModel('bits', `<mujoco model="bits">
  <option timestep="0.0005"/>
  <default><geom contype="0" conaffinity="0"/></default>
  <worldbody>
    <body name="base" pos="0 0 0.5">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.1" mass="1" contype="4" conaffinity="2"/>
      <body name="arm" pos="0 0 0.15">
        <joint name="hinge" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.02" mass="0.1"/>
        <body name="rod" pos="0.2 0 0">
          <joint name="rod_ball" type="ball"/>
          <geom type="capsule" fromto="0 0 0 0 0 0.1" size="0.01" mass="0.02"/>
        </body>
      </body>
    </body>
  </worldbody>
  <equality><connect body1="rod" body2="base" anchor="0 0 0.1"/></equality>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    r.reset();
    for (let k = 0; k < 500; k++) r.step(0.002);
    // it rests on the ground (the box's half height 0.1 m), not 3 m under it
    expect(r.observe().base!.position[2]).toBeGreaterThan(0.05);
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.MUJOCO_MJCF_TIMESTEP).toBe("the model's own timestep 0.0005 s (2000 Hz) replaced by 0.002 s (500 Hz, --physics-hz): a model tuned at the finer step may need it (--physics-hz 2000)");
    expect(notes.MUJOCO_MJCF_LOOPS).toBe("1 loop closure(s) kept from the model (<equality>): connect rod–base; 1 ball joint(s) simulated passively, not in axon's joint list (no position, velocity or command): rod_ball");
    expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_TIMESTEP')!.where).toBe(file);
    expect(notes.MUJOCO_MJCF_GROUND).toBe("the model has no plane: axon's ground added at z = 0 under its floating base");
    r.dispose();
    // a fixed-base model (Menagerie's right_hand.xml hangs at z = 0) gets no ground cutting through it
    const hand = writeModel('hand', `<mujoco model="hand">
  <worldbody>
    <body name="palm" pos="0 0 0">
      <geom type="box" size="0.05 0.05 0.1" mass="0.5"/>
      <body name="finger" pos="0 0 -0.1">
        <joint name="knuckle" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.08" size="0.01" mass="0.05"/>
      </body>
    </body>
  </worldbody>
</mujoco>
`);
    const h = await createMujocoMjcfRobot(hand, { physicsDt: 0.002 });
    const mj = await loadMujocoModule();
    expect(mj.mj_name2id(h.model, mj.mjtObj.mjOBJ_GEOM.value, 'axon_ground')).toBe(-1);
    expect(h.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_GROUND');
    h.dispose();
  });

  it("a floating model is put on the ground by its collision geoms, not by a visual geom that reaches lower (Menagerie's visual class: contype 0, conaffinity 0)", async () => {
    const file = writeModel('visual-low', `<mujoco model="visual-low">
  <default>
    <default class="visual"><geom contype="0" conaffinity="0" group="2" density="0"/></default>
    <default class="collision"><geom group="3"/></default>
  </default>
  <worldbody>
    <body name="base" pos="0 0 1">
      <freejoint/>
      <geom class="collision" type="sphere" size="0.05" mass="1"/>
      <geom class="visual" type="box" size="0.04 0.04 0.15"/>
      <body name="arm" pos="0.1 0 0">
        <joint name="hinge" axis="0 1 0" range="-1 1"/>
        <geom class="collision" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01" mass="0.1"/>
      </body>
    </body>
  </worldbody>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    r.reset();
    // the sphere (radius 0.05) touches z = 0; the visual box would have lifted it to 0.15
    expect(r.observe().base!.position[2]).toBeCloseTo(0.05, 6);
    r.dispose();
  });

  it('a second free body under the worldbody (Berkeley Humanoid Lite ships its arms so) is noted and left out of the mass', async () => {
    const file = writeModel('loose', `<mujoco model="loose">
  <worldbody>
    <body name="base" pos="0 0 0.5">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.05" mass="4"/>
      <body name="leg" pos="0 0 -0.1">
        <joint name="hip" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.3" size="0.02" mass="1"/>
      </body>
    </body>
    <body name="arm_left" pos="0 0.2 0.5">
      <freejoint/>
      <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.5"/>
      <body name="forearm_left" pos="0 0 -0.2">
        <joint name="elbow_left" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02" mass="0.25"/>
      </body>
    </body>
    <body name="table" pos="1 0 0.3"><geom type="box" size="0.3 0.3 0.3"/></body>
  </worldbody>
</mujoco>
`);
    const seen: { kg: number }[] = [];
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: (_e, robot) => (seen.push({ kg: robot.mass }), { kp: 30, kd: 0.75 }) });
    expect(r.mjcfSetup.mass).toBeCloseTo(5, 9); // base + leg: the loose arm's 0.75 kg is not the robot's
    expect(seen.every((x) => Math.abs(x.kg - 5) < 1e-9)).toBe(true);
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.MUJOCO_MJCF_LOOSE_BODIES).toBe(
      '1 more body with joints under the worldbody (arm_left): not attached to the robot\'s root "base", simulated as loose objects and left out of its mass; their joints (elbow_left) still get axon\'s PD',
    );
    r.dispose();
  });

  it("reads the IMU where the model's imu site is (Apollo's torso), and takes a joint coupling it keeps as a follower (xArm7's gripper)", async () => {
    const file = writeModel('imusite', `<mujoco model="imusite">
  <worldbody>
    <body name="pelvis" pos="0 0 1">
      <freejoint/>
      <geom type="box" size="0.1 0.1 0.05" mass="5"/>
      <body name="torso" pos="0 0 0.1">
        <joint name="waist" axis="0 0 1" range="-1 1"/>
        <geom type="box" size="0.1 0.1 0.1" mass="5"/>
        <site name="imu" pos="0.02 0 0.05"/>
        <body name="left_finger" pos="0.1 0.05 0"><joint name="left_driver" type="slide" axis="0 1 0" range="0 0.04"/><geom type="box" size="0.01 0.01 0.02" mass="0.05"/></body>
        <body name="right_finger" pos="0.1 -0.05 0"><joint name="right_driver" type="slide" axis="0 -1 0" range="0 0.04"/><geom type="box" size="0.01 0.01 0.02" mass="0.05"/></body>
      </body>
    </body>
  </worldbody>
  <equality><joint joint1="left_driver" joint2="right_driver" polycoef="0 1 0 0 0"/></equality>
  <sensor><gyro name="imu_gyro" site="imu"/></sensor>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    expect(r.mjcfSetup.imuLink).toBe('torso');
    const notes = Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
    expect(notes.MUJOCO_MJCF_IMU).toBe('IMU read on body "torso", which holds the model\'s site "imu" (no imu* site on the root "pelvis"); in the body\'s frame: the site\'s own offset and rotation in it are not applied; --imu-link names another body');
    // (A model without actuators has every joint driven: the coupling between two of them makes a follower, tests/sim/mujocoMjcfMimic.test.ts.)
    expect(notes.MUJOCO_MJCF_MIMIC).toContain('left_driver = 1·right_driver + 0');
    expect(r.spec.joints.find((j) => j.name === 'left_driver')!.mimic).toEqual({ joint: 'right_driver', multiplier: 1, offset: 0 });
    r.dispose();
    // --imu-link decides; the root is kept when it holds an imu site itself
    const flagged = await createMujocoMjcfRobot(file, { physicsDt: 0.002, imuLink: 'pelvis', defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    expect(flagged.mjcfSetup.imuLink).toBe('pelvis');
    expect(flagged.notes.some((n) => n.code === 'MUJOCO_MJCF_IMU')).toBe(false);
    flagged.dispose();
  });

  it("a joint without a range takes its position actuator's ctrlrange / gear as limits (OP3's legs); others stay continuous", async () => {
    const file = writeModel('ctrlrange', `<mujoco model="ctrlrange">
  <worldbody>
    <body name="base">
      <geom type="box" size="0.1 0.1 0.05" mass="2"/>
      <body name="l1" pos="0 0 0.1">
        <joint name="knee" axis="0 1 0"/>
        <geom type="capsule" fromto="0 0 0 0 0 0.2" size="0.02" mass="0.5"/>
        <body name="l2" pos="0 0 0.2">
          <joint name="wheel" axis="0 1 0"/>
          <geom type="cylinder" size="0.05 0.01" mass="0.3"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position name="knee_servo" joint="knee" kp="20" ctrlrange="-1.5 1.5" gear="2"/>
    <velocity name="wheel_motor" joint="wheel" kv="1" ctrlrange="-10 10"/>
  </actuator>
</mujoco>
`);
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 30, kd: 0.75 }) });
    const [knee, wheel] = r.spec.joints;
    expect([knee.type, knee.lower, knee.upper]).toEqual(['revolute', -0.75, 0.75]);
    expect([wheel.type, wheel.lower, wheel.upper]).toEqual(['continuous', -Infinity, Infinity]);
    expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_CTRLRANGE')?.message).toBe("1 joint(s) without a range take their position actuator's ctrlrange as position limits (the targets the model accepts): knee");
    r.dispose();
  });

  it('axon describe MODEL.xml prints the MJCF as sim --mjcf builds it (text and --json)', () => {
    const r = axon('describe', bot.file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('robot mjbot (MJCF): 2 hinge/slide joints, 2 driven, 0 passive, total mass 4.5 kg, floating base, IMU base, default pose from the keyframe "home"');
    expect(r.stdout).toContain('  shoulder revolute [-1.5, 1.5] effort 15, kp 40 kd 2, default 0.3');
    expect(r.stdout).toContain('note MUJOCO_MJCF_ACTUATORS:');
    const j = JSON.parse(axon('describe', bot.file, '--json').stdout);
    expect(j).toMatchObject({ robot: 'mjbot', format: 'mjcf', floating_base: true, total_mass_kg: 4.5, gains: { model: 1, default: 1 } });
    expect(j.joints.map((x: { name: string }) => x.name)).toEqual(bot.joints);
  });

  it("a qpos0 outside its joint's range (Allegro's thumb base) starts and holds at the nearest limit, noted as a URDF's default is", async () => {
    const hand = writeMenagerieHand(dir);
    const r = await createMujocoMjcfRobot(hand.file, { physicsDt: 0.002 });
    const thj0 = r.spec.joints.find((j) => j.name === 'thj0')!;
    expect([thj0.lower, thj0.upper, thj0.defaultPosition]).toEqual([0.263, 1.396, 0.263]);
    expect(r.observe().jointPosition[hand.joints.indexOf('thj0')]).toBeCloseTo(0.263, 6);
    const note = r.notes.find((n) => n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS');
    expect(note?.where).toBe('<joint name="thj0">');
    expect(note?.message).toContain('default position 0 (qpos0) is outside its limits [0.263, 1.396]: it starts and holds at 0.263');
    expect(r.notes.filter((n) => n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS')).toHaveLength(1);
    r.dispose();
    // From the command line: the first tick is at the held pose (it used to start 0.263 rad away), and the note is on stderr.
    const s = axon('sim', '--mjcf', hand.file, '--duration', '0.02', '--fast', '--json');
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.lastLine).episode.pose_offset.max).toBeLessThan(0.01);
    expect(s.stderr).toContain('note SIM_DEFAULT_OUTSIDE_LIMITS: <joint name="thj0">');
  });

  it("axon sim --mjcf F --policy P: the robot set up from P's manifest, and robot_setup says what ran (it started at the keyframe, and said the model's gains while the manifest's pd ran)", () => {
    const quad = writeMenagerieQuadruped(dir);
    const stance = quad.joints.map((j) => (j.includes('thigh') ? 0.8 : -1.5));
    const policy = zeroPositionPolicy(quad.joints, { default_joint_pos: stance, pd: { kp: quad.joints.map(() => 20), kd: quad.joints.map(() => 0.5) }, actuators: { armature: 0.02 } });
    const r = axon('sim', '--mjcf', quad.file, '--policy', policy, '--physics-hz', '200', '--duration', '0.5', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s.robot_setup).toMatchObject({
      base: 'floating',
      pose: 'manifest default_joint_pos (8 joints) over keyframe "home"',
      pd: 'implicit',
      gains: { flags: 0, manifest: 8, model: 0, default: 0, passive: 0 },
      armature: 'manifest',
      manifest: ['default_joint_pos', 'pd', 'actuators.armature'],
    });
    expect(s.episode.fell).toBe(false);
    expect(r.stderr).toContain('note MUJOCO_MJCF_MANIFEST');
    // The text form says it on its set-up line.
    const t = axon('sim', '--mjcf', quad.file, '--policy', policy, '--physics-hz', '200', '--duration', '0.1', '--fast');
    expect(t.stdout).toContain("gains from the flags (0 joints), the manifest's pd (8), the model's position actuators (0), the stated default (0");
    expect(t.stdout).toContain('from the manifest: default_joint_pos, pd, actuators.armature');
  });

  it('a missing model file is named as an MJCF, by describe (a .xml) and by sim --mjcf (which read its whole folder first, and refused it as over 200 MB under /tmp)', () => {
    const missing = join(dir, 'nowhere', 'scene.xml');
    for (const args of [['describe', missing], ['sim', '--mjcf', missing, '--duration', '0.1', '--fast']]) {
      const r = axon(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`axon: error [MUJOCO_MJCF_FILE]: ${missing}: cannot be read`);
      expect(r.stderr).toContain('(expected a readable MJCF model file)');
      expect(r.stderr).not.toContain('URDF');
    }
    // a folder given for the file
    const folder = axon('sim', '--mjcf', dir, '--duration', '0.1', '--fast');
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`[MUJOCO_MJCF_FILE]: ${dir}: is not a file`);
  });

  it('a broken include is refused with the file named, not a stack trace', () => {
    const bad = join(dir, 'broken');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'robot.xml'), '<mujoco model="broken"><include file="missing.xml"/><worldbody/></mujoco>');
    const r = axon('sim', '--mjcf', join(bad, 'robot.xml'), '--duration', '1', '--fast');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/robot\.xml/);
    expect(r.stderr).toContain('missing.xml');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
