/**
 * humanoid-gym's XBot-L policy (roboterax/humanoid-gym): a 15-frame stack of 47 values, zeros before
 * the stack has filled, a gait clock that reads k = 0 on the first step, and the base orientation as
 * Euler angles. tests/fixtures/humanoid-gym/manifest.json is the manifest docs/byom.md gives for it;
 * the reference below is humanoid/scripts/sim2sim.py's run_mujoco written out (obs[0, 0..46], the
 * clip at clip_observations, the deque of frame_stack zero frames, policy_input oldest first), on a
 * robot that lists the joints in another order. A class_to_dict dump of XBotLCfg
 * (tests/fixtures/humanoid-gym/xbot_env_cfg.yaml) imports through `manifest from-legged-gym` to the
 * same manifest.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObservation } from '../../../src/core/robot.ts';
import { ObservationBuilder, eulerXyz } from '../../../src/model/ObservationBuilder.ts';
import { ManifestError, observationSize, validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import { checkModel } from '../../../src/model/checkModel.ts';
import { joint, spec } from '../../helpers/fakes.ts';
import { axon } from '../../helpers/cli.ts';
import { parse } from 'yaml';
import { manifestFromLeggedGym } from '../../../src/model/importers/leggedGym.ts';
import { ImportError } from '../../../src/model/importers/common.ts';

const raw = () => JSON.parse(readFileSync('tests/fixtures/humanoid-gym/manifest.json', 'utf8'));
const XBOT = validateManifest(raw());

/** sim2sim.py's quaternion_to_euler_array, on its (x, y, z, w) quaternion. */
function quaternionToEulerArray([x, y, z, w]: number[]): number[] {
  const t2 = Math.min(1, Math.max(-1, 2 * (w * y - z * x)));
  return [Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)), Math.asin(t2), Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))];
}

/** Quaternion (x, y, z, w) of R = Rz(yaw)·Ry(pitch)·Rx(roll). */
function fromEuler(roll: number, pitch: number, yaw: number): number[] {
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(roll / 2), Math.sin(roll / 2), Math.cos(pitch / 2), Math.sin(pitch / 2), Math.cos(yaw / 2), Math.sin(yaw / 2)];
  return [sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy];
}

describe("humanoid-gym's XBot-L observation", () => {
  it('the manifest is 15 frames of 47 values (705), as XBotLCfg.env says', () => {
    expect(observationSize(XBOT)).toBe(15 * 47);
  });

  it('base_euler_xyz recovers roll, pitch and yaw, yaw past ±π/2 and pitch at the gimbal edge included', () => {
    const out = new Float32Array(3);
    for (const [r, p, y] of [
      [0.3, -0.2, 2.9],
      [-1.2, 0.7, -3.0],
      [0.05, 1.5, 0.4],
      [0, 0, Math.PI - 1e-6],
    ]) {
      const q = fromEuler(r, p, y);
      eulerXyz(q[0], q[1], q[2], q[3], out, 0);
      expect([...out].map((v) => Number(v.toFixed(5)))).toEqual([r, p, y].map((v) => Number(Math.fround(v).toFixed(5))));
    }
    // A quaternion whose pitch sine rounds past 1 (pure pitch of π/2 with float error) stays finite.
    const s = Math.SQRT1_2 * (1 + 1e-9);
    eulerXyz(0, s, 0, s, out, 0);
    expect(out[1]).toBeCloseTo(Math.PI / 2, 6);
  });

  it("builds sim2sim.py's policy input value for value for 40 steps, then again from zeros after a reset", () => {
    const names = XBOT.joints;
    // The robot: right leg first, reversed, with the waist between (another order than the policy's).
    const robotJoints = [...names.slice(6).reverse(), 'waist_yaw_joint', ...names.slice(0, 6).reverse()];
    const robot = spec(robotJoints.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const b = new ObservationBuilder(XBOT, robot);
    const cmd = { vx: 0.4, vy: -0.1, dyaw: 0.2 };
    b.velocityCommand.set([cmd.vx, cmd.vy, cmd.dyaw]);
    const obs = createObservation(robot);
    let seed = 11;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;

    for (const episode of [0, 1]) {
      if (episode === 1) b.reset();
      // sim2sim.py: hist_obs holds frame_stack zero frames; count_lowlevel counts 2 ms physics steps, the policy runs every 5th.
      const hist: Float32Array[] = Array.from({ length: 15 }, () => new Float32Array(47));
      let action = new Array<number>(12).fill(0);
      for (let step = 0; step < 40; step++) {
        const q = names.map(() => 1.2 * rand());
        const dq = names.map(() => 400 * rand()); // × 0.05 reaches past the ±18 clip
        const quat = fromEuler(0.3 * rand(), 0.3 * rand(), 3.1 * rand()); // (x, y, z, w)
        const omega = [rand(), rand(), rand()];
        names.forEach((n, i) => {
          obs.jointPosition[robotJoints.indexOf(n)] = q[i];
          obs.jointVelocity[robotJoints.indexOf(n)] = dq[i];
        });
        obs.imu!.orientation.set(quat);
        obs.imu!.angularVelocity.set(omega);
        const out = b.build(obs, Float32Array.from(action));

        const countLowlevel = 5 * step;
        const frame = new Float32Array(47);
        frame[0] = Math.sin((2 * Math.PI * countLowlevel * 0.002) / 0.64);
        frame[1] = Math.cos((2 * Math.PI * countLowlevel * 0.002) / 0.64);
        frame[2] = cmd.vx * 2;
        frame[3] = cmd.vy * 2;
        frame[4] = cmd.dyaw * 1;
        frame.set(q, 5);
        frame.set(dq.map((v) => v * 0.05), 17);
        frame.set(action, 29);
        frame.set(omega, 41);
        frame.set(quaternionToEulerArray(quat), 44);
        for (let i = 0; i < 47; i++) frame[i] = Math.min(18, Math.max(-18, frame[i]));
        hist.push(frame);
        hist.shift();
        const policyInput = new Float32Array(15 * 47);
        hist.forEach((f, i) => policyInput.set(f, i * 47));

        expect(out.length).toBe(policyInput.length);
        for (let i = 0; i < policyInput.length; i++) expect(out[i], `episode ${episode}, step ${step}, input[${i}]`).toBeCloseTo(policyInput[i], 4);
        // sim2sim.py: action = clip(policy(...), ±clip_actions), fed back raw (after the clip).
        action = names.map(() => Math.min(18, Math.max(-18, 25 * rand())));
      }
    }
  });

  it('history_fill "first" (the default) primes with the first frame instead', () => {
    const m = validateManifest({ ...raw(), observation: { ...raw().observation, history_fill: undefined } });
    const robot = spec(XBOT.joints.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const obs = createObservation(robot);
    obs.jointPosition.fill(0.5);
    const out = new ObservationBuilder(m, robot).build(obs, new Float32Array(12));
    expect(out[5]).toBeCloseTo(0.5, 6); // joint 0 in the oldest frame: a copy of the first
    expect(out[14 * 47 + 5]).toBeCloseTo(0.5, 6);
  });

  it('refuses count_from off a gait_phase term, a history_fill it does not know, and base_euler_xyz without an IMU', () => {
    const bad = raw();
    bad.observation.terms[1].count_from = 0;
    expect(() => validateManifest(bad)).toThrow(/terms\/1\/count_from.*is given on term velocity_commands/);
    const fill = raw();
    fill.observation.history_fill = 'zero';
    expect(() => validateManifest(fill)).toThrow(ManifestError);
    const noImu = spec(XBOT.joints.map((n) => joint(n, { lower: -3, upper: 3 })), false);
    const issues = checkModel(XBOT as ModelManifest, noImu);
    expect(issues.map((i) => i.where)).toEqual(expect.arrayContaining(['/observation/terms/5', '/observation/terms/6']));
    expect(() => new ObservationBuilder(XBOT, noImu)).toThrow(/base_ang_vel needs an IMU/);
  });
});

describe("humanoid-gym's config through manifest from-legged-gym", () => {
  const cfgText = readFileSync('tests/fixtures/humanoid-gym/xbot_env_cfg.yaml', 'utf8');
  const importXbot = (cfg = parse(cfgText), notes: string[] = []) => manifestFromLeggedGym(cfg, { joints: XBOT.joints, name: 'xbot', robot: 'XBot-L', notes }, 'xbot_env_cfg.yaml');
  const refusal = (edit: (cfg: Record<string, any>) => void): ImportError => {
    const cfg = parse(cfgText);
    edit(cfg);
    try {
      importXbot(cfg);
    } catch (e) {
      if (e instanceof ImportError) return e;
      throw e;
    }
    throw new Error('imported');
  };

  it("a class_to_dict dump of XBotLCfg (keys sorted, -0.0 angles) gives the hand-written manifest's observation, action, gains and rates", () => {
    const notes: string[] = [];
    const m = importXbot(undefined, notes);
    expect(m.observation).toEqual(XBOT.observation);
    expect(m.action).toEqual(XBOT.action);
    expect(m.pd).toEqual(XBOT.pd);
    expect(m.control_hz).toBe(100);
    expect(m.decimation).toBe(10);
    expect(m.default_joint_pos!.map((v) => v + 0)).toEqual(XBOT.default_joint_pos);
    expect(m.command_ranges).toEqual(XBOT.command_ranges);
    expect(notes.join('\n')).toContain('15 frames of 47 values, oldest first, zeros until it has filled');
    expect(notes.join('\n')).toContain('commands.heading_command: is true');
  });

  it('refuses a frame of another size and a num_observations that is not frame_stack × num_single_obs, naming the layout', () => {
    expect(refusal((c) => (c.env.num_single_obs = 45)).message).toMatch(/env\.num_single_obs.*is 45, but humanoid-gym's frame for 12 joints is 47 values \(gait phase sin, cos 2, commands 3, dof_pos 12/);
    expect(refusal((c) => (c.env.num_observations = 470)).message).toMatch(/env\.num_observations: is 470 \(expected env\.frame_stack × env\.num_single_obs = 705\)/);
    expect(refusal((c) => delete c.rewards.cycle_time).message).toMatch(/rewards\.cycle_time/);
    expect(refusal((c) => (c.env.use_ref_actions = true)).message).toMatch(/env\.use_ref_actions: is true: the training added a reference gait action/);
  });

  it('from the CLI: axon manifest from-legged-gym on the dump, with the joints in the DOF order', () => {
    const r = axon('manifest', 'from-legged-gym', 'tests/fixtures/humanoid-gym/xbot_env_cfg.yaml', '--joints', XBOT.joints.join(','));
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.observation).toEqual(XBOT.observation);
    expect(observationSize(m)).toBe(705);
  });
});
