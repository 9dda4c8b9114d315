/**
 * A small biped written the way humanoid-gym writes its XBot-L MJCF (resources/robots/XBot/mjcf/
 * XBot-L.xml, no download): the floating base is not a `<freejoint/>` but three unnamed, unlimited
 * slide joints along x, y, z and an unnamed ball joint on the root body; an `imu` site at the base's
 * origin carries a `framequat` named "orientation" and a `gyro` named "angular-velocity" (what
 * sim2sim.py reads); `<flag sensornoise="enable">` (MuJoCo 2.3's, which 3.14 refuses); joints
 * limited by the top default and given damping, frictionloss and armature by a `leg_joint_param`
 * class (the ankle's frictionloss over it); `<motor>`s with ctrllimited; arms as bodies without
 * joints; an `<hfield>` asset no geom uses; `eulerseq="zyx"`; and the model in `mjcf/` reaching its
 * meshes in the sibling `meshes/` through `meshdir="../meshes/"`. The model is `dir/biped/mjcf/biped.xml`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryStl, boxTris } from './meshHumanoid.ts';

/** The legs' joints in model order (qpos[-6:], after the base's 7). */
export const SLIDE_BALL_JOINTS = ['left_hip_roll_joint', 'left_hip_pitch_joint', 'left_knee_joint', 'right_hip_roll_joint', 'right_hip_pitch_joint', 'right_knee_joint'];

/** The base's joints as XBot-L.xml has them. */
export const XBOT_BASE_JOINTS = `<joint type='slide' axis='1 0 0' limited='false' />
      <joint type='slide' axis='0 1 0' limited='false' />
      <joint type='slide' axis='0 0 1' limited='false' />
      <joint type='ball' limited='false' />`;

export interface SlideBallOptions {
  /** The root body's joints (default XBOT_BASE_JOINTS). */
  readonly baseJoints?: string;
  /** The `<option>` block's `<flag>` line (default XBot-L's, with sensornoise). */
  readonly flag?: string;
  /** Meshes in the sibling folder as humanoid-gym has them (default), or in mjcf/meshes/ beside the model. */
  readonly meshes?: 'sibling' | 'beside';
}

/** Writes the biped under `dir`; returns the model file and the line of its `<flag>`. */
export function writeSlideBallBiped(dir: string, o: SlideBallOptions = {}): { file: string; flagLine: number } {
  const root = join(dir, 'biped');
  mkdirSync(join(root, 'mjcf'), { recursive: true });
  const beside = o.meshes === 'beside';
  const meshes = beside ? join(root, 'mjcf', 'meshes') : join(root, 'meshes');
  mkdirSync(meshes, { recursive: true });
  for (const m of ['base_link', 'left_arm_link', 'right_arm_link']) writeFileSync(join(meshes, `${m}.STL`), binaryStl(boxTris(0.02, 0.02, 0.02), 'stand-in'));
  const leg = (side: 'left' | 'right', y: number) => `
          <body name="${side}_hip_roll_link" pos="0 ${y} -0.05">
            <inertial pos="0 0 -0.02" mass="1.2" diaginertia="0.002 0.002 0.001"/>
            <joint name="${side}_hip_roll_joint" axis="1 0 0" range="-0.4 0.4" class="leg_joint_param"/>
            <body name="${side}_hip_pitch_link" pos="0 0 -0.05">
              <inertial pos="0 0 -0.12" mass="2.5" diaginertia="0.02 0.02 0.003"/>
              <joint name="${side}_hip_pitch_joint" axis="0 1 0" range="-1.2 1.2" class="leg_joint_param"/>
              <geom type="capsule" fromto="0 0 0 0 0 -0.22" size="0.03" class="visualgeom"/>
              <body name="${side}_knee_link" pos="0 0 -0.25">
                <inertial pos="0 0 -0.12" mass="1.5" diaginertia="0.015 0.015 0.002"/>
                <joint name="${side}_knee_joint" axis="0 1 0" range="-0.1 2.0" class="leg_joint_param" frictionloss="0.05"/>
                <geom type="capsule" fromto="0 0 0 0 0 -0.22" size="0.025" class="visualgeom"/>
                <geom name="${side}_foot" type="box" pos="0.03 0 -0.25" size="0.08 0.04 0.015"/>
              </body>
            </body>
          </body>`;
  const sensors = SLIDE_BALL_JOINTS.map((j) => `    <actuatorpos name='${j}_p' actuator='${j}' user='13'/>\n    <actuatorfrc name='${j}_f' actuator='${j}' user='13' noise='1e-3'/>`).join('\n');
  const flag = o.flag ?? `<flag sensornoise="enable" frictionloss="enable"/>`;
  const text = `<mujoco model="biped">
  <compiler angle="radian" meshdir="${beside ? 'meshes/' : '../meshes/'}" eulerseq="zyx"/>
    <option timestep='0.001' iterations='50' solver='PGS' gravity='0 0 -9.81'>
    ${flag}
    </option>
    <size njmax="500" nconmax="100" />
    <default>
        <joint limited='true'/>
        <motor ctrllimited='true'/>
        <geom condim='4' contype="1" conaffinity="15" solref='0.001 2' friction='0.9 0.2 0.2'/>
        <default class='visualgeom'>
            <geom condim='1' contype='0' conaffinity='0'/>
        </default>
        <default class='leg_joint_param'>
            <joint damping="0.01" frictionloss="0.01" armature="0.01"/>
        </default>
    </default>
  <asset>
    <mesh name="base_link" file="base_link.STL"/>
    <mesh name="left_arm_link" file="left_arm_link.STL"/>
    <mesh name="right_arm_link" file="right_arm_link.STL"/>
    <hfield name='hf0' nrow='20' ncol='20' size="1 1 0.2 .1"/>
  </asset>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1" pos="0.001 0 0" quat="1 0 0 0" condim="1" conaffinity='15'/>
    <body name="base_link" pos="0.0 0.0 0.6">
      <inertial pos="0 0 0.1" mass="8" diaginertia="0.09 0.06 0.05"/>
      ${o.baseJoints ?? XBOT_BASE_JOINTS}
      <site name='imu' size='0.01' pos='0.0 0 0.0'/>
      <geom type="mesh" mesh="base_link" class="visualgeom"/>
      <body name="left_arm_link" pos="0 0.2 0.25">
        <inertial pos="0 0 -0.1" mass="1" diaginertia="0.005 0.005 0.001"/>
        <geom type="mesh" mesh="left_arm_link" class="visualgeom"/>
      </body>
      <body name="right_arm_link" pos="0 -0.2 0.25">
        <inertial pos="0 0 -0.1" mass="1" diaginertia="0.005 0.005 0.001"/>
        <geom type="mesh" mesh="right_arm_link" class="visualgeom"/>
      </body>
      <body name="waist_link" pos="0 0 -0.05">
        <inertial pos="0 0 0" mass="2" diaginertia="0.01 0.01 0.01"/>${leg('left', 0.1)}${leg('right', -0.1)}
      </body>
    </body>
  </worldbody>
  <actuator>
${SLIDE_BALL_JOINTS.map((j) => `    <motor name="${j}" joint="${j}" gear="1" ctrllimited="true" ctrlrange="-200 200"/>`).join('\n')}
  </actuator>
  <sensor>
${sensors}
    <framequat     name='orientation' objtype='site' noise='0.001' objname='imu'/>
    <framepos     name='position' objtype='site' noise='0.001' objname='imu'/>
    <gyro          name='angular-velocity'    site='imu' noise='0.005' cutoff='34.9'/>
    <velocimeter   name='linear-velocity'     site='imu' noise='0.001' cutoff='30'/>
    <accelerometer name='linear-acceleration' site='imu' noise='0.005' cutoff='157'/>
  </sensor>
</mujoco>
`;
  const file = join(root, 'mjcf', 'biped.xml');
  writeFileSync(file, text);
  return { file, flagLine: text.slice(0, text.indexOf(flag)).split('\n').length };
}
