/**
 * The monitor on a bridged cartpole (a BridgeServer serving the simulation, runLive on the client,
 * both on one virtual clock: tests/hardware/bridge/virtualRig.ts). runLive soft-starts the robot
 * over its first second and each command reaches the served robot within the step after the frame
 * the tick read: predicted from the policy's proposal over the whole step, the unfaulted run read
 * as surprise 40 and was safe-stopped. Predicted from the command sent, over the part of the step
 * it was in effect, the unfaulted run raises no surprise, and half-strength motors still do.
 */
import { describe, expect, it } from 'vitest';
import { createSimRobot } from '../../../sim/index.ts';
import { WeakMotors } from '../../../sim/session/WeakMotors.ts';
import { VirtualRig } from '../../hardware/bridge/virtualRig.ts';

const DURATION_S = 3;

async function bridgedMonitor(faultAtS: number | undefined) {
  const robot = new WeakMotors(createSimRobot('cartpole'), 0.5);
  const rig = await VirtualRig.start({ robot });
  try {
    const client = await rig.connect({ simReset: { seed: 1 } });
    const { r, safety } = await rig.runLive(
      client,
      { policy: 'models/cartpole-balance', durationS: DURATION_S, actionNoise: 0.2, seed: 1, worldModel: { dir: 'models/cartpole-wm', mode: 'monitor' } },
      (t) => {
        if (faultAtS !== undefined && t >= faultAtS) robot.active = true;
      },
    );
    await rig.robot!.close();
    return { r, surprises: safety.filter((e) => e.kind === 'surprise') };
  } finally {
    await rig.close();
  }
}

describe('monitor over the bridge', () => {
  it('an unfaulted bridged cartpole under the monitor (soft start, noise 0.2) raises no surprise and runs its duration', async () => {
    const { r, surprises } = await bridgedMonitor(undefined);
    const msg = JSON.stringify({ wm: r.worldModel, state: r.safety.state, surprises: surprises.map((e) => e.reason) });
    expect(r.endedBy, msg).toBe('duration');
    expect(r.safety.state, msg).toBe('running');
    expect(surprises, msg).toEqual([]);
    expect(r.worldModel!.maxSurprise, msg).toBeLessThan(1);
  });

  it('the same run with the served motors at half strength from 1.5 s raises a surprise and safe-stops', async () => {
    const { r, surprises } = await bridgedMonitor(1.5);
    const msg = JSON.stringify({ wm: r.worldModel, state: r.safety.state });
    expect(surprises.length, msg).toBeGreaterThan(0);
    expect(surprises[0].time, msg).toBeGreaterThanOrEqual(1.5);
    expect(r.safety.state, msg).toBe('safe-stop');
  });
});
