/**
 * R21 F4: `manifest from-isaaclab --joints` given the URDF's joints in file order (a user with only
 * the vendor's files pastes that; Isaac Lab's articulation order is PhysX's breadth-first one) passed
 * every check, and the policy then drives the wrong joints. `inspect --urdf` (urdfTarget) now warns,
 * giving the breadth-first order, and says nothing for the right order or another importer's manifest.
 * The robot is the vendor humanoid fixture: SDK order = file order != Isaac Lab order, links shuffled
 * in the file, frame links on fixed joints, binary STL meshes with "solid" headers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUrdf } from '../../../sim/index.ts';
import { urdfTarget } from '../../../src/cli/commands/inspect.ts';
import { manifest } from '../../helpers/fakes.ts';
import { writeVendorHumanoid } from '../../helpers/vendorHumanoid.ts';
import { VENDOR_MODEL_JOINTS, VENDOR_SDK_JOINTS } from '../../helpers/vendorJoints.ts';

const dir = mkdtempSync(join(tmpdir(), 'axon-isaaclab-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const robot = writeVendorHumanoid(dir);
const model = loadUrdf(robot.urdf, { collisionMeshes: 'optional' });
const fromIsaacLab = { command: 'axon manifest from-isaaclab logs/rsl_rl/g1/params/env.yaml' };
const warningsFor = (joints: readonly string[], provenance: { command: string } = fromIsaacLab) =>
  urdfTarget(robot.urdf, model, manifest({ joints: [...joints], observation: { terms: [{ term: 'joint_pos_rel' }] }, action: { type: 'joint_position', scale: 0.25 }, provenance }), 200).warnings.filter((w) => w.includes('ISAACLAB_JOINT_ORDER'));

describe('inspect --urdf: a from-isaaclab manifest in the URDF file order', () => {
  it("warns, giving Isaac Lab's breadth-first order, and says nothing for that order or another importer's manifest", () => {
    expect(robot.sdkJoints).toEqual(VENDOR_SDK_JOINTS);
    const w = warningsFor(VENDOR_SDK_JOINTS);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("ISAACLAB_JOINT_ORDER: manifest.json#/joints: are in the URDF's file order, and the manifest is from an Isaac Lab env.yaml (axon manifest from-isaaclab logs/rsl_rl/g1/params/env.yaml)");
    expect(w[0]).toContain(`breadth-first one, likely ${VENDOR_MODEL_JOINTS.join(', ')}; check it with env.scene["robot"].joint_names`);
    // Nothing for Isaac Lab's order, or for a manifest from another importer.
    expect(warningsFor(VENDOR_MODEL_JOINTS)).toEqual([]);
    expect(warningsFor(VENDOR_SDK_JOINTS, { command: 'axon manifest from-deploy deploy.yaml' })).toEqual([]);
  });
});
