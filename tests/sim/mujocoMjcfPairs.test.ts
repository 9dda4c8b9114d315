import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AxonError } from '../../src/core/errors.ts';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { axon } from '../helpers/cli.ts';

/**
 * A model whose contacts are explicit <contact><pair>s, as mujoco_menagerie's apptronik_apollo
 * ships it (google-deepmind/mujoco_menagerie, apptronik_apollo/apptronik_apollo.xml and scene.xml at
 * 23ab4678660a14aef753d3f602efc7af82f2b4c3 / 55017c5f04dbfbf187124b92a05d41a984b83618): the
 * main <default> sets contype="0" conaffinity="0" on every geom (the floor in scene.xml inherits it
 * too), the collision class as well, and scene.xml pairs the sole boxes with the floor. Here a
 * visual geom (a mesh in Apollo, a box here) reaches below the sole.
 */
const ROBOT = `<mujoco model="paired">
  <default>
    <geom contype="0" conaffinity="0" condim="1" group="1"/>
    <default class="visual"><geom contype="0" conaffinity="0" group="1" density="0"/></default>
    <default class="collision"><geom contype="0" conaffinity="0" group="3"/></default>
  </default>
  <worldbody>
    <body name="base_link" pos="0 0 1.0">
      <freejoint/>
      <inertial pos="0 0 0" mass="10" diaginertia="0.1 0.1 0.1"/>
      <body name="leg" pos="0 0 -0.3">
        <inertial pos="0 0 0" mass="2" diaginertia="0.01 0.01 0.01"/>
        <joint name="ankle" axis="0 1 0" range="-0.5 0.5"/>
        <geom class="visual" type="box" size="0.05 0.05 0.2" pos="0 0 -0.2"/>
        <geom name="sole" class="collision" type="box" size="0.1 0.05 0.01" pos="0 0 -0.3"/>
      </body>
    </body>
  </worldbody>
</mujoco>
`;

const SCENE = `<mujoco model="paired scene">
  <include file="paired.xml"/>
  <worldbody>
    <geom name="floor" size="0 0 0.05" type="plane"/>
  </worldbody>
  <contact>
    <pair geom1="sole" geom2="floor" condim="3"/>
  </contact>
</mujoco>
`;

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-pairs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'paired'));
const robotFile = join(dir, 'paired', 'paired.xml');
const sceneFile = join(dir, 'paired', 'scene.xml');
writeFileSync(robotFile, ROBOT);
writeFileSync(sceneFile, SCENE);

describe('an MJCF whose contacts are <contact><pair>s (mujoco_menagerie apptronik_apollo: every geom contype 0, conaffinity 0)', () => {
  it('its scene is put on the ground by the paired sole, not by the visual geom that reaches 10 cm lower, and stands on it', async () => {
    const r = await createMujocoMjcfRobot(sceneFile, { physicsDt: 0.002 });
    r.reset();
    // the sole's bottom is 0.3 + 0.3 + 0.01 = 0.61 below the base; the visual box's 0.3 + 0.2 + 0.2 = 0.7 (it would have put the base at 0.7)
    const start = r.observe().base!.position[2];
    expect(start).toBeCloseTo(0.61, 6);
    const target = Float64Array.from(r.spec.joints, (j) => j.defaultPosition);
    for (let k = 0; k < 50; k++) {
      r.command({ mode: 'position', target });
      r.step(0.02);
    }
    // on the floor through the pair: it neither falls through nor drops from the air
    expect(Math.abs(r.observe().base!.position[2] - start)).toBeLessThan(0.01);
    r.dispose();
  });

  it('the robot file alone (no scene, no pair) is refused: none of its geoms can touch the ground axon adds, so it would fall through', async () => {
    const e = await createMujocoMjcfRobot(robotFile, { physicsDt: 0.002 }).then(
      (r) => {
        r.dispose();
        return undefined;
      },
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(AxonError);
    expect((e as AxonError).code).toBe('MUJOCO_MJCF_NO_CONTACT');
    const run = axon('sim', '--mjcf', robotFile, '--duration', '1', '--fast', '--json');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`axon: error [MUJOCO_MJCF_NO_CONTACT]: ${robotFile}: has no geom that can touch axon's ground (every geom of the robot has contype and conaffinity 0`);
    expect(run.stderr).toContain('scene.xml beside the robot file');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
