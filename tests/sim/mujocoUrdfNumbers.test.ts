import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoUrdfRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { axon } from '../helpers/cli.ts';
import { buildRefusal } from '../helpers/errors.ts';

/**
 * sim/mujoco/urdfCompiledNumbers.ts: a URDF whose numbers are all finite, so that parseUrdf takes
 * it (with notes), but which MuJoCo's compiler turns into a model that cannot be simulated. A
 * two-link arm as a CAD exporter writes one (XML declaration, comments, a massless base_link the
 * arm is fixed by), with one number changed.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-urdf-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARM = `<?xml version="1.0" encoding="utf-8"?>
<!-- Exported from a CAD assembly: units m, kg, kg·m². -->
<robot name="two_link">
  <link name="base_link"/>
  <joint name="shoulder" type="revolute">
    <parent link="base_link"/>
    <child link="upper_arm"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/>
    <axis xyz="0 1 0"/>
    <limit lower="-1.57" upper="1.57" effort="5" velocity="3"/>
    <dynamics damping="0.05" friction="0.01"/>
  </joint>
  <link name="upper_arm">
    <inertial>
      <origin xyz="0 0 0.15" rpy="0 0 0"/>
      <mass value="0.8"/>
      <inertia ixx="0.0061" ixy="0" ixz="0" iyy="0.0061" iyz="0" izz="0.0004"/>
    </inertial>
    <collision>
      <origin xyz="0 0 0.15" rpy="0 0 0"/>
      <geometry><cylinder radius="0.03" length="0.3"/></geometry>
    </collision>
  </link>
  <joint name="elbow" type="revolute">
    <parent link="upper_arm"/>
    <child link="forearm"/>
    <origin xyz="0 0 0.3" rpy="0 0 0"/>
    <axis xyz="0 1 0"/>
    <limit lower="-2.0" upper="2.0" effort="3" velocity="3"/>
  </joint>
  <link name="forearm">
    <inertial>
      <origin xyz="0 0 0.12" rpy="0 0 0"/>
      <mass value="0.5"/>
      <inertia ixx="0.0024" ixy="0" ixz="0" iyy="0.0024" iyz="0" izz="0.0002"/>
    </inertial>
  </link>
</robot>
`;

/** The arm with `from` replaced by `to` (once; more pairs may follow), written to dir/<name>.urdf. */
function variant(name: string, ...pairs: string[]): string {
  let text = ARM;
  for (let i = 0; i < pairs.length; i += 2) {
    if (!text.includes(pairs[i])) throw new Error(`${pairs[i]} not in the arm`);
    text = text.replace(pairs[i], pairs[i + 1]);
  }
  const file = join(dir, `${name}.urdf`);
  writeFileSync(file, text);
  return file;
}

/** The AxonError building the MuJoCo robot of `file` throws (as axon sim --urdf --physics mujoco builds it). */
function refusal(file: string): Promise<AxonError> {
  return buildRefusal(() => createMujocoUrdfRobot(file, readUrdf(file), {}));
}

const EXPECTED = "(expected numbers MuJoCo compiles to finite values, in the URDF's units (m, kg, kg·m², rad))";

describe('a URDF whose finite numbers MuJoCo compiles into ones it cannot simulate', () => {
  it('the arm as written builds', async () => {
    const file = variant('as-written', '<robot name="two_link">', '<robot name="two_link">');
    const r = await createMujocoUrdfRobot(file, readUrdf(file), {});
    expect(r.spec.joints.map((j) => j.name)).toEqual(['shoulder', 'elbow']);
    r.dispose();
  });

  it('an inertial origin of 1e200 m (the shoulder\'s inertia NaN: infinity less infinity) is refused naming the file, link, element, attribute and value', async () => {
    const file = variant('inertial-origin', '<origin xyz="0 0 0.12" rpy="0 0 0"/>', '<origin xyz="0 0 1e200" rpy="0 0 0"/>');
    const e = await refusal(file); // was: built, and stepped with the arm frozen
    expect(e.code).toBe('MUJOCO_URDF_NUMBER');
    expect(e.message).toBe(
      `${file}: <link name="forearm"> <inertial> <origin>: attribute "xyz" is "0 0 1e+200", which makes joint "shoulder"'s inertia at qpos0 NaN in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`,
    );
  });

  it("a joint origin of 1e200 m is named as the joint's <origin>; a mass of 1e300 kg 100 km out as the link's <mass>", async () => {
    const far = variant('joint-origin', '<origin xyz="0 0 0.3" rpy="0 0 0"/>', '<origin xyz="0 0 1e200" rpy="0 0 0"/>');
    expect((await refusal(far)).message).toBe(
      `${far}: <joint name="elbow"> <origin>: attribute "xyz" is "0 0 1e+200", which makes joint "shoulder"'s inertia at qpos0 NaN in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`,
    );
    const heavy = variant('heavy-far', '<mass value="0.5"/>', '<mass value="1e300"/>', '<origin xyz="0 0 0.12" rpy="0 0 0"/>', '<origin xyz="0 0 1e5" rpy="0 0 0"/>');
    expect((await refusal(heavy)).message).toBe(
      `${heavy}: <link name="forearm"> <inertial> <mass>: attribute "value" is "1e+300", which makes joint "shoulder"'s inertia at qpos0 Infinity in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`,
    );
  });

  it('a mass of 1e308 kg (its weight overflows: the first step was NaN) and an axis of length 1e200 (normalised to zero) are refused', async () => {
    const heavy = variant('weight', '<mass value="0.8"/>', '<mass value="1e308"/>');
    expect((await refusal(heavy)).message).toBe(
      `${heavy}: <link name="upper_arm"> <inertial> <mass>: attribute "value" is "1e+308", which makes link "upper_arm"'s weight (mass × 9.81 m/s² of gravity) Infinity in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`,
    );
    const axis = variant('axis', '<axis xyz="0 1 0"/>', '<axis xyz="0 1e200 1e200"/>');
    expect((await refusal(axis)).message).toBe(
      `${axis}: <joint name="shoulder"> <axis>: attribute "xyz" makes joint "shoulder"'s axis length 0 in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`,
    );
  });

  it('axon sim --urdf --physics mujoco refuses it on one line, exit 2, before a tick runs', () => {
    const file = variant('cli', '<origin xyz="0 0 0.12" rpy="0 0 0"/>', '<origin xyz="0 0 1e200" rpy="0 0 0"/>');
    const r = axon('sim', '--urdf', file, '--physics', 'mujoco', '--duration', '0.2', '--fast', '--json');
    expect(r.code).toBe(2); // was: exit 0, "success": true, the arm never moved
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('axon: error'));
    expect(errors).toEqual([`axon: error [MUJOCO_URDF_NUMBER]: ${file}: <link name="forearm"> <inertial> <origin>: attribute "xyz" is "0 0 1e+200", which makes joint "shoulder"'s inertia at qpos0 NaN in MuJoCo's compiled model (a finite number too large to compute with) ${EXPECTED}`]);
    expect(r.stdout).not.toContain('"command":"sim"');
  });
});
