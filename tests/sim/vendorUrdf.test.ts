import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearMeshCache, createUrdfSimRobot, loadUrdf, parseUrdf, UrdfError } from '../../sim/index.ts';
import { readMeshFile } from '../../sim/mesh/meshCollision.ts';
import { writeVendorHumanoid, type VendorHumanoid } from '../helpers/vendorHumanoid.ts';
import { writeVendorArm, type VendorArm } from '../helpers/vendorArm.ts';
import { VENDOR_SDK_JOINTS } from '../helpers/vendorJoints.ts';

/** Issue 16: robots as vendors ship them (tests/helpers/vendorHumanoid.ts, vendorArm.ts). */
let humanoid: VendorHumanoid;
let arm: VendorArm;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-vendor-'));
  humanoid = writeVendorHumanoid(dir);
  arm = writeVendorArm(dir);
});
afterEach(() => vi.restoreAllMocks());

describe('vendor humanoid (G1-like, 29 DoF)', () => {
  it('parses: floating root pelvis, links listed in another order than the tree, frame links merged as massless', () => {
    const m = loadUrdf(humanoid.urdf);
    expect(m.root).toBe('pelvis');
    expect(m.links.map((l) => l.name)).toEqual(humanoid.linkOrder);
    expect(m.links[0].name).not.toBe('pelvis');
    expect(m.joints.filter((j) => j.type !== 'fixed').map((j) => j.name)).toEqual([...VENDOR_SDK_JOINTS]);
    expect(m.linkByName.get('logo_link')!.inertial).toBeUndefined(); // mass 0, zero tensor
    expect(m.notes.filter((n) => n.code === 'URDF_FRAME_LINK').map((n) => n.where)).toEqual([`${humanoid.urdf}: <link name="logo_link">`]);
    expect(m.notes.find((n) => n.code === 'URDF_FRAME_LINK')!.message).toMatch(/on <joint name="logo_joint"> \(fixed\): merged into its parent as a massless frame/);
    // Light links as the vendor gives them (not raised by the import).
    expect(m.linkByName.get('left_ankle_pitch_link')!.inertial!.ixx).toBe(8.4e-6);
    expect(m.linkByName.get('right_wrist_roll_link')!.inertial!.ixx).toBe(5.4e-6);
  });

  it('builds a SimRobot with no engine warnings: 29 joints in tree order (= SDK order here), the mass written, frames named', () => {
    clearMeshCache(); // fit every hull now, not from another test's cache
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const r = createUrdfSimRobot(humanoid.urdf);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    // Spec order is the tree order (depth-first from the root, children in file order), never file
    // order; for a vendor file listing legs, waist, arms from the pelvis, it is the SDK order.
    const m = loadUrdf(humanoid.urdf);
    const tree = m.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.name);
    expect(r.spec.joints.map((j) => j.name)).toEqual(tree);
    expect(r.spec.joints.map((j) => j.name)).toEqual([...VENDOR_SDK_JOINTS]);
    const total = m.links.reduce((s, l) => s + r.linkMass(l.name), 0);
    expect(Math.abs(total - humanoid.mass)).toBeLessThan(0.01);
    expect(humanoid.mass).toBeCloseTo(33, 0);
    expect(r.bodyLinkNames()[0]).toBe('pelvis'); // floating: the root is a moving body
    expect(r.frameNames().sort()).toEqual([...humanoid.frameLinks].sort());
    const limits = Object.fromEntries(r.spec.joints.map((j) => [j.name, [j.lower, j.upper, j.effortLimit, j.velocityLimit]]));
    expect(limits.left_knee_joint).toEqual([-0.087267, 2.8798, 139, 20]);
    expect(limits.right_ankle_roll_joint).toEqual([-0.2618, 0.2618, 50, 37]);
    expect(limits.left_wrist_yaw_joint).toEqual([-1.61443, 1.61443, 5, 22]);
    expect(r.meshReports.length).toBe(9);
    expect(humanoid.pelvisHeight).toBeGreaterThan(0.77);
    expect(humanoid.pelvisHeight).toBeLessThan(0.81);
  });

  it('reads its binary STLs whose header begins with "solid" as binary, with the triangle count written', () => {
    for (const file of humanoid.meshFiles) {
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('solid');
      const mesh = readMeshFile(file, 'test');
      expect(mesh.format).toBe('stl-binary');
      expect(mesh.indices.length / 3).toBe(humanoid.meshTriangles[file]);
    }
    const sole = humanoid.meshFiles.find((f) => f.endsWith('left_foot_sole.STL'))!;
    expect(readMeshFile(sole, 'test').indices.length / 3).toBe(12);
  });
});

describe('vendor arm (SO-101-like, Onshape export)', () => {
  it('loads with fixedBase: the 1e-9 kg tool frame with a zero tensor is a massless frame, not URDF_INERTIA', () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const r = createUrdfSimRobot(arm.urdf, { fixedBase: true });
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(r.spec.joints.map((j) => j.name)).toEqual([...arm.joints]);
    expect(r.frameNames()).toEqual([arm.toolFrame]);
    expect(r.linkMass(arm.toolFrame)).toBe(0);
    expect(r.notes.find((n) => n.code === 'URDF_FRAME_LINK')!.message).toMatch(/mass 1e-9 kg, inertia \[0 0 0; 0 0 0; 0 0 0\] on <joint name="gripper_frame_joint"> \(fixed\): merged into its parent as a massless frame/);
    const m = loadUrdf(arm.urdf);
    expect(m.root).toBe('base_link');
    expect(Math.abs(m.links.reduce((s, l) => s + r.linkMass(l.name), 0) - arm.mass)).toBeLessThan(0.01);
  });

  it('the same frame on a moving joint is still URDF_INERTIA, naming the link and the joint', () => {
    const text = readFileSync(arm.urdf, 'utf8').replace(
      /<joint name="gripper_frame_joint" type="fixed">/,
      '<joint name="gripper_frame_joint" type="revolute"><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/>',
    );
    const file = join(mkdtempSync(join(tmpdir(), 'axon-vendor-')), 'moving_frame.urdf');
    writeFileSync(file, text);
    let err: UrdfError | undefined;
    try {
      parseUrdf(text, { source: file });
    } catch (e) {
      err = e as UrdfError;
    }
    expect(err).toBeInstanceOf(UrdfError);
    expect(err!.code).toBe('URDF_INERTIA');
    expect(err!.where).toBe(`${file}: <link name="gripper_frame_link"> <inertial> <inertia>`);
    expect(err!.message).toMatch(/not positive definite on a link that moves \(child of <joint name="gripper_frame_joint">, revolute\)/);
  });
});
