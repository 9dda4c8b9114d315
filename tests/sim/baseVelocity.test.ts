import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMujocoUrdfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';

/**
 * A base whose centre of mass is off its link origin, in two parts: its own inertial origin
 * (0.1, 0, 0), 2 kg, and a 1 kg payload fixed at (0, 0.2, 0). The base body's centre of mass is
 * their mass-weighted mean, (0.2/3, 0.2/3, 0) in the base frame. An arm turned by its motor in zero
 * gravity spins the base by reaction, so the base's origin and centre of mass move differently.
 */
const URDF = `<?xml version="1.0"?>
<robot name="offset_base">
  <link name="base">
    <inertial><origin xyz="0.1 0 0"/><mass value="2"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision>
  </link>
  <link name="payload">
    <inertial><mass value="1"/><inertia ixx="0.005" iyy="0.005" izz="0.005" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="payload_mount" type="fixed"><parent link="base"/><child link="payload"/><origin xyz="0 0.2 0"/></joint>
  <link name="arm_link">
    <inertial><origin xyz="0.3 0 0"/><mass value="1"/><inertia ixx="0.005" iyy="0.005" izz="0.005" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="arm" type="revolute"><parent link="base"/><child link="arm_link"/><origin xyz="0 0 0.1" rpy="0.3 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="10" velocity="20"/></joint>
</robot>`;

const COM_IN_BASE = [0.2 / 3, 0.2 / 3, 0];

function rotate(q: ArrayLike<number>, v: number[]): number[] {
  const [x, y, z, w] = [q[0], q[1], q[2], q[3]];
  const tx = 2 * (y * v[2] - z * v[1]), ty = 2 * (z * v[0] - x * v[2]), tz = 2 * (x * v[1] - y * v[0]);
  return [v[0] + w * tx + (y * tz - z * ty), v[1] + w * ty + (z * tx - x * tz), v[2] + w * tz + (x * ty - y * tx)];
}

function spin(r: SimulatedRobot): void {
  const target = new Float64Array([2]);
  for (let k = 0; k < 100; k++) {
    r.command({ mode: 'effort', target });
    r.step(0.002);
  }
}

/** Both engines: comPosition = origin + R·r and comLinearVelocity = origin velocity + ω × R·r, r the base body's centre of mass in the base frame. */
function expectRigidBodyRelation(r: SimulatedRobot): void {
  expect(r.spec.sensors.baseCom).toBe(true);
  const b = r.observe().base!;
  const w = Array.from(b.angularVelocity);
  expect(Math.hypot(...w)).toBeGreaterThan(0.5); // the base does spin
  const rw = rotate(b.orientation, COM_IN_BASE);
  const cross = [w[1] * rw[2] - w[2] * rw[1], w[2] * rw[0] - w[0] * rw[2], w[0] * rw[1] - w[1] * rw[0]];
  const want = [0, 1, 2].map((i) => b.linearVelocity[i] + cross[i]);
  // the centre of mass sits at origin + R·r
  for (let i = 0; i < 3; i++) expect(b.comPosition![i]).toBeCloseTo(b.position[i] + rw[i], 4);
  const com = Array.from(b.comLinearVelocity!);
  // the two points do move differently (by more than 0.03 m/s), and the relation holds to float32
  expect(Math.hypot(...cross)).toBeGreaterThan(0.03);
  for (let i = 0; i < 3; i++) expect(com[i]).toBeCloseTo(want[i], 4);
}

describe('base centre-of-mass velocity (base_lin_vel with point "com")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-basevel-'));
  const file = join(dir, 'offset_base.urdf');
  writeFileSync(file, URDF);
  const options = { gravity: 0, ground: false, basePosition: [0, 0, 1] as [number, number, number], physicsDt: 0.002 };

  it('cannon-es: the root body with its fixed links, at their centre of mass', () => {
    const r = new SimRobot(loadUrdf(file), options);
    spin(r);
    expectRigidBodyRelation(r);
  });

  it('MuJoCo: the same relation, with the same centre of mass', async () => {
    const r = await createMujocoUrdfRobot(file, loadUrdf(file), options);
    spin(r);
    expectRigidBodyRelation(r);
    r.dispose();
  });
});
