/** The MJCF robot folder of tests/sim/mujocoMjcf.test.ts, written by the test (no vendor file). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An MJCF model folder as robot makers ship them (issue 20, `axon sim --mjcf`): the model file
 * pulls its body and actuators in through `<include file>`s, the base is a binary STL mesh under
 * assets/ found through `<compiler meshdir>`, two joint actuators (a `<position>` with kp/kv and a
 * force range, a geared `<motor>` with a control range), sensors at a site, and a "home" keyframe.
 * A floating base (a 0.4 × 0.4 × 0.1 m plate, 4 kg) carrying a two-joint arm (0.5 kg).
 */
export function writeMjcfRobot(dir: string): { file: string; joints: string[]; home: Record<string, number> } {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  mkdirSync(join(dir, 'parts'), { recursive: true });
  writeFileSync(join(dir, 'assets', 'base.stl'), boxStl(0.2, 0.2, 0.05));
  writeFileSync(
    join(dir, 'mjbot.xml'),
    `<mujoco model="mjbot">
  <compiler angle="radian" meshdir="assets"/>
  <option timestep="0.005"/>
  <default><joint damping="0.5" armature="0.01"/></default>
  <asset><mesh name="base_mesh" file="base.stl"/></asset>
  <include file="parts/body.xml"/>
  <include file="parts/actuators.xml"/>
  <sensor>
    <jointpos name="shoulder_pos" joint="shoulder"/>
    <gyro name="imu_gyro" site="imu"/>
    <accelerometer name="imu_acc" site="imu"/>
  </sensor>
  <keyframe><key name="home" qpos="0 0 0.06 1 0 0 0 0.3 -0.6"/></keyframe>
</mujoco>
`,
  );
  writeFileSync(
    join(dir, 'parts', 'body.xml'),
    `<mujoco>
  <worldbody>
    <light pos="0 0 2"/>
    <body name="base" pos="0 0 0.06">
      <freejoint name="root"/>
      <geom type="mesh" mesh="base_mesh" mass="4"/>
      <site name="imu" pos="0 0 0.02"/>
      <body name="upper" pos="0 0 0.05">
        <joint name="shoulder" axis="0 1 0" range="-1.5 1.5"/>
        <geom type="capsule" fromto="0 0 0 0 0 0.2" size="0.02" mass="0.3"/>
        <body name="lower" pos="0 0 0.2">
          <joint name="elbow" axis="0 1 0" range="-2 2"/>
          <geom type="capsule" fromto="0 0 0 0.15 0 0" size="0.02" mass="0.2"/>
        </body>
      </body>
    </body>
  </worldbody>
</mujoco>
`,
  );
  writeFileSync(
    join(dir, 'parts', 'actuators.xml'),
    `<mujoco>
  <actuator>
    <position name="shoulder_act" joint="shoulder" kp="40" kv="2" forcelimited="true" forcerange="-15 15"/>
    <motor name="elbow_act" joint="elbow" gear="2" ctrllimited="true" ctrlrange="-5 5"/>
  </actuator>
</mujoco>
`,
  );
  return { file: join(dir, 'mjbot.xml'), joints: ['shoulder', 'elbow'], home: { shoulder: 0.3, elbow: -0.6 } };
}

/** A binary STL of a box centred on the origin with half sizes hx, hy, hz (m): 12 outward triangles. */
function boxStl(hx: number, hy: number, hz: number): Buffer {
  const v = (i: number): [number, number, number] => [i & 1 ? hx : -hx, i & 2 ? hy : -hy, i & 4 ? hz : -hz];
  // Faces as corner indices (counter-clockwise seen from outside).
  const quads = [
    [0, 2, 3, 1], // -z
    [4, 5, 7, 6], // +z
    [0, 1, 5, 4], // -y
    [2, 6, 7, 3], // +y
    [0, 4, 6, 2], // -x
    [1, 3, 7, 5], // +x
  ];
  const tris: number[][] = [];
  for (const [a, b, c, d] of quads) tris.push([a, b, c], [a, c, d]);
  const buf = Buffer.alloc(84 + 50 * tris.length);
  buf.write('axon test box', 0, 'ascii');
  buf.writeUInt32LE(tris.length, 80);
  tris.forEach((t, k) => {
    const o = 84 + 50 * k;
    const [p, q, r] = t.map(v);
    const u = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
    const w = [r[0] - p[0], r[1] - p[1], r[2] - p[2]];
    const n = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
    const len = Math.hypot(n[0], n[1], n[2]) || 1;
    [n[0] / len, n[1] / len, n[2] / len, ...p, ...q, ...r].forEach((x, i) => buf.writeFloatLE(x, o + 4 * i));
  });
  return buf;
}
