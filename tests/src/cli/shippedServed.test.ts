import { describe, expect, it } from 'vitest';
import { shippedRobotServed } from '../../../src/cli/commands/sim.ts';
import { createSimRobot } from '../../../sim/index.ts';

/** Which served robot gets a shipped robot's task on the client (sim --robot ws://...). */
describe('a shipped robot over the bridge is known by its name and its joints', () => {
  it('the shipped cartpole and humanoid, as axon bridge --sim serves them', () => {
    for (const name of ['cartpole', 'humanoid']) expect(shippedRobotServed(true, createSimRobot(name).spec)).toBe(name);
  });

  it('a robot file named like a shipped robot (bridge --urdf of a vendor URDF called "humanoid") gets no shipped task', () => {
    const vendor = { name: 'humanoid', joints: [{ name: 'left_hip_pitch_joint' }, { name: 'left_knee_joint' }] };
    expect(shippedRobotServed(true, vendor)).toBeUndefined();
    // the same joints in another order are another robot too
    const own = createSimRobot('cartpole').spec;
    expect(shippedRobotServed(true, { name: 'cartpole', joints: [...own.joints].reverse() })).toBeUndefined();
  });

  it('hardware is never a shipped simulation', () => {
    expect(shippedRobotServed(false, createSimRobot('cartpole').spec)).toBeUndefined();
  });
});
