/**
 * MJCF models written the way mujoco_menagerie writes them (no downloads): a scene.xml that
 * includes the robot file, a <default> class tree that gives joint ranges, damping, armature and
 * the actuators' gains and ranges by class, `<position>` actuators with kp by class, a keyframe,
 * and a joint whose qpos0 lies outside its range (Allegro's thumb base, Go2's knee).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A right hand as wonik_allegro/right_hand.xml has it: fixed to the world at the palm, no
 * keyframe, `<position kp="10">` on every joint through the class tree, and a thumb base `thj0`
 * whose range starts at 0.263, so that its qpos0 (0) lies outside it. Two fingers of two joints.
 * Written as `dir/hand/scene_right.xml` including `right_hand.xml`.
 */
export function writeMenagerieHand(dir: string): { file: string; joints: string[] } {
  const d = join(dir, 'hand');
  mkdirSync(d, { recursive: true });
  writeFileSync(
    join(d, 'right_hand.xml'),
    `<mujoco model="allegro_right">
  <compiler angle="radian" autolimits="true"/>
  <default>
    <default class="allegro_right">
      <joint axis="0 1 0" damping="1"/>
      <position kp="10"/>
      <geom density="800"/>
      <default class="base">
        <joint axis="0 0 1" range="-0.47 0.47"/>
        <position ctrlrange="-0.47 0.47"/>
      </default>
      <default class="proximal">
        <joint range="-0.196 1.61"/>
        <position ctrlrange="-0.196 1.61"/>
      </default>
      <default class="thumb_base">
        <joint axis="-1 0 0" range="0.263 1.396"/>
        <position ctrlrange="0.263 1.396"/>
      </default>
      <default class="thumb_proximal">
        <joint axis="0 0 1" range="-0.105 1.163"/>
        <position ctrlrange="-0.105 1.163"/>
      </default>
    </default>
  </default>
  <worldbody>
    <body name="palm" childclass="allegro_right">
      <geom type="box" size="0.0204 0.0565 0.0475" pos="-0.0093 0 -0.0475"/>
      <body name="ff_base" pos="0 0.0435 -0.001542">
        <joint name="ffj0" class="base"/>
        <geom type="box" size="0.0098 0.01375 0.0082" pos="0 0 0.0082"/>
        <body name="ff_proximal" pos="0 0 0.0164">
          <joint name="ffj1" class="proximal"/>
          <geom type="box" size="0.0098 0.01375 0.027" pos="0 0 0.027"/>
        </body>
      </body>
      <body name="th_base" pos="-0.0182 0.019333 -0.045987" quat="0.477714 -0.521334 -0.521334 -0.477714">
        <joint name="thj0" class="thumb_base"/>
        <geom type="box" size="0.0179 0.017 0.02275" pos="-0.0179 0.009 0.0145"/>
        <body name="th_proximal" pos="-0.027 0.005 0.0399">
          <joint name="thj1" class="thumb_proximal"/>
          <geom type="box" size="0.0098 0.01375 0.00885" pos="0 0 0.00885"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position name="ffa0" joint="ffj0" class="base"/>
    <position name="ffa1" joint="ffj1" class="proximal"/>
    <position name="tha0" joint="thj0" class="thumb_base"/>
    <position name="tha1" joint="thj1" class="thumb_proximal"/>
  </actuator>
</mujoco>
`,
  );
  writeFileSync(
    join(d, 'scene_right.xml'),
    `<mujoco model="right_allegro_hand scene">
  <include file="right_hand.xml"/>
  <statistic center="0 0 0" extent="0.3"/>
  <worldbody>
    <light pos="0 0 1"/>
    <geom name="floor" pos="0 0 -0.1" size="0 0 0.05" type="plane"/>
  </worldbody>
</mujoco>
`,
  );
  return { file: join(d, 'scene_right.xml'), joints: ['ffj0', 'ffj1', 'thj0', 'thj1'] };
}

/**
 * A quadruped as unitree_go2/go2.xml is written: a floating base (free joint), four legs of a
 * thigh and a knee (calf), the ranges, damping and armature given by class (the knee's range
 * [-2.7227, -0.83776] leaves out its qpos0), `<position>` actuators with kp 35 / kv 0.5 and a
 * force range of 23.7 N·m by class, and a "home" keyframe (thighs 0.9, knees -1.8) inside the
 * ranges. About 6 kg. Written as `dir/quad/scene.xml` including `quad.xml`.
 */
export function writeMenagerieQuadruped(dir: string): { file: string; joints: string[]; home: Record<string, number> } {
  const d = join(dir, 'quad');
  mkdirSync(d, { recursive: true });
  const legs = [
    ['FL', 0.19, 0.09],
    ['FR', 0.19, -0.09],
    ['RL', -0.19, 0.09],
    ['RR', -0.19, -0.09],
  ] as const;
  const leg = ([n, x, y]: (typeof legs)[number]) => `      <body name="${n}_thigh" pos="${x} ${y} 0">
        <joint name="${n}_thigh_joint" class="thigh"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.213" size="0.02" mass="0.6"/>
        <body name="${n}_calf" pos="0 0 -0.213">
          <joint name="${n}_calf_joint" class="knee"/>
          <geom type="capsule" fromto="0 0 0 0 0 -0.2" size="0.015" mass="0.2"/>
          <geom name="${n}_foot" type="sphere" size="0.022" pos="0 0 -0.213" mass="0.05"/>
        </body>
      </body>`;
  writeFileSync(
    join(d, 'quad.xml'),
    `<mujoco model="quad">
  <compiler angle="radian" autolimits="true"/>
  <default>
    <default class="quad">
      <geom friction="0.6" condim="3"/>
      <joint axis="0 1 0" damping="0.5" armature="0.01"/>
      <position kp="35" kv="0.5" forcerange="-23.7 23.7"/>
      <default class="thigh">
        <joint range="-1.5708 3.4907"/>
        <position ctrlrange="-1.5708 3.4907"/>
      </default>
      <default class="knee">
        <joint range="-2.7227 -0.83776"/>
        <position ctrlrange="-2.7227 -0.83776"/>
      </default>
    </default>
  </default>
  <worldbody>
    <body name="base" pos="0 0 0.445" childclass="quad">
      <freejoint/>
      <geom type="box" size="0.19 0.05 0.05" mass="5"/>
      <site name="imu" pos="-0.02557 0 0.04232"/>
${legs.map(leg).join('\n')}
    </body>
  </worldbody>
  <actuator>
${legs.map(([n]) => `    <position class="thigh" name="${n}_thigh" joint="${n}_thigh_joint"/>\n    <position class="knee" name="${n}_calf" joint="${n}_calf_joint"/>`).join('\n')}
  </actuator>
  <keyframe>
    <key name="home" qpos="0 0 0.32 1 0 0 0 0.9 -1.8 0.9 -1.8 0.9 -1.8 0.9 -1.8" ctrl="0.9 -1.8 0.9 -1.8 0.9 -1.8 0.9 -1.8"/>
  </keyframe>
</mujoco>
`,
  );
  writeFileSync(
    join(d, 'scene.xml'),
    `<mujoco model="quad scene">
  <include file="quad.xml"/>
  <worldbody>
    <light pos="0 0 1.5" dir="0 0 -1" directional="true"/>
    <geom name="floor" size="0 0 0.05" type="plane"/>
  </worldbody>
</mujoco>
`,
  );
  const joints = legs.flatMap(([n]) => [`${n}_thigh_joint`, `${n}_calf_joint`]);
  return { file: join(d, 'scene.xml'), joints, home: Object.fromEntries(joints.map((j) => [j, j.includes('thigh') ? 0.9 : -1.8])) };
}
