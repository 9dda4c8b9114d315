import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMujocoUrdfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { StandTask } from '../../sim/tasks/stand.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';

/**
 * A base link whose origin lies below its geometry, as onshape-to-robot exports every link (origin
 * at the assembly origin, by the feet): on the ground, the origin is 0.1 m below it. The box rests
 * on the ground and does not move, so it has not fallen.
 */
const LOW_ORIGIN = `<robot name="low_origin">
  <link name="base">
    <inertial><origin xyz="0 0 0.15"/><mass value="2"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial>
    <collision><origin xyz="0 0 0.15"/><geometry><box size="0.3 0.3 0.1"/></geometry></collision>
  </link>
  <link name="arm">
    <inertial><origin xyz="0 0 0.05"/><mass value="0.2"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial>
  </link>
  <joint name="j" type="revolute"><origin xyz="0 0 0.2"/><parent link="base"/><child link="arm"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="5" velocity="5"/></joint>
</robot>`;

function stand(r: SimulatedRobot): Record<string, unknown> {
  const task = new StandTask();
  task.reset(r.observe());
  const hold = new Float64Array([0]);
  for (let k = 0; k < 100; k++) {
    r.command({ mode: 'position', target: hold });
    r.step(0.01);
    task.step(r.observe(), 0.01);
  }
  return task.metrics();
}

describe('the stand task on a base whose origin is below the ground', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-stand-'));
  const file = join(dir, 'low_origin.urdf');
  writeFileSync(file, LOW_ORIGIN);
  const options = { physicsDt: 0.005, spawnOnGround: true, jointDefaults: { j: { kp: 5, kd: 0.5 } } };

  for (const engine of ['cannon-es', 'MuJoCo'] as const) {
    it(`${engine}: measures the centre of mass's height, so a box at rest has not fallen`, async () => {
      const r = engine === 'cannon-es' ? new SimRobot(loadUrdf(file), options) : await createMujocoUrdfRobot(file, loadUrdf(file), options);
      expect(r.observe().base!.position[2]).toBeLessThan(-0.05); // the link origin is under the ground
      const m = stand(r);
      expect(m.fell).toBe(false);
      // the base body's centre of mass (the arm moves, so it is not part of it): 0.15 above the origin, at −0.1
      expect(m.base_height_start as number).toBeCloseTo(0.05, 3);
      expect(m.tilt_max_rad as number).toBeLessThan(0.01);
      await r.close();
    });
  }
});

/**
 * A base_link whose origin is on its underside and whose <inertial> has no origin (exporters leave
 * it at 0): the centre of mass starts at ground level, where half the start height is ~0 and
 * contact settling of micrometres read as a fall at t = 0.04 s.
 */
const FLOOR_COM = `<robot name="floor_com">
  <link name="base_link"><inertial><mass value="2"/><inertia ixx="0.02" ixy="0" ixz="0" iyy="0.02" iyz="0" izz="0.02"/></inertial>
    <collision><origin xyz="0 0 0.05"/><geometry><box size="0.3 0.3 0.1"/></geometry></collision></link>
  <link name="l1"><inertial><origin xyz="0 0 0.15"/><mass value="0.2"/><inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial></link>
  <joint name="j" type="revolute"><origin xyz="0 0 0.1"/><parent link="base_link"/><child link="l1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="5" velocity="2"/></joint>
</robot>`;

describe('the stand task needs a real drop: a base whose centre of mass starts at ground level has not fallen', () => {
  const obs = (z: number, q: [number, number, number, number] = [0, 0, 0, 1]) =>
    ({ base: { position: new Float32Array([0, 0, z]), orientation: new Float32Array(q), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3) } }) as never;
  const fell = (start: number, z: number, q?: [number, number, number, number]) => {
    const t = new StandTask();
    t.reset(obs(start));
    t.step(obs(z, q), 0.02);
    return t.metrics().fell;
  };

  it('falls below min(half the start, start − 5 cm), or on tilt', () => {
    expect(fell(0, -0.0002)).toBe(false);
    expect(fell(0, -0.049)).toBe(false);
    expect(fell(0, -0.051)).toBe(true);
    expect(fell(0.08, 0.035)).toBe(false);
    expect(fell(0.08, 0.025)).toBe(true);
    expect(fell(1, 0.51)).toBe(false);
    expect(fell(1, 0.49)).toBe(true);
    expect(fell(0, 0, [Math.sin(0.6), 0, 0, Math.cos(0.6)])).toBe(true); // 1.2 rad of tilt
  });

  const dir = mkdtempSync(join(tmpdir(), 'axon-stand-floor-'));
  const file = join(dir, 'floor_com.urdf');
  writeFileSync(file, FLOOR_COM);
  const options = { physicsDt: 0.005, spawnOnGround: true, jointDefaults: { j: { kp: 5, kd: 0.5 } } };
  for (const engine of ['cannon-es', 'MuJoCo'] as const) {
    it(`${engine}: a box at rest with its centre of mass at z = 0 has not fallen`, async () => {
      const r = engine === 'cannon-es' ? new SimRobot(loadUrdf(file), options) : await createMujocoUrdfRobot(file, loadUrdf(file), options);
      const m = stand(r);
      expect(Math.abs(m.base_height_start as number)).toBeLessThan(1e-3);
      expect(m.fell).toBe(false);
      expect(m.tilt_max_rad as number).toBeLessThan(0.01);
      await r.close();
    });
  }
});
