import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoShippedRobot, createMujocoUrdfRobot, type MujocoRobot, readUrdf } from '../../sim/mujoco/createMujocoRobot.ts';
import { defaultGains } from '../../src/cli/defaultGains.ts';
import type { JointCommand } from '../../src/core/robot.ts';
import { ARM_LIMITS, writeHeavyArm } from '../helpers/limitStops.ts';
import { writeRobotiq2f85 } from '../helpers/vendorGrippers.ts';

/**
 * An episode is a function of (config, index, seed) alone (docs/eval.md): in MuJoCo, reset(seed)
 * after another episode gives the trajectory a fresh robot gives. mj_resetData leaves the model's
 * actuator bias (the last law's b1, b2) and the mimic equalities' per-step solref as the last step
 * wrote them; the reset's forward pass ran with them and the first step's saturation test read the
 * resulting forces (sim/mujoco/MujocoActuators.ts reset()); so do a hard joint limit's per-step
 * solref and which limits the last step found active (sim/mujoco/MujocoHardLimits.ts). Each case
 * also checks the model's bias, equality and joint limit solref and tendon coefficients after the
 * reset against a fresh robot's.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mujoco-episodes-'));
const robots: MujocoRobot[] = [];
afterAll(() => {
  robots.forEach((r) => r.dispose());
  rmSync(dir, { recursive: true, force: true });
});

/** Digest of joint positions and velocities after each of `ticks` ticks of one command. */
function digest(robot: MujocoRobot, cmd: JointCommand, ticks: number, tick: number): string {
  const h = createHash('sha256');
  robot.command(cmd);
  for (let k = 0; k < ticks; k++) {
    robot.step(tick);
    const o = robot.observe();
    h.update(new Uint8Array(Float64Array.from(o.jointPosition).buffer));
    h.update(new Uint8Array(Float64Array.from(o.jointVelocity).buffer));
  }
  return h.digest('hex');
}

/** Episode B fresh, and B after episode A on the same robot (reset(seed) between). */
async function freshAndAfter(make: () => Promise<MujocoRobot>, a: (r: MujocoRobot) => JointCommand, b: (r: MujocoRobot) => JointCommand, seed: number, ticks: number, tick: number): Promise<[string, string]> {
  const fresh = await make();
  robots.push(fresh);
  fresh.reset(seed);
  const d1 = digest(fresh, b(fresh), ticks, tick);
  const used = await make();
  robots.push(used);
  used.reset(seed + 1);
  digest(used, a(used), ticks, tick);
  used.reset(seed);
  // What the reset leaves in the model: the fresh robot's after its own reset, before its episode.
  const clean = await make();
  robots.push(clean);
  clean.reset(seed);
  for (const key of ['actuator_biasprm', 'eq_solref', 'wrap_prm', 'jnt_solref'] as const) expect(Array.from(used.model[key] as Float64Array), key).toEqual(Array.from(clean.model[key] as Float64Array));
  return [d1, digest(used, b(used), ticks, tick)];
}

const filled = (r: MujocoRobot, x: number) => new Float64Array(r.spec.joints.length).fill(x);

describe('MuJoCo: an episode does not depend on the one before', () => {
  it('the shipped humanoid (500 Hz, seed 1, 30 ticks): the same trajectory fresh and after an episode at kp 2000, kd 5', async () => {
    const pose = (r: MujocoRobot) => Float64Array.from(r.spec.joints, (j) => j.defaultPosition);
    const [fresh, after] = await freshAndAfter(
      () => createMujocoShippedRobot('humanoid', { physicsDt: 0.002 }),
      (r) => ({ mode: 'position', target: pose(r).map((q) => q + 0.3), kp: filled(r, 2000), kd: filled(r, 5) }),
      (r) => ({ mode: 'position', target: pose(r) }),
      1,
      30,
      0.02,
    );
    expect(after).toBe(fresh);
  });

  it('the Robotiq 2F-85 (<mimic> group, 200 Hz): started with a follower on its limit, the same trajectory fresh and after an episode on the default gains (kp 10000)', async () => {
    // Before the fix this digest matched already (the group's equality forces cancel along its coupling), the model's bias and solref did not.
    // One follower's limit narrowed to 0.29 rad, past which it starts (0.3): the limit's force depends on the actuators' at the reset's forward pass.
    const file = writeRobotiq2f85(dir, 0.29);
    const g = defaultGains(1000);
    const target = (r: MujocoRobot, q: number) => Float64Array.from(r.spec.joints, (j) => (j.name === 'finger_joint' ? q : 0));
    const [fresh, after] = await freshAndAfter(
      async () => {
        // Not at 0, where the last law's b1·q is 0 whatever b1.
        const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / 200 });
        r.setInitialPositions(target(r, 0.3));
        return r;
      },
      (r) => ({ mode: 'position', target: target(r, 0.7), kp: filled(r, g.kp), kd: filled(r, g.kd) }),
      (r) => ({ mode: 'position', target: target(r, 0.3), kp: filled(r, 100), kd: filled(r, 2.5) }),
      1,
      30,
      0.02,
    );
    expect(after).toBe(fresh);
  });

  it('a heavy arm on its hard limits (200 Hz): started past all three, the same trajectory fresh and after an episode pressing into them on the default gains', async () => {
    // Episode A leaves each limit's solref scaled by its last step (direct form, −s/τ², −2s/τ) and the limits marked active, and the reset's
    // forward pass, started on the limits, reads that solref. Without MujocoHardLimits.reset this digest matched already (a joint next to its
    // hard limit is judged without the constraint force on it, the only force that solref changed), the model's jnt_solref did not.
    const file = writeHeavyArm(dir);
    const past = { shoulder: ARM_LIMITS.shoulder[1] + 0.01, elbow: ARM_LIMITS.elbow[1] + 0.01, wrist: ARM_LIMITS.wrist[0] - 0.01 };
    const at = (r: MujocoRobot, v: Record<string, number>) => Float64Array.from(r.spec.joints, (j) => v[j.name] ?? 0);
    const gains = (r: MujocoRobot) => {
      const g = r.spec.joints.map((j) => defaultGains(j.effortLimit));
      return { kp: Float64Array.from(g, (x) => x.kp), kd: Float64Array.from(g, (x) => x.kd) };
    };
    const [fresh, after] = await freshAndAfter(
      async () => {
        const r = await createMujocoUrdfRobot(file, readUrdf(file), { pd: 'implicit', physicsDt: 1 / 200 });
        r.setInitialPositions(at(r, past));
        return r;
      },
      (r) => ({ mode: 'position', target: at(r, { shoulder: 1.5, elbow: 2.8, wrist: -1.4 }), ...gains(r) }),
      (r) => ({ mode: 'position', target: at(r, { shoulder: 1.3, elbow: 2.5, wrist: -1.1 }), kp: filled(r, 50), kd: filled(r, 5) }),
      1,
      30,
      0.02,
    );
    expect(after).toBe(fresh);
  });
});
