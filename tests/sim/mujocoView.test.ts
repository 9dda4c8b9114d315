import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot, createMujocoShippedRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { mujocoViewRobot, quatToRpy } from '../../sim/mujoco/mujocoView.ts';
import { robotModel } from '../../sim/robots/index.ts';
import { writeMjcfShapes } from '../helpers/mjcfShapes.ts';

/** Issue 20: the viewer draws a MuJoCo robot's bodies (an MJCF's geoms, or the URDF's visuals) posed from MuJoCo. */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { file, TET } = writeMjcfShapes(dir);

/** Rotation matrix (row-major) of rpy with R = Rz(y)·Ry(p)·Rx(r). */
function rpyMatrix([r, p, y]: readonly number[]): number[] {
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(y), Math.sin(y)];
  return [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, -sp, cp * sr, cp * cr];
}
const apply = (m: number[], v: readonly number[], t: readonly number[]) => [0, 1, 2].map((i) => m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2] + t[i]);

describe('mujocoViewRobot: what the viewer draws for a MuJoCo robot', () => {
  it('an MJCF: a link per body, its geoms as box, capsule and mesh at their places; collision-only geoms and the floor not drawn', async () => {
    const robot = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 5, kd: 0.1 }) });
    const view = mujocoViewRobot(robot);
    expect(view.model.links.map((l) => l.name)).toEqual(['base', 'arm', 'tip']);
    const [base, arm, tip] = view.model.links;
    // The box (MuJoCo: half sizes) and not the group-3 sphere.
    expect(base.visuals).toHaveLength(1);
    expect(base.visuals[0].geometry).toEqual({ kind: 'box', size: [0.2, 0.1, 0.04] });
    expect(base.visuals[0].origin.xyz.map((x) => +x.toFixed(9))).toEqual([0, 0, 0.01]);
    expect(base.visuals[0].color).toEqual([0, 0, 1, 1]);
    // The capsule from 0 to 0.2 m along x: centred at 0.1, its z axis turned onto x, its material's colour.
    expect(arm.visuals).toHaveLength(1);
    const cap = arm.visuals[0];
    expect(cap.geometry).toMatchObject({ kind: 'capsule', radius: 0.02 });
    expect((cap.geometry as { length: number }).length).toBeCloseTo(0.2, 9);
    expect(cap.origin.xyz[0]).toBeCloseTo(0.1, 9);
    const axis = apply(rpyMatrix(cap.origin.rpy), [0, 0, 1], [0, 0, 0]);
    expect(Math.abs(axis[0])).toBeCloseTo(1, 9);
    expect(cap.color).toEqual([1, 0, 0, 1]);
    // The mesh: its compiled vertices, placed by the geom's pose, are the vertices the MJCF gave (body frame).
    expect(tip.visuals).toHaveLength(1);
    const m = tip.visuals[0];
    expect(m.geometry.kind).toBe('trimesh');
    const g = m.geometry as { readonly vertices: readonly number[]; readonly faces: readonly number[] };
    expect(g.vertices).toHaveLength(3 * TET.length);
    expect(g.faces.length % 3).toBe(0);
    expect(g.faces.length).toBeGreaterThanOrEqual(12); // a closed tetrahedron: 4 triangles
    expect(Math.max(...g.faces)).toBe(TET.length - 1);
    const R = rpyMatrix(m.origin.rpy);
    const placed = [0, 1, 2, 3].map((k) => apply(R, g.vertices.slice(3 * k, 3 * k + 3), m.origin.xyz));
    for (const v of TET) expect(Math.min(...placed.map((p) => Math.hypot(p[0] - v[0], p[1] - v[1], p[2] - v[2])))).toBeLessThan(1e-4);
    robot.dispose();
  });

  it('after stepping, the link poses the viewer reads are MuJoCo\'s xpos / xquat, and the robot has moved', async () => {
    const robot = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 5, kd: 0.1 }) });
    const view = mujocoViewRobot(robot);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    view.linkPose('tip', pos, quat);
    const before = Array.from(pos);
    for (let k = 0; k < 50; k++) {
      robot.command({ mode: 'effort', target: new Float64Array([1]) });
      robot.step(0.02);
    }
    const xpos = robot.data.xpos as Float64Array, xquat = robot.data.xquat as Float64Array;
    view.model.links.forEach((l, i) => {
      const b = i + 1; // body 0 is the world
      view.linkPose(l.name, pos, quat);
      expect(Array.from(pos)).toEqual(Array.from(xpos.subarray(3 * b, 3 * b + 3)));
      expect(Array.from(quat)).toEqual([xquat[4 * b + 1], xquat[4 * b + 2], xquat[4 * b + 3], xquat[4 * b]]);
    });
    view.linkPose('tip', pos, quat);
    expect(Math.hypot(pos[0] - before[0], pos[1] - before[1], pos[2] - before[2])).toBeGreaterThan(0.01);
    // A name MuJoCo has no body for: the origin, not garbage.
    view.linkPose('nope', pos, quat);
    expect([...pos, ...quat]).toEqual([0, 0, 0, 0, 0, 0, 1]);
    robot.dispose();
  });

  it('unnamed bodies are links of their own (body<id>), each posed from its body: MuJoCo\'s binding named every one "emsc"', async () => {
    mkdirSync(join(dir, 'unnamed'), { recursive: true });
    const f = join(dir, 'unnamed', 'unnamed.xml');
    writeFileSync(
      f,
      `<mujoco model="unnamed"><worldbody><body name="base"><geom type="box" size="0.1 0.1 0.1"/>
        <body pos="0.3 0 0"><joint name="a" axis="0 0 1"/><geom type="sphere" size="0.05"/></body>
        <body pos="-0.3 0 0"><joint name="b" axis="0 0 1"/><geom type="sphere" size="0.05"/></body>
      </body></worldbody></mujoco>`,
    );
    const robot = await createMujocoMjcfRobot(f, { physicsDt: 0.002 });
    const view = mujocoViewRobot(robot);
    expect(view.model.links.map((l) => l.name)).toEqual(['base', 'body2', 'body3']);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    view.linkPose('body2', pos, quat);
    expect(pos[0]).toBeCloseTo(0.3, 9);
    view.linkPose('body3', pos, quat);
    expect(pos[0]).toBeCloseTo(-0.3, 9);
    robot.dispose();
  });

  it('a shipped URDF robot in MuJoCo: the URDF\'s visuals, each link posed from its MuJoCo body (the floating base too)', async () => {
    const robot = await createMujocoShippedRobot('humanoid', { physicsDt: 0.002 });
    const urdf = robotModel('humanoid');
    const view = mujocoViewRobot(robot, urdf);
    expect(view.model).toBe(urdf);
    const pos = new Float64Array(3), quat = new Float64Array(4);
    view.linkPose(urdf.root, pos, quat);
    const o = robot.observe();
    expect(Array.from(pos).map((x) => +x.toFixed(5))).toEqual(Array.from(o.base!.position, (x) => +x.toFixed(5)));
    expect(pos[2]).toBeGreaterThan(0.3); // standing, not at the origin
    robot.dispose();
  });

  it('quatToRpy inverts R = Rz·Ry·Rx', () => {
    const rpy = [0.3, -0.4, 1.2];
    const [cr, sr, cp, sp, cy, sy] = rpy.flatMap((a) => [Math.cos(a / 2), Math.sin(a / 2)]);
    // q = qz(y)·qy(p)·qx(r)
    const w = cy * cp * cr + sy * sp * sr, x = cy * cp * sr - sy * sp * cr, y = cy * sp * cr + sy * cp * sr, z = sy * cp * cr - cy * sp * sr;
    quatToRpy(w, x, y, z).forEach((a, i) => expect(a).toBeCloseTo(rpy[i], 12));
  });
});
