import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createUrdfSimRobot } from '../../sim/describeRobot.ts';
import { createMujocoUrdfRobot, type MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import type { JointCommand, SimulatedRobot } from '../../src/core/robot.ts';
import { writeSaturationWrist } from '../helpers/saturation.ts';

/**
 * MuJoCo's PD law against cannon-es's on light links (sim/mujoco/MujocoActuators.ts), 200 Hz,
 * implicit PD: the effort it reports.
 */

const HZ = 200;
const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-saturation-'));
const wristFile = writeSaturationWrist(dir);
const robots: MujocoRobot[] = [];
afterAll(() => robots.forEach((r) => r.dispose()));

async function mujoco(file: string): Promise<MujocoRobot> {
  const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / HZ });
  robots.push(r);
  return r;
}
const cannon = (file: string) => createUrdfSimRobot(file, { pd: 'implicit', physicsDt: 1 / HZ });
const byName = (robot: SimulatedRobot, values: Record<string, number>, rest = 0) => Float64Array.from(robot.spec.joints, (j) => values[j.name] ?? rest);

describe('MuJoCo: the effort reported', () => {
  it('is what the implicit step applied (the law at the new velocity), as cannon-es reports: a light wrist stepped 0.1 rad at kp 100 reports 0.0103 N·m, not the 10 its law asks at rest', async () => {
    const efforts: number[][] = [];
    for (const robot of [await mujoco(wristFile), cannon(wristFile)]) {
      const w = robot.spec.joints.findIndex((j) => j.name === 'wrist');
      const cmd: JointCommand = { mode: 'position', target: byName(robot, { wrist: 0.1 }), kp: byName(robot, { boom: 0 }, 100), kd: byName(robot, { boom: 0 }, 2.5) };
      const e: number[] = [];
      for (let k = 0; k < 4; k++) {
        robot.command(cmd);
        robot.step(1 / HZ);
        e.push(robot.observe().jointEffort[w]);
      }
      efforts.push(e);
    }
    const [mj, ce] = efforts;
    expect(mj[0]).toBeCloseTo(0.0103, 4);
    for (let k = 0; k < 4; k++) expect(Math.abs(mj[k] - ce[k])).toBeLessThan(1e-4);
  });
});
