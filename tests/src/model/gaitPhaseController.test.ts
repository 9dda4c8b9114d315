/**
 * The gait clock as unitree's C++ controllers compute it (unitreerobotics/unitree_rl_mjlab deploy/,
 * as its forks hold it: include/isaaclab/envs/manager_based_rl_env.h reset() and step(),
 * manager/observation_manager.h reset(), envs/mdp/observations/observations.h gait_phase), written
 * out in float32 and compared with axon's gait_phase term value for value:
 *
 *   reset():  global_phase = 0; ... observation_manager->reset()   // calls gait_phase() once
 *   step():   ... observation_manager->compute()                   // calls gait_phase() again
 *   gait_phase(): global_phase = fmod(global_phase + step_dt / period, 1);
 *                 cmd = velocity_commands() (the joystick clamped to the ranges);
 *                 [sin 2π·global_phase, cos 2π·global_phase], both 0 if ‖cmd‖ < 0.1
 *
 * so the first policy step reads two steps into the cycle (count_from 2), and the clock runs on while
 * the output is zeroed. unitree_rl_lab's controller is the same without the gate.
 */
import { describe, expect, it } from 'vitest';
import { createObservation } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { joint, manifest, spec } from '../../helpers/fakes.ts';

const robot = spec([joint('b'), joint('a')], true);
const f = Math.fround;

/** The controller's gait_phase, one call per element of `cmds` after the reset call. */
function controller(cmds: readonly (readonly [number, number, number])[], stepDt: number, period: number, gate: number | undefined): number[][] {
  let global = f(0);
  const call = (cmd: readonly number[]) => {
    global = f(f(global + f(stepDt * f(1 / period))) % 1);
    const norm = f(Math.sqrt(f(f(cmd[0] * cmd[0]) + f(cmd[1] * cmd[1]) + f(cmd[2] * cmd[2]))));
    if (gate !== undefined && norm < gate) return [0, 0];
    return [f(Math.sin(global * 2 * Math.PI)), f(Math.cos(global * 2 * Math.PI))];
  };
  call(cmds[0]); // ObservationManager::reset(): evaluated once, filling the term's history
  return cmds.map(call);
}

describe('gait_phase as unitree\'s C++ controllers compute it', () => {
  // Standing, a command of norm 0.087 (still standing), walking, a command of norm exactly 0.1 (not standing: the test is <), standing again.
  const cmds: [number, number, number][] = [
    ...Array.from({ length: 7 }, () => [0, 0, 0] as [number, number, number]),
    ...Array.from({ length: 5 }, () => [0.05, 0.05, 0.05] as [number, number, number]),
    ...Array.from({ length: 40 }, (_, k) => [0.5, 0, 0.2 * Math.sin(k)] as [number, number, number]),
    [0.1, 0, 0],
    [0, 0, 0],
    ...Array.from({ length: 30 }, () => [0, 0.6, 0] as [number, number, number]),
  ];

  it('count_from 2 and stand_below 0.1 give unitree_rl_mjlab\'s controller, step for step, the clock running while zeroed', () => {
    const m = validateManifest(manifest({ control_hz: 50, observation: { terms: [{ term: 'velocity_commands' }, { term: 'gait_phase', period: 0.6, count_from: 2, stand_below: 0.1 }] } }));
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    const want = controller(cmds, 0.02, 0.6, 0.1);
    let zeroed = 0;
    cmds.forEach((c, k) => {
      b.velocityCommand.set(c);
      const out = b.build(obs, new Float32Array(2));
      // The controller sums the phase in float32 (drifting by up to 5e-6 over these steps); axon computes k·dt in double.
      expect(out[3], `step ${k}`).toBeCloseTo(want[k][0], 4);
      expect(out[4], `step ${k}`).toBeCloseTo(want[k][1], 4);
      const zero = want[k][0] === 0 && want[k][1] === 0;
      expect(out[3] === 0 && out[4] === 0, `step ${k}`).toBe(zero);
      if (zero) zeroed++;
    });
    expect(zeroed).toBe(13); // 7 standing, 5 below 0.1, 1 standing again
    // The first walking step (k = 12) reads the clock 14 steps in: it ran while the output was zero.
    expect(want[12][0]).toBeCloseTo(Math.sin((2 * Math.PI * 14 * 0.02) / 0.6), 4);
  });

  it('unitree_rl_lab\'s controller (no gate) reads two steps in on its first step too; the default count_from 1 is one step behind it', () => {
    const walk = cmds.map(() => [0.5, 0, 0] as const);
    const want = controller(walk, 0.02, 0.6, undefined);
    const two = new ObservationBuilder(validateManifest(manifest({ control_hz: 50, observation: { terms: [{ term: 'gait_phase', period: 0.6, count_from: 2 }] } })), robot);
    const one = new ObservationBuilder(validateManifest(manifest({ control_hz: 50, observation: { terms: [{ term: 'gait_phase', period: 0.6 }] } })), robot);
    const obs = createObservation(robot);
    for (let k = 0; k < walk.length; k++) {
      const a = two.build(obs, new Float32Array(2));
      expect(a[0]).toBeCloseTo(want[k][0], 4);
      expect(a[1]).toBeCloseTo(want[k][1], 4);
      const b = one.build(obs, new Float32Array(2));
      if (k > 0) expect(b[0]).toBeCloseTo(want[k - 1][0], 4);
    }
  });

  it('refuses stand_below off a gait_phase term, stand_below with no command in the observation, and a count_from of 3', () => {
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'velocity_commands', stand_below: 0.1 }] } }))).toThrow(
      /observation\/terms\/0\/stand_below: is given on term velocity_commands \(expected stand_below only on a gait_phase term\)/,
    );
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'gait_phase', period: 0.6, stand_below: 0.1 }] } }))).toThrow(
      /observation\/terms\/0\/stand_below: gates the gait clock on the velocity command, but no term reads the command \(expected a velocity_commands term in the observation \(the command the gate reads\)\)/,
    );
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'velocity_commands' }, { term: 'gait_phase', period: 0.6, stand_below: 0 }] } }))).toThrow(/observation\/terms\/1\/stand_below/);
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'gait_phase', period: 0.6, count_from: 3 as 2 }] } }))).toThrow(/observation\/terms\/0\/count_from/);
  });
});
