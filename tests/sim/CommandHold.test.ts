import { describe, expect, it } from 'vitest';
import { CommandHold, MAX_LATENCY_STEPS } from '../../sim/CommandHold.ts';

/** The held command and action-latency ring both simulated robots (cannon-es, MuJoCo) share. */

const joints = [
  { kp: 10, kd: 1 },
  { kp: 20, kd: 2 },
];

describe('CommandHold', () => {
  it('without latency holds the command at once, copied; absent gains are the spec defaults, absent feed-forward 0', () => {
    const h = new CommandHold(joints, 'bot');
    const target = new Float64Array([0.5, -0.5]);
    h.command({ mode: 'position', target, kp: new Float64Array([3, 0]) }, 0);
    target[0] = 9; // the caller reuses its array
    expect(h.mode).toBe('position');
    expect(Array.from(h.target)).toEqual([0.5, -0.5]);
    expect(Array.from(h.kp)).toEqual([3, 0]); // given as is, 0 included
    expect(Array.from(h.kd)).toEqual([1, 2]);
    expect(Array.from(h.ff)).toEqual([0, 0]);
    expect(() => h.command({ mode: 'effort', target: new Float64Array(3) }, 0)).toThrow(expect.objectContaining({ code: 'COMMAND_SHAPE', message: expect.stringContaining('bot') }));
  });

  it('with a latency of L steps a command becomes the held one L physics steps later, in order', () => {
    const h = new CommandHold(joints, 'bot');
    h.setLatency(2);
    h.command({ mode: 'position', target: new Float64Array([1, 1]), feedforward: new Float64Array([0.1, 0.2]) }, 5);
    h.command({ mode: 'velocity', target: new Float64Array([2, 2]) }, 6);
    expect(h.pending).toBe(2);
    h.applyDue(6);
    expect(h.mode).toBe('effort'); // nothing due yet
    h.applyDue(7);
    expect([h.mode, ...h.target, ...h.ff]).toEqual(['position', 1, 1, 0.1, 0.2]);
    h.applyDue(8);
    expect([h.mode, ...h.target, ...h.ff, h.pending]).toEqual(['velocity', 2, 2, 0, 0, 0]);
  });

  it('a full ring drops the oldest pending command; setLatency and reset drop them all; reset holds zero effort with default gains', () => {
    const h = new CommandHold(joints, 'bot');
    h.setLatency(MAX_LATENCY_STEPS);
    for (let k = 0; k <= MAX_LATENCY_STEPS + 1; k++) h.command({ mode: 'position', target: new Float64Array([k, k]) }, 0);
    expect(h.pending).toBe(MAX_LATENCY_STEPS + 1);
    h.applyDue(MAX_LATENCY_STEPS);
    expect(h.target[0]).toBe(MAX_LATENCY_STEPS + 1); // the last one; command 0 was dropped
    h.command({ mode: 'position', target: new Float64Array([7, 7]), kp: new Float64Array([1, 1]) }, 0);
    h.setLatency(1);
    expect(h.pending).toBe(0);
    h.command({ mode: 'position', target: new Float64Array([7, 7]) }, 0);
    h.reset();
    expect([h.pending, h.mode, ...h.target, ...h.kp, ...h.kd, ...h.ff, h.latencySteps]).toEqual([0, 'effort', 0, 0, 10, 20, 1, 2, 0, 0, 1]);
    for (const bad of [-1, 1.5, MAX_LATENCY_STEPS + 1, Number.NaN]) expect(() => h.setLatency(bad)).toThrow(expect.objectContaining({ code: 'SIM_OPTION' }));
  });
});
