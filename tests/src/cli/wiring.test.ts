import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSimSession } from '../../../src/cli/wiring.ts';
import { createCommand } from '../../../src/core/robot.ts';
import type { ModelManifest } from '../../../src/model/manifest.ts';
import { linearPolicy } from '../../helpers/onnxFixtures.ts';

/** The composition root's set-up of a user's robot (`sim --urdf | --mjcf`) under a policy's manifest. */

const dir = mkdtempSync(join(tmpdir(), 'axon-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A zero policy (action 0: the default pose) for these joints, with this manifest's extra fields. */
function zeroPolicy(joints: string[], over: Partial<ModelManifest> = {}): string {
  const n = joints.length;
  const m: ModelManifest = {
    schema: 'axon.model/1',
    name: 'zero',
    kind: 'policy',
    robot: 'test',
    joints,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
    observation: { terms: [{ term: 'joint_pos_rel' }, { term: 'joint_vel' }] },
    action: { type: 'joint_position', scale: 0.25 },
    ...over,
  };
  const inDim = 2 * n + (m.observation.terms.length - 2) * 3;
  return linearPolicy(m, inDim, n, new Float32Array(n * inDim), new Float32Array(n));
}

describe('--kp/--kd on a user\'s URDF under a manifest with pd', () => {
  it("the commands carry the flags' gains, as the flags' help and robot_setup say (they carried the manifest's)", async () => {
    const file = join(dir, 'arm.urdf');
    writeFileSync(
      file,
      `<robot name="arm">
  <link name="world"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="base"/></joint>
  <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l1"><inertial><mass value="0.3"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0 0 0.2"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="10" velocity="5"/></joint>
  <link name="l2"><inertial><mass value="0.2"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
</robot>`,
    );
    const policy = zeroPolicy(['j1', 'j2'], { pd: { kp: [20, 20], kd: [0.5, 0.5] } });
    const urdf = { file, packagePaths: [], strict: false };
    for (const [flags, kp, kd] of [
      [{}, [20, 20], [0.5, 0.5]],
      [{ kp: 100, kd: 3 }, [100, 100], [3, 3]],
      [{ kd: 3 }, [20, 20], [3, 3]],
    ] as const) {
      const s = await openSimSession({ robot: 'arm', policy, physicsHz: 500, urdf: { ...urdf, ...flags } });
      const cmd = createCommand(s.robot.spec, 'position');
      s.stages().mapper.map(new Float32Array(2), cmd);
      expect([Array.from(cmd.kp!), Array.from(cmd.kd!)]).toEqual([kp, kd]);
      await s.close();
    }
  });
});
