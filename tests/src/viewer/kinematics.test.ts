/**
 * The page's forward kinematics (src/viewer/page/kinematics.js, run here in Node) against the
 * simulator's: the page poses ghost robots and paths from predicted joint positions, so its link
 * poses must be the ones the simulator would have at those positions.
 */
import { describe, expect, it } from 'vitest';
import { Kinematics, tracedPoints } from '../../../src/viewer/page/kinematics.js';
import { pageKinematics } from '../../../src/viewer/attachViewer.ts';
import { createSimRobot } from '../../../sim/robots/index.ts';
import { SimRobot } from '../../../sim/SimRobot.ts';
import { parseUrdf } from '../../../sim/urdf/parseUrdf.ts';
import { Rng } from '../../../src/core/rng.ts';

/** Three links on joints with full roll-pitch-yaw origins, off-axis axes, a slider and a fixed tool. */
const TWISTED = `<robot name="twisted">
  <link name="base"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><origin xyz="0.1 0.2 0.3" rpy="0.3 -0.5 0.7"/><axis xyz="0 0.6 0.8"/><limit lower="-2" upper="2" effort="5" velocity="3"/></joint>
  <link name="l1"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial><visual><origin xyz="0 0 0.2"/><geometry><box size="0.05 0.05 0.4"/></geometry></visual></link>
  <joint name="j2" type="prismatic"><parent link="l1"/><child link="l2"/><origin xyz="0 0.05 0.4" rpy="-0.9 0.2 1.4"/><axis xyz="1 0 0"/><limit lower="-0.2" upper="0.2" effort="50" velocity="1"/></joint>
  <link name="l2"><inertial><mass value="0.5"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <joint name="tool" type="fixed"><parent link="l2"/><child link="tip"/><origin xyz="0.1 0 0" rpy="1.1 0.4 -0.3"/></joint>
  <link name="tip"/>
</robot>`;

describe('page forward kinematics', () => {
  for (const name of ['cartpole', 'pendulum', 'arm', 'humanoid', 'twisted'])
    it(`matches the simulator's link poses for ${name} at random joint positions`, () => {
      const robot = name === 'twisted' ? new SimRobot(parseUrdf(TWISTED)) : createSimRobot(name);
      const kin = pageKinematics(robot.model, robot.spec)!;
      const links = robot.model.links.map((l) => l.name);
      const fk = new Kinematics(kin, links);
      const rng = new Rng(11);
      const pos = new Float64Array(3), quat = new Float64Array(4), rootPos = new Float64Array(3), rootQuat = new Float64Array(4);
      let worst = 0, worstAngle = 0;
      for (let trial = 0; trial < 5; trial++) {
        const q = robot.spec.joints.map((j) => rng.uniform(Number.isFinite(j.lower) ? j.lower : -3, Number.isFinite(j.upper) ? j.upper : 3));
        // A floating base somewhere, tilted; fixed bases stay where they are.
        const floating = name === 'humanoid';
        const h = rng.uniform(-0.5, 0.5);
        const bq = [Math.sin(h / 2) * 0.6, Math.sin(h / 2) * 0.8, 0, Math.cos(h / 2)];
        robot.showPose(q, floating ? [0.3, -0.2, 1.1] : undefined, floating ? bq : undefined);
        robot.linkPose(robot.model.root, rootPos, rootQuat);
        const world = fk.solve(rootPos, rootQuat, q);
        links.forEach((l, i) => {
          robot.linkPose(l, pos, quat);
          const e = world[i].elements; // column-major: translation in 12..14
          worst = Math.max(worst, Math.hypot(e[12] - pos[0], e[13] - pos[1], e[14] - pos[2]));
          // Compare the rotation: the page's x axis (first column) against the simulator's quaternion's x axis.
          const [x, y, z, w] = quat;
          const ax = [1 - 2 * (y * y + z * z), 2 * (x * y + z * w), 2 * (x * z - y * w)];
          const n = Math.hypot(e[0], e[1], e[2]);
          worstAngle = Math.max(worstAngle, Math.acos(Math.min(1, (ax[0] * e[0] + ax[1] * e[1] + ax[2] * e[2]) / n)));
        });
      }
      expect(worst).toBeLessThan(1e-5); // m
      expect(worstAngle).toBeLessThan(1e-3); // rad
    });

  it('follows the far end of each moving leaf link', () => {
    const tips = (name: string) => {
      const r = createSimRobot(name);
      return tracedPoints(r.model, pageKinematics(r.model, r.spec)!);
    };
    expect(tips('pendulum')).toEqual([{ link: 'pole', point: [0, 0, 1] }]); // the 1 m rod's free end
    expect(tips('cartpole')).toEqual([{ link: 'pole', point: [0, 0, 1] }]);
    expect(tips('arm')).toEqual([{ link: 'ee', point: [0, 0, 0] }]); // the tool frame itself
    expect(tips('humanoid').map((t) => t.link).length).toBeGreaterThanOrEqual(4); // feet, hands, head…
  });
});
