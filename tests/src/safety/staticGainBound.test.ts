/**
 * Static gains (the mapper's zero-action command: spec defaults, a manifest's pd, --kp / --kd)
 * above a joint's kpMax / kdMax are refused once before arming (SAFETY_GAIN_BOUND naming the
 * joint, the gain and the bound), not clamped with a gain_clamp event per tick; docs/safety.md,
 * "Gain bounds". A passive joint (effort limit 0, gains zeroed) is not checked.
 */
import { describe, expect, it } from 'vitest';
import { createCommand, type RobotSpec } from '../../../src/core/robot.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { simGainBounds } from '../../../src/safety/gainBounds.ts';

// Joints in an odd order, a light wrist with a small effort limit, a passive joint with a bound of 0.
const spec: RobotSpec = {
  name: 'bus_arm',
  joints: [
    { name: 'wrist_roll', type: 'revolute', lower: -2, upper: 2, velocityLimit: 4.8, effortLimit: 0.5, defaultPosition: 0, kp: 3, kd: 0.05, kpMax: 40, kdMax: 2 },
    { name: 'free_caster', type: 'continuous', lower: -Infinity, upper: Infinity, velocityLimit: 10, effortLimit: 0, defaultPosition: 0, kp: 0, kd: 0, kpMax: 0, kdMax: 0 },
    { name: 'shoulder', type: 'revolute', lower: -1.5, upper: 1.5, velocityLimit: 3.1, effortLimit: 21.2, defaultPosition: 0, kp: 200, kd: 8, kpMax: 400, kdMax: 20 },
  ],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position'],
};

function cmd(kp: number[], kd: number[]) {
  const c = createCommand(spec, 'position');
  c.kp!.set(kp);
  c.kd!.set(kd);
  return c;
}

describe('static gains against kpMax / kdMax', () => {
  const sup = new SafetySupervisor(spec, 0.02);

  it('gains at their bounds pass; the passive joint is not checked', () => {
    expect(() => sup.assertCommandable(cmd([40, 1e9, 400], [2, 1e9, 20]))).not.toThrow();
  });

  it('a kp or kd above its bound is refused naming the joint, the gain and the bound', () => {
    expect(() => sup.assertCommandable(cmd([40.5, 0, 200], [2, 0, 25]))).toThrow(
      expect.objectContaining({ code: 'SAFETY_GAIN_BOUND', message: expect.stringContaining('wrist_roll kp 40.5 > kpMax 40, shoulder kd 25 > kdMax 20') }),
    );
  });

  it('the simulated bound comes from the limits alone: a default gain does not raise it', () => {
    expect(simGainBounds({ effortLimit: 2, velocityLimit: 8 })).toEqual({ kpMax: 2000, kdMax: 250 });
    const withGains = { effortLimit: 2, velocityLimit: 8, kp: 5000, kd: 400 };
    expect(simGainBounds(withGains)).toEqual({ kpMax: 2000, kdMax: 250 });
  });
});
