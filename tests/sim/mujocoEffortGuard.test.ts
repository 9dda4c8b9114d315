import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot, createMujocoShippedRobot, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { MujocoActuators } from '../../sim/mujoco/MujocoActuators.ts';

/**
 * The effort guard (sim/mujoco/MujocoActuators.ts overLimit(), saturateOver(); MujocoRobot's substep):
 * what a step taken again writes besides the laws (docs/mujoco.md, "The effort limit").
 */

const robots: MujocoRobot[] = [];
const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-guard-'));
afterAll(() => {
  robots.forEach((r) => r.dispose());
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Two hinges as vendors write them: the joint force range in a <default> class (Unitree's menagerie models), a light
 * arm (tiny inertia about the axis), one motor with no forcerange of its own (the limit is the joint's), one whose
 * forcerange is wider than its joint's.
 */
function writeForceRanged(): string {
  const file = join(dir, 'frc.xml');
  writeFileSync(
    file,
    `<mujoco model="frc">
  <option gravity="0 0 0"/>
  <default><default class="motor"><joint actuatorfrcrange="-1 1" damping="0.01"/></default></default>
  <worldbody>
    <body name="base"><geom type="box" size="0.1 0.1 0.1" mass="1"/>
      <body name="arm" pos="0 0 0.2"><joint name="j" class="motor" type="hinge" axis="0 0 1"/><geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.002" mass="0.005"/>
        <body name="tip" pos="0.3 0 0"><joint name="k" class="motor" type="hinge" axis="0 0 1"/><geom type="sphere" pos="0.05 0 0" size="0.01" mass="0.01"/></body>
      </body>
    </body>
  </worldbody>
  <actuator><motor joint="j" gear="1"/><motor joint="k" gear="1" forcerange="-5 5" forcelimited="true"/></actuator>
</mujoco>`,
  );
  return file;
}

describe('the effort guard', () => {
  it("a retaken step leaves every hard limit of a joint it did not mark at the solref apply() wrote (the shipped humanoid and arm, kp 300 kd 10, ±1.5 rad)", async () => {
    // Before: the retake ran MujocoHardLimits.stiffen() again, on MuJoCo's factor of M and forces of the discarded step, so
    // every active limit got another scale, unmarked ones included (review finding F1: 227 solref pairs changed, up to
    // 0.42 % relative, over these four runs), and several active ones another coupling.
    const proto = MujocoActuators.prototype as unknown as { apply: (...a: unknown[]) => void; saturateOver: (...a: unknown[]) => void };
    const apply = proto.apply;
    const saturateOver = proto.saturateOver;
    let written = new Float64Array(0);
    let retakes = 0;
    let compared = 0;
    const changed: string[] = [];
    proto.apply = function (this: unknown, ...a: unknown[]) {
      apply.apply(this, a);
      written = Float64Array.from((a[1] as { jntSolref: Float64Array }).jntSolref);
    };
    proto.saturateOver = function (this: { overSign: Int8Array; qadr: Int32Array }, ...a: unknown[]) {
      saturateOver.apply(this, a);
      retakes++;
      const views = a[0] as { jntSolref: Float64Array };
      const robot = robots[robots.length - 1];
      robot.spec.joints.forEach((j, i) => {
        if (this.overSign[i] !== 0) return;
        const id = robot.mj.mj_name2id(robot.model, robot.mj.mjtObj.mjOBJ_JOINT.value, j.name);
        for (const c of [2 * id, 2 * id + 1]) {
          compared++;
          if (views.jntSolref[c] !== written[c]) changed.push(`${j.name}: ${written[c]} → ${views.jntSolref[c]}`);
        }
      });
    };
    try {
      for (const [name, dt] of [['humanoid', 1 / 500], ['arm', 1 / 200]] as const)
        for (const sign of [1, -1]) {
          const robot = await createMujocoShippedRobot(name, { physicsDt: dt, seed: 1 });
          robots.push(robot);
          const n = robot.spec.joints.length;
          const target = Float64Array.from(robot.spec.joints, (j) => j.defaultPosition + sign * 1.5);
          robot.command({ mode: 'position', target, kp: new Float64Array(n).fill(300), kd: new Float64Array(n).fill(10) });
          for (let t = 0; t < 50; t++) robot.step(0.02);
        }
    } finally {
      proto.apply = apply;
      proto.saturateOver = saturateOver;
    }
    expect(retakes).toBeGreaterThan(0);
    expect(compared).toBeGreaterThan(0);
    expect(changed.slice(0, 5)).toEqual([]);
  });

  it("an MJCF joint's actuatorfrcrange is the effort limit, not a clamp left in MuJoCo: the effort reported is the force MuJoCo applied (qfrc_actuator), an effort scale of 2 included", async () => {
    // Before: MuJoCo kept the range and clamped qfrc_actuator to 1 N·m while axon reported (and the effort guard judged) the
    // unclamped 1.8 (review finding F2); a motor with a wider forcerange (5) was given that as its limit, the joint's 1 clamping it.
    const robot = await createMujocoMjcfRobot(writeForceRanged(), { physicsDt: 1 / 200 });
    robots.push(robot);
    expect(robot.spec.joints.map((j) => [j.name, j.effortLimit])).toEqual([
      ['j', 1],
      ['k', 1],
    ]);
    robot.setActuatorScale(1, 1, 2); // a randomised effort scale: the limit 2 N·m this episode
    robot.reset();
    robot.command({ mode: 'effort', target: Float64Array.of(1.8, -1.5) });
    robot.step(0.02);
    const o = robot.observe();
    const applied = robot.data.qfrc_actuator as Float64Array;
    const dof = robot.model.jnt_dofadr as Int32Array;
    robot.spec.joints.forEach((j, i) => {
      const id = robot.mj.mj_name2id(robot.model, robot.mj.mjtObj.mjOBJ_JOINT.value, j.name);
      expect(o.jointEffort[i], j.name).toBeCloseTo(applied[dof[id]], 5);
    });
    expect(Array.from(o.jointEffort)).toEqual([expect.closeTo(1.8, 5), expect.closeTo(-1.5, 5)]);
  });

  it("an MJCF with MuJoCo's island sleeping on is simulated with it off, noted (its sleep state is not in the state a retaken step starts from)", async () => {
    // Before: the flag stayed on and nothing was said; a step the guard took again started from qpos, qvel, act and the warm
    // start with the trees' sleep state of the discarded step (review finding S2).
    const file = writeForceRanged().replace(/frc\.xml$/, 'sleep.xml');
    writeFileSync(file, readFileSync(join(dir, 'frc.xml'), 'utf8').replace('<option gravity="0 0 0"/>', '<option gravity="0 0 0"><flag sleep="enable"/></option>'));
    const robot = await createMujocoMjcfRobot(file, { physicsDt: 1 / 200 });
    robots.push(robot);
    expect(robot.model.opt.enableflags & robot.mj.mjtEnableBit.mjENBL_SLEEP.value).toBe(0);
    expect(robot.notes.find((n) => n.code === 'MUJOCO_MJCF_SLEEP')?.where).toBe(file);
  });
});
