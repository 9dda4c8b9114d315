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

describe('FreeRunTask: mimic_error on angles as the engines report them, in (−π, π]', () => {
  const wrap = (a: number) => a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  const joints = [
    { name: 'wheel', defaultPosition: 0, type: 'continuous' },
    { name: 'half', defaultPosition: 0, type: 'continuous', mimic: { joint: 'wheel', multiplier: 0.5, offset: 0 } },
    { name: 'twin', defaultPosition: 0, type: 'continuous', mimic: { joint: 'wheel', multiplier: -1, offset: 0.2 } },
  ];

  it('a follower on its leader at multiplier 0.5 and −1 reads 0 error through the leader\'s wraps (1.5 turns)', () => {
    const t = new FreeRunTask({ joints });
    const at = (w: number) => obs([wrap(w), wrap(0.5 * w), wrap(-w + 0.2)]);
    t.reset(at(0));
    for (let k = 1; k <= 150; k++) t.step(at(0.063 * k), 0.02); // 9.45 rad: the wheel's reading wraps twice, half's once
    // Before: the wheel's wrap from π to −π moved 0.5·q by π (max 3.14159).
    expect(t.metrics()).toMatchObject({ mimic_error: { max: 0, final: 0 } }); // rounded to 1e-5
  });

  it('a real error is still seen across the wrap, and a wheel starting past π is read from its default', () => {
    const t = new FreeRunTask({ joints: joints.map((j) => ({ ...j, defaultPosition: j.name === 'wheel' ? 4 : j.name === 'half' ? 2 : -3.8 })) });
    t.reset(obs([wrap(4), 2, wrap(-3.8)]));
    t.step(obs([wrap(4.1), 2.05 + 0.01, wrap(-3.9)]), 0.02);
    const m = t.metrics() as { mimic_error: { max: number; final: number; joint: string } };
    expect(m.mimic_error).toEqual({ max: 0.01, final: 0.01, joint: 'half' });
  });
});
