/**
 * MJCF grippers written the way mujoco_menagerie writes them (no downloads), whose fingers are
 * coupled by `<equality><joint>` and driven through a fixed tendon: franka_emika_panda's hand, a
 * rotary gripper whose couplings have a multiplier that is not 1, an offset and joints with `ref`
 * (reference positions), and a model whose couplings cannot be followers (chain, loop, passive,
 * inactive, non-linear, held).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MimicPair } from './vendorGrippers.ts';

/** Writes `xml` as DIR/FOLDER/NAME (the folder made) and returns its path. */
function writeModel(dir: string, folder: string, name: string, xml: string): string {
  const d = join(dir, folder);
  mkdirSync(d, { recursive: true });
  const file = join(d, name);
  writeFileSync(file, xml);
  return file;
}

/** Tiny finger bodies (menagerie's panda fingers: 15 g, 2.4e-6 kg·m²; lighter still here). */
const FINGER = 'mass="0.015" diaginertia="2.375e-06 2.375e-06 7.5e-07"';

/**
 * franka_emika_panda/hand.xml as menagerie has it, on a wrist joint (panda.xml's joint7): default
 * classes (panda, finger: slide joints along y, range 0..0.04), tiny finger bodies, the fingers
 * coupled by `<equality><joint joint1="finger_joint1" joint2="finger_joint2" polycoef="0 1 0 0 0">`
 * with menagerie's solimp/solref and moved by one `general` actuator on the fixed tendon "split";
 * the actuators listed in another order than the joints (the tendon's first), a keyframe "home"
 * with the hand open. Fixed to the world. Written as DIR/panda/hand.xml.
 *
 * `variant` "mjx" is mjx_panda.xml's hand: no tendon, actuator8 on finger_joint1 alone (`general`,
 * gain 350, bias 0 −350 −10, forcerange ±200, ctrlrange 0..0.04), so finger_joint2 is passive and
 * follows finger_joint1 (DIR/panda_mjx/hand.xml). "spare" lists, before the fingers' coupling, an
 * inactive one on the same two joints (a half-stroke coupling a user switches on at run time;
 * DIR/panda_spare/hand.xml).
 */
export function writeMenageriePandaHand(dir: string, variant?: 'mjx' | 'spare'): { file: string; leader: string; follower: string; mimics: MimicPair[] } {
  const file = writeModel(
    dir,
    variant === undefined ? 'panda' : `panda_${variant}`,
    'hand.xml',
    `<mujoco model="panda_hand">
  <compiler angle="radian" autolimits="true"/>
  <option integrator="implicitfast"/>
  <default>
    <default class="panda">
      <material specular="0.5" shininess="0.25"/>
      <joint armature="0.1" damping="1" axis="0 0 1" range="-2.8973 2.8973"/>
      <general dyntype="none" biastype="affine" ctrlrange="-2.8973 2.8973" forcerange="-87 87"/>
      <default class="finger">
        <joint axis="0 1 0" type="slide" range="0 0.04"/>
      </default>
      <default class="visual">
        <geom type="box" contype="0" conaffinity="0" group="2"/>
      </default>
      <default class="collision">
        <geom type="box" group="3"/>
      </default>
    </default>
  </default>
  <worldbody>
    <body name="link6" childclass="panda" pos="0 0 0.5">
      <inertial mass="1.7" pos="0 0 0" diaginertia="0.01 0.01 0.01"/>
      <geom class="collision" size="0.04 0.04 0.04"/>
      <body name="link7" pos="0 0 0.1">
        <inertial mass="0.74" pos="0 0 0.05" diaginertia="0.002 0.002 0.003"/>
        <joint name="joint7"/>
        <geom class="visual" size="0.03 0.03 0.03"/>
        <body name="hand" pos="0 0 0.107" quat="0.9238795 0 0 -0.3826834">
          <inertial mass="0.73" pos="-0.01 0 0.03" diaginertia="0.001 0.0025 0.0017"/>
          <geom class="collision" size="0.02 0.1 0.02" pos="0 0 0.02"/>
          <body name="left_finger" pos="0 0 0.0584">
            <inertial pos="0 0 0" ${FINGER}/>
            <joint name="finger_joint1" class="finger"/>
            <geom class="collision" size="0.01 0.005 0.02" pos="0 0.01 0.03"/>
          </body>
          <body name="right_finger" pos="0 0 0.0584" quat="0 0 0 1">
            <inertial pos="0 0 0" ${FINGER}/>
            <joint name="finger_joint2" class="finger"/>
            <geom class="collision" size="0.01 0.005 0.02" pos="0 0.01 0.03"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <contact>
    <exclude body1="hand" body2="left_finger"/>
    <exclude body1="hand" body2="right_finger"/>
  </contact>
${variant === 'mjx' ? '' : `  <tendon>
    <fixed name="split">
      <joint joint="finger_joint1" coef="0.5"/>
      <joint joint="finger_joint2" coef="0.5"/>
    </fixed>
  </tendon>
`}  <equality>
${variant === 'spare' ? '    <joint name="half_stroke" joint1="finger_joint1" joint2="finger_joint2" polycoef="0.02 0.5 0 0 0" active="false"/>\n' : ''}    <joint joint1="finger_joint1" joint2="finger_joint2" polycoef="0 1 0 0 0" solimp="0.95 0.99 0.001" solref="0.005 1"/>
  </equality>
  <actuator>
${variant === 'mjx' ? '    <general class="panda" name="actuator8" joint="finger_joint1" ctrlrange="0 0.04" gainprm="350 0 0" biasprm="0 -350 -10" forcerange="-200 200"/>' : '    <general class="panda" name="actuator8" tendon="split" forcerange="-100 100" ctrlrange="0 255" gainprm="0.01568627451 0 0" biasprm="0 -100 -10"/>'}
    <general class="panda" name="actuator7" joint="joint7" gainprm="2000" biasprm="0 -2000 -200" forcerange="-12 12"/>
  </actuator>
  <keyframe>
    <key name="home" qpos="0 0.04 0.04" ctrl="${variant === 'mjx' ? '0.04' : '255'} 0"/>
  </keyframe>
</mujoco>
`,
  );
  const [leader, follower] = variant === 'mjx' ? ['finger_joint1', 'finger_joint2'] : ['finger_joint2', 'finger_joint1'];
  return { file, leader, follower, mimics: [{ follower, leader, multiplier: 1, offset: 0 }] };
}

/**
 * A rotary two-finger gripper (a Robotiq-like knuckle and an inner finger riding on it): the
 * leader `knuckle` (ref 0.1 rad) and its follower `inner` on the knuckle's link (ref −0.05,
 * polycoef "0.02 −0.5": inner = −0.5·knuckle + 0.02 once the references are counted) are moved
 * together by a fixed tendon's actuator; `knuckle_r` follows `knuckle` at 1.5 (offset −0.15 from
 * knuckle's ref) and has a position actuator of its own in the model. Beside them, a non-linear
 * coupling (`thumb_tip` = f(`thumb`), c2 0.3) and a `lock` joint held at a constant (no joint2),
 * each joint with a position actuator. Tiny finger links; actuators in another order than the
 * joints; no keyframe (the pose is qpos0, the references). Fixed to the world. DIR/rotary/gripper.xml.
 */
export function writeRotaryGripper(dir: string): { file: string; leader: string; mimics: MimicPair[] } {
  const link = `<inertial pos="0 0 0.02" mass="0.008" diaginertia="2e-6 2e-6 4e-7"/><geom type="capsule" fromto="0 0 0 0 0 0.04" size="0.005" contype="0" conaffinity="0"/>`;
  const file = writeModel(
    dir,
    'rotary',
    'gripper.xml',
    `<mujoco model="rotary_gripper">
  <compiler angle="radian" autolimits="true"/>
  <default>
    <default class="g">
      <joint axis="1 0 0" damping="0.05" armature="0.0005"/>
      <position kp="20" kv="0.5"/>
      <default class="knuckle"><joint range="0 0.8"/></default>
    </default>
  </default>
  <worldbody>
    <body name="base" childclass="g" pos="0 0 0.3">
      <inertial mass="0.5" pos="0 0 0" diaginertia="0.001 0.001 0.001"/>
      <geom type="box" size="0.03 0.03 0.02"/>
      <body name="thumb_link" pos="0 0.03 0.02">
        <joint name="thumb" range="-0.5 0.5"/>
        ${link}
        <body name="thumb_tip_link" pos="0 0 0.04">
          <joint name="thumb_tip" range="-0.5 0.5"/>
          ${link}
        </body>
      </body>
      <body name="left_knuckle" pos="0 -0.03 0.02">
        <joint name="knuckle" class="knuckle" ref="0.1"/>
        ${link}
        <body name="left_inner" pos="0 0 0.04">
          <joint name="inner" range="-0.5 0.1" ref="-0.05"/>
          ${link}
        </body>
      </body>
      <body name="right_knuckle" pos="0 0.0 0.02">
        <joint name="knuckle_r" range="-0.2 1.2"/>
        ${link}
      </body>
      <body name="lock_link" pos="0.02 0 0.02">
        <joint name="lock" range="-0.3 0.3"/>
        ${link}
      </body>
    </body>
  </worldbody>
  <tendon>
    <fixed name="drive">
      <joint joint="knuckle" coef="1"/>
      <joint joint="inner" coef="-0.5"/>
    </fixed>
  </tendon>
  <equality>
    <joint name="inner_follows" joint1="inner" joint2="knuckle" polycoef="0.02 -0.5 0 0 0" solimp="0.95 0.99 0.001" solref="0.005 1"/>
    <joint joint1="knuckle_r" joint2="knuckle" polycoef="0 1.5 0 0 0"/>
    <joint name="thumb_curl" joint1="thumb_tip" joint2="thumb" polycoef="0 1 0.3 0 0"/>
    <joint name="lock_held" joint1="lock" polycoef="0.05 0 0 0 0"/>
  </equality>
  <actuator>
    <position class="g" name="a_lock" joint="lock"/>
    <general class="g" name="a_drive" tendon="drive" ctrlrange="0 255" gainprm="0.3" biastype="affine" biasprm="0 -100 -10" forcerange="-5 5"/>
    <position class="g" name="a_thumb_tip" joint="thumb_tip"/>
    <position class="g" name="a_knuckle_r" joint="knuckle_r" kp="50"/>
    <position class="g" name="a_thumb" joint="thumb"/>
  </actuator>
</mujoco>
`,
  );
  return {
    file,
    leader: 'knuckle',
    mimics: [
      { follower: 'inner', leader: 'knuckle', multiplier: -0.5, offset: 0.02 },
      { follower: 'knuckle_r', leader: 'knuckle', multiplier: 1.5, offset: -0.15 },
    ],
  };
}

/**
 * Joint couplings that are not followers: a chain (c1 = c2, c2 = c3), a loop (d1 = d2, d2 = d1) and
 * one switched off (active="false"); beside them a joint no actuator moves coupled to a driven one
 * (p1 = p2, p1 passive), which follows it. Every other joint has a motor; the compiler's default
 * angle unit (degrees: ranges ±1°). DIR/couplings/couplings.xml.
 */
export function writeOddCouplings(dir: string): string {
  const names = ['c1', 'c2', 'c3', 'd1', 'd2', 'p1', 'p2', 'i1', 'i2'];
  const bodies = names.map((n, k) => `<body name="${n}_link" pos="${0.05 * k} 0 0"><joint name="${n}" axis="0 1 0" range="-1 1"/><geom type="sphere" size="0.01" mass="0.01" contype="0" conaffinity="0"/></body>`);
  const file = writeModel(
    dir,
    'couplings',
    'couplings.xml',
    `<mujoco model="couplings">
  <worldbody>
    <body name="base"><geom type="box" size="0.3 0.05 0.01" mass="1"/>
      ${bodies.join('\n      ')}
    </body>
  </worldbody>
  <equality>
    <joint joint1="c1" joint2="c2"/>
    <joint joint1="c2" joint2="c3"/>
    <joint joint1="d1" joint2="d2"/>
    <joint joint1="d2" joint2="d1"/>
    <joint joint1="p1" joint2="p2"/>
    <joint joint1="i1" joint2="i2" active="false"/>
  </equality>
  <actuator>
    ${names.filter((n) => n !== 'p1').map((n) => `<motor joint="${n}" ctrlrange="-1 1"/>`).join('\n    ')}
  </actuator>
</mujoco>
`,
  );
  return file;
}

/**
 * One arm's gripper of mujoco_menagerie's aloha/aloha.xml (ViperX 300 S, its vx300s, finger,
 * left_finger and right_finger default classes and the left arm's `left/...` names, slashes and
 * all): the wrist_rotate joint (position kp 10.4) and the two fingers on their rail (slide joints
 * along −z, range 0..0.041 m, armature 0.243, damping 40, actuatorfrcrange ±35 from the vx300s
 * class, 86 g each with the file's inertias), coupled by `<equality><joint joint1="left/left_finger"
 * joint2="left/right_finger" polycoef="0 1 0 0 0"/>` (MuJoCo's default solref and solimp), with the
 * one `<position class="finger">` actuator (kp 2000, kv 124, ctrlrange 0.002..0.037) on
 * left/left_finger: left/right_finger is passive and follows it. The keyframe "home" of
 * joint_position_actuators.xml (fingers at 0.0084). The meshes are boxes that touch nothing; the
 * wrist is fixed to the world, unrotated. DIR/aloha/aloha_gripper.xml.
 */
export function writeAlohaGripper(dir: string): { file: string; leader: string; follower: string; mimics: MimicPair[] } {
  const file = writeModel(
    dir,
    'aloha',
    'aloha_gripper.xml',
    `<mujoco model="aloha_gripper">
  <compiler angle="radian" autolimits="true"/>
  <option cone="elliptic" impratio="10"/>
  <default>
    <default class="vx300s">
      <joint axis="0 1 0" actuatorfrcrange="-35 35"/>
      <default class="wrist_rotate">
        <joint axis="1 0 0" range="-3.14158 3.14158" damping="1.2"/>
        <position ctrlrange="-3.14158 3.14158" kp="10.4"/>
      </default>
      <default class="finger">
        <joint type="slide" armature="0.243" damping="40"/>
        <position ctrlrange="0.002 0.037" kp="2000" kv="124"/>
        <default class="left_finger">
          <joint range="0 0.041" axis="0 0 -1"/>
        </default>
        <default class="right_finger">
          <joint range="0 0.041" axis="0 0 -1"/>
        </default>
      </default>
      <default class="visual">
        <geom type="box" contype="0" conaffinity="0" density="0" group="2"/>
      </default>
    </default>
  </default>
  <worldbody>
    <body name="left/wrist_link" childclass="vx300s" pos="0 0 0.5">
      <inertial pos="0.046743 -7.6652e-06 0.010565" quat="-0.00100191 0.544586 0.0026583 0.8387" mass="0.115395" diaginertia="5.45707e-05 4.63101e-05 4.32692e-05"/>
      <body name="left/gripper_link" pos="0.069744 0 0">
        <inertial pos="0.0395662 -2.56311e-07 0.00400649" quat="0.62033 0.619916 -0.339682 0.339869" mass="0.251652" diaginertia="0.000689546 0.000650316 0.000468142"/>
        <joint name="left/wrist_rotate" class="wrist_rotate"/>
        <body name="left/gripper_base" euler="0 1.57 -1.57" pos="0.035 0 0">
          <inertial pos="0.000182154 -0.0341589 -0.0106026" quat="0.435286 0.557074 -0.551539 0.442718" mass="0.42158" diaginertia="0.00110438 0.000790537 0.000469727"/>
          <geom class="visual" size="0.02 0.04 0.01"/>
          <body name="left/left_finger_link" pos="0.0191 -0.0141637 0.0211727" quat="1 -1 -1 1">
            <inertial pos="0.0143478 -0.0284791 0.0122897" quat="0.535486 0.458766 -0.450407 0.547651" mass="0.0862937" diaginertia="5.86848e-05 4.46887e-05 1.8397e-05"/>
            <joint name="left/left_finger" class="left_finger"/>
            <geom class="visual" size="0.005 0.03 0.01" pos="0.014 -0.03 0.012"/>
          </body>
          <body name="left/right_finger_link" pos="-0.0191 -0.0141637 0.0211727" quat="1 1 1 1">
            <inertial pos="0.0143711 0.0284792 0.0121421" quat="0.461317 0.537615 -0.545478 0.447894" mass="0.0862932" diaginertia="5.86828e-05 4.46887e-05 1.83949e-05"/>
            <joint name="left/right_finger" class="right_finger"/>
            <geom class="visual" size="0.005 0.03 0.01" pos="0.014 0.03 0.012"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <equality>
    <joint joint1="left/left_finger" joint2="left/right_finger" polycoef="0 1 0 0 0"/>
  </equality>
  <actuator>
    <position class="wrist_rotate" name="left/wrist_rotate" joint="left/wrist_rotate"/>
    <position class="finger" name="left/gripper" joint="left/left_finger"/>
  </actuator>
  <keyframe>
    <key name="home" qpos="0 0.0084 0.0084" ctrl="0 0.0084"/>
  </keyframe>
</mujoco>
`,
  );
  return { file, leader: 'left/left_finger', follower: 'left/right_finger', mimics: [{ follower: 'left/right_finger', leader: 'left/left_finger', multiplier: 1, offset: 0 }] };
}

/**
 * Couplings with a passive partner (radians, `ref`s, 10 g links on servo-like armature 0.002, motors
 * of ±10 on the driven joints): a2,
 * passive, = f(a1) with polycoef "0.02 −0.5" (a2 follows a1: −0.5·a1 + 0.07 from the references);
 * b1 = f(b2) with polycoef "0.02 2", b1 driven and b2 passive (b2 follows b1, the constraint solved
 * for it: 0.5·b1 − 0.11); n1 = f(n2), both passive (kept); and r1 (ref 1, range ±0.5) = r2 (range
 * ±1), both driven, whose coupling takes r1 past its range (r1 = r2 + 1). DIR/passive/couplings.xml.
 */
export function writePassiveCouplings(dir: string): { file: string; mimics: MimicPair[] } {
  const joints: [string, string][] = [
    ['a1', 'range="-1 1" ref="0.1"'],
    ['a2', 'range="-1 1"'],
    ['b1', 'range="-1 1" ref="0.1"'],
    ['b2', 'range="-1 1" ref="-0.05"'],
    ['n1', 'range="-1 1"'],
    ['n2', 'range="-1 1"'],
    ['r1', 'range="-0.5 0.5" ref="1"'],
    ['r2', 'range="-1 1"'],
  ];
  const bodies = joints.map(([n, a], k) => `<body name="${n}_link" pos="${0.05 * k} 0 0"><joint name="${n}" axis="0 1 0" armature="0.002" ${a}/><geom type="sphere" size="0.01" mass="0.01" contype="0" conaffinity="0"/></body>`);
  const file = writeModel(
    dir,
    'passive',
    'couplings.xml',
    `<mujoco model="passive_couplings">
  <compiler angle="radian"/>
  <worldbody>
    <body name="base"><geom type="box" size="0.3 0.05 0.01" mass="1"/>
      ${bodies.join('\n      ')}
    </body>
  </worldbody>
  <equality>
    <joint joint1="a2" joint2="a1" polycoef="0.02 -0.5 0 0 0"/>
    <joint joint1="b1" joint2="b2" polycoef="0.02 2 0 0 0"/>
    <joint joint1="n1" joint2="n2"/>
    <joint joint1="r1" joint2="r2"/>
  </equality>
  <actuator>
    ${['a1', 'b1', 'r1', 'r2'].map((n) => `<motor joint="${n}" ctrlrange="-10 10"/>`).join('\n    ')}
  </actuator>
</mujoco>
`,
  );
  return {
    file,
    mimics: [
      { follower: 'a2', leader: 'a1', multiplier: -0.5, offset: 0.07 },
      { follower: 'b2', leader: 'b1', multiplier: 0.5, offset: -0.11 },
      { follower: 'r1', leader: 'r2', multiplier: 1, offset: 1 },
    ],
  };
}
