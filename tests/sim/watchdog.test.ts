import { describe, it, expect } from 'vitest';
import { createObservation, type RobotSpec } from '../../src/core/robot.ts';
import { StateWatchdog, WatchedTask } from '../../sim/watchdog/StateWatchdog.ts';
import { StandTask } from '../../sim/tasks/stand.ts';
import { FreeRunTask } from '../../sim/tasks/freeRun.ts';

const spec: RobotSpec = {
  name: 't',
  joints: [{ name: 'knee', type: 'revolute', lower: -1, upper: 1, velocityLimit: 20, effortLimit: 10, defaultPosition: 0, kp: 0, kd: 0 }],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position'],
};

function obs(z: number) {
  return { ...createObservation(spec), base: { position: Float32Array.of(0, 0, z), orientation: Float32Array.of(0, 0, 0, 1), linearVelocity: new Float32Array(3), angularVelocity: new Float32Array(3) } };
}

describe('StateWatchdog', () => {
  it('passes a sane state and trips on a runaway joint, naming it and its limit', () => {
    const w = new StateWatchdog(spec);
    const o = obs(0.8);
    w.reset(o);
    o.jointVelocity[0] = 150;
    expect(w.check(o)).toBe(true);
    o.jointVelocity[0] = 250;
    expect(w.check(o)).toBe(false);
    expect(w.reason).toMatch(/knee moves at 250, over 200 \(10 × its velocity limit\)/);
  });

  it('trips on NaN, a base thrown up or sunk through the ground, or a base speed no robot reaches', () => {
    const cases: [(o: ReturnType<typeof obs>) => void, RegExp][] = [
      [(o) => (o.jointPosition[0] = Number.NaN), /not finite/],
      [(o) => (o.base!.position[2] = 3), /above its start/],
      [(o) => (o.base!.position[2] = -2.5), /below its start/],
      [(o) => (o.base!.linearVelocity[0] = 40), /base moves at 40 m\/s/],
    ];
    for (const [breakIt, why] of cases) {
      const w = new StateWatchdog(spec);
      const o = obs(0.8);
      w.reset(o);
      breakIt(o);
      expect(w.check(o)).toBe(false);
      expect(w.reason).toMatch(why);
    }
  });

  it('a watched task reports the breach once, ends the episode and fails it', () => {
    const trips: string[] = [];
    const t = new WatchedTask(new FreeRunTask(), spec, (r) => trips.push(r));
    const o = obs(0.8);
    t.reset(o);
    expect(t.step(o, 0.02)).toBe(false);
    o.base!.position[2] = 1e6;
    expect(t.step(o, 0.02)).toBe(true);
    expect(t.step(o, 0.02)).toBe(true);
    expect(trips).toHaveLength(1);
    expect(t.success).toBe(false);
    expect(t.invalid).toMatch(/above its start/);
  });
});

describe('StandTask', () => {
  it('reports fell, the lowest base height and the displacement in the start frame', () => {
    const t = new StandTask();
    const o = obs(0.8);
    // Start facing +y (yaw 90°): a move along world +y is forward (+x in the start frame).
    o.base!.orientation.set([0, 0, Math.SQRT1_2, Math.SQRT1_2]);
    t.reset(o);
    o.base!.position.set([0, 0.3, 0.7]);
    t.step(o, 0.02);
    expect(t.success).toBe(true);
    let m = t.metrics();
    expect(m.fell).toBe(false);
    expect(m.base_height_min).toBeCloseTo(0.7, 5);
    expect((m.base_displacement as number[])[0]).toBeCloseTo(0.3, 5);
    expect((m.base_displacement as number[])[1]).toBeCloseTo(0, 5);
    o.base!.position[2] = 0.2; // below half the start height
    t.step(o, 0.02);
    m = t.metrics();
    expect(m.fell).toBe(true);
    expect(m.fell_at_s).toBeCloseTo(0.04, 6);
    expect(t.success).toBe(false);
  });
});
