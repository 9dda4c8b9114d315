import { describe, expect, it } from 'vitest';
import { FreeRunTask } from '../../sim/tasks/freeRun.ts';
import type { Observation } from '../../src/core/robot.ts';

const obs = (q: number[]) => ({ jointPosition: Float64Array.from(q), jointVelocity: new Float64Array(q.length) }) as unknown as Observation;

describe('FreeRunTask: how far the joints moved from the default pose', () => {
  it("takes the largest offset over the run, the last tick's, and the joint; a continuous joint wraps", () => {
    const t = new FreeRunTask({
      joints: [
        { name: 'shoulder', defaultPosition: 0.5, type: 'revolute' },
        { name: 'slide', defaultPosition: 0.1, type: 'prismatic' },
        { name: 'wheel', defaultPosition: Math.PI, type: 'continuous' },
      ],
    });
    t.reset(obs([0.5, 0.1, Math.PI]));
    t.step(obs([0.45, 0.13, -Math.PI + 0.001]), 0.02); // the wheel 0.001 rad past π, reported wrapped
    t.step(obs([0.49, 0.1, Math.PI]), 0.02);
    expect(t.metrics()).toEqual({ pose_offset: { max: 0.05, final: 0.01, joint: 'shoulder' } });
    expect(t.success).toBe(true);
  });
});
