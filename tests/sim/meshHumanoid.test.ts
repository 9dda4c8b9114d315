import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { clearMeshCache, createUrdfSimRobot, loadUrdf, HUMANOID_LEG_JOINTS } from '../../sim/index.ts';
import { readStl } from '../../sim/mesh/readStl.ts';
import { generateMeshHumanoid } from '../helpers/meshHumanoid.ts';
import { standMeshHumanoid } from '../bench/meshHumanoid.ts';

const h = generateMeshHumanoid();
afterAll(() => rmSync(h.dir, { recursive: true, force: true }));

describe('mesh humanoid (generated from sim/robots/humanoid.urdf, issue 10)', () => {
  it('is ~30 joints and 30+ binary STL meshes referenced by package:// paths', () => {
    const m = loadUrdf(h.urdfFile, { packagePaths: [h.dir] });
    const shapes = m.links.flatMap((l) => [...l.visuals, ...l.collisions]);
    expect(shapes.every((s) => s.geometry.kind === 'mesh' && s.geometry.filename.startsWith('package://mesh_humanoid_description/meshes/'))).toBe(true);
    expect(m.links.every((l) => l.collisions.length === 1 && l.visuals.length === 1)).toBe(true);
    expect(h.meshFiles.length).toBeGreaterThanOrEqual(30);
    // A box is 12 triangles; the head sphere is tessellated.
    const pelvis = readStl(readFileSync(h.meshFiles[0]), 'pelvis.stl');
    expect(pelvis.format).toBe('stl-binary');
    expect(pelvis.indices.length / 3).toBe(12);
    // Every added light link carries at least a motor's armature (docs/simulation.md).
    const added = m.links.filter((l) => /^(waist|neck)_|_shoulder_(pitch|roll)_link$|_wrist_|_hand$/.test(l.name));
    expect(added).toHaveLength(13);
    for (const l of added) expect(Math.min(l.inertial!.ixx, l.inertial!.iyy, l.inertial!.izz)).toBeGreaterThanOrEqual(0.01);
  });

  it('loads with >= 30 actuated joints and one hull per mesh, and stands 2 s on PD at its default pose', () => {
    clearMeshCache();
    const r = createUrdfSimRobot(h.urdfFile, { packagePaths: [h.dir], jointDefaults: h.jointDefaults, ...h.options });
    const names = r.spec.joints.map((j) => j.name);
    expect(names.length).toBeGreaterThanOrEqual(30);
    expect(names).toEqual(expect.arrayContaining([...HUMANOID_LEG_JOINTS, 'waist_yaw', 'neck_pitch', 'left_shoulder_roll', 'right_wrist_roll']));
    expect(r.meshReports.length).toBeGreaterThanOrEqual(30);
    expect(r.meshReports.every((x) => x.format === 'stl-binary' && x.hullVertices >= 8 && !x.cached)).toBe(true);
    const knee = r.spec.joints[r.jointIndex('left_knee')];
    expect([knee.defaultPosition, knee.kp, knee.kd]).toEqual([0.6, 250, 5]);
    const wrist = r.spec.joints[r.jointIndex('left_wrist_pitch')];
    expect([wrist.defaultPosition, wrist.kp, wrist.kd]).toEqual([0, 40, 1]);

    const s = standMeshHumanoid(r, 2);
    expect(s.finite).toBe(true);
    expect(s.pelvisStart).toBeGreaterThan(0.7); // spawned on the ground in the bent-knee pose
    expect(Math.abs(s.pelvisEnd - s.pelvisStart)).toBeLessThan(0.1);
    expect(s.maxPivotError).toBeLessThan(0.005); // m; measured 0.37 mm
    expect(s.maxAxisError).toBeLessThan(0.005); // rad; measured 0.51 mrad
    const o = r.observe();
    const weight = h.totalMass * 9.81;
    expect(o.contacts![0] + o.contacts![1]).toBeGreaterThan(0.9 * weight); // standing on its feet
    expect(r.badEffortCount).toBe(0);
  });
});
