import { describe, it, expect } from 'vitest';
import { createSimRobot, createTask, randomize, robotModel, Rng } from '../../sim/index.ts';
import { ArmReachController, ARM_JOINTS, ARM_TARGET_REGION } from '../../sim/robots/arm.ts';
import { ReachTask } from '../../sim/tasks/arm.ts';
import type { SimRobot } from '../../sim/SimRobot.ts';

/** One 5 s reach episode at 50 Hz: the scripted controller, or holding the start pose. */
function episode(robot: SimRobot, seed: number, hold = false): { success: boolean; distance: number } {
  const task = createTask('arm') as ReachTask;
  const ctl = new ArmReachController(robotModel('arm'), robot.spec.joints);
  robot.reset(seed);
  let obs = robot.observe();
  task.reset(obs);
  ctl.reset(obs);
  const cmd = { mode: 'position' as const, target: new Float64Array(6) };
  cmd.target.set(obs.jointPosition);
  for (let k = 0; k < task.episodeS / 0.02; k++) {
    if (!hold) cmd.target.set(ctl.act(obs));
    robot.command(cmd);
    robot.step(0.02);
    obs = robot.observe();
    task.step(obs, 0.02);
  }
  return { success: task.success, distance: task.distance };
}

describe('arm (sim/robots/arm.urdf)', () => {
  it('has 6 joints on Dynamixel-class limits, 2.35 kg moving, a fixed base and the tool frame "ee"', () => {
    const r = createSimRobot('arm');
    expect(r.spec.joints.map((j) => j.name)).toEqual([...ARM_JOINTS]);
    expect(r.spec.joints.map((j) => j.effortLimit)).toEqual([10.6, 21.2, 21.2, 10.6, 10.6, 4.1]);
    expect(r.spec.joints.map((j) => j.velocityLimit)).toEqual([3.1, 3.1, 3.1, 3.1, 3.1, 4.8]);
    const moving = r.bodyLinkNames().reduce((m, l) => m + r.bodyMass(l), 0);
    expect(moving).toBeCloseTo(2.35, 9);
    expect(r.bodyOf('base_link').type).toBe(2); // static: fixed to "world"
    expect(r.frameNames()).toEqual(['ee']);
    const ee = r.observe().extras.ee_pos;
    expect(Array.from(ee).map((v) => +v.toFixed(4))).toEqual([0.38, 0, 0.44]);
  });

  it('draws a target per seed, reproducibly, inside the stated region, randomised or not', () => {
    const r = createSimRobot('arm');
    const targets = [1, 2, 1].map((seed) => {
      r.reset(seed);
      return Array.from(r.observe().extras.target_pos);
    });
    expect(targets[0]).toEqual(targets[2]);
    expect(targets[0]).not.toEqual(targets[1]);
    for (let seed = 0; seed < 50; seed++) {
      r.reset(seed);
      const [x, y, z] = r.observe().extras.target_pos;
      const rad = Math.hypot(x, y);
      expect(rad).toBeGreaterThanOrEqual(ARM_TARGET_REGION.radius[0] - 1e-6);
      expect(rad).toBeLessThanOrEqual(ARM_TARGET_REGION.radius[1] + 1e-6);
      expect(z).toBeGreaterThanOrEqual(ARM_TARGET_REGION.height[0] - 1e-6);
      expect(z).toBeLessThanOrEqual(ARM_TARGET_REGION.height[1] + 1e-6);
    }
    // --randomize keeps the same target for the seed and moves the start pose.
    const rr = createSimRobot('arm', { randomize: true });
    rr.reset(1);
    expect(Array.from(rr.observe().extras.target_pos)).toEqual(targets[0]);
    const d = randomize(rr, new Rng(1));
    expect(Math.abs(d['q0_offset.shoulder'])).toBeLessThanOrEqual(0.1);
    expect(rr.observe().jointPosition[1]).toBeCloseTo(d['q0_offset.shoulder'], 4);
  });

  it('reach: the scripted IK controller gets within 2 cm for the last second in >= 90% of seeds; holding still does not', () => {
    const r = createSimRobot('arm');
    const N = 12;
    let ok = 0, hold = 0;
    const dist: number[] = [];
    for (let seed = 1; seed <= N; seed++) {
      const e = episode(r, seed);
      dist.push(e.distance);
      if (e.success) ok++;
      if (episode(r, seed, true).success) hold++;
    }
    console.log(`arm reach: ${ok}/${N} within 2 cm for the last 1 s (final distance max ${(Math.max(...dist) * 1000).toFixed(2)} mm); hold-start-pose baseline ${hold}/${N}`);
    expect(ok / N).toBeGreaterThanOrEqual(0.9);
    expect(hold).toBeLessThan(ok);
  });
});
