import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoShippedRobot, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { MujocoActuators } from '../../sim/mujoco/MujocoActuators.ts';

/**
 * The effort guard (sim/mujoco/MujocoActuators.ts overLimit(), saturateOver(); MujocoRobot's substep):
 * what a step taken again writes besides the laws (docs/mujoco.md, "The effort limit").
 */

const robots: MujocoRobot[] = [];
afterAll(() => robots.forEach((r) => r.dispose()));

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
});
