/**
 * Trains models/pendulum-wm: residual MLP dynamics of the torque-limited pendulum
 * (sim/robots/pendulum.urdf: 1 m, 1 kg, ±2 N·m) at the 50 Hz control period, from random-action
 * episodes over the whole state space and energy-pumping + balancing controller episodes (the
 * swing-up region a planner visits), pole mass ±20 %. Deterministic under the seed.
 *
 *   npx tsx models/train/worldmodel/pendulum.ts [--seed 1] [--out models/pendulum-wm] [--epochs 30]
 */
import { parseArgs } from 'node:util';
import { createSimRobot } from '../../../sim/index.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { SimulatedRobot } from '../../../src/core/robot.ts';
import type { Rng } from '../../../src/core/rng.ts';
import type { Controller, EpisodePlan } from './dynamics.ts';
import { trainWorldModel, type WorldModelBuild } from './build.ts';

const INERTIA = 1 / 3; // kg·m², rod of 1 kg, 1 m about its end
const MGL = 9.81 * 0.5; // N·m, m·g·(l/2)

export function pendulumWmManifest(seed: number): Omit<ModelManifest, 'world_model'> {
  return {
    schema: 'axon.model/1',
    name: 'pendulum-wm',
    kind: 'world-model',
    robot: 'pendulum',
    joints: ['joint'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'state', action_input: 'action', output: 'delta' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
    action: { type: 'joint_effort', joints: ['joint'], scale: 2, clip: 1 },
    provenance: { script: 'models/train/worldmodel/pendulum.ts', seed, command: `npx tsx models/train/worldmodel/pendulum.ts --seed ${seed}` },
  };
}

/** Swing-up cost: upright and still, small effort, and energy shaping towards the upright energy. */
export const pendulumCost = {
  terms: [
    { state: 'joint_pos.joint', target: 0, weight: 1 },
    { state: 'joint_vel.joint', target: 0, weight: 0.1 },
  ],
  action_weight: 0.01,
  terminal_weight: 1,
  energy: { angle: 'joint_pos.joint', velocity: 'joint_vel.joint', inertia: INERTIA, mgl: MGL, weight: 3 },
};

function massInit(robot: SimulatedRobot, rng: Rng, angle: number, velocity: number): void {
  const r = robot as unknown as { setEpisodeInitialState(p: number[], v: number[]): void; setLinkMass(l: string, kg: number): void; nominalLinkMass(l: string): number; reset(): void };
  r.setEpisodeInitialState([angle], [velocity]);
  r.setLinkMass('pole', r.nominalLinkMass('pole') * rng.uniform(0.8, 1.2));
  r.reset();
}

/** Piecewise-constant random actions (hold 1–10 ticks), a third of the holds saturated. */
const randomActions = (rng: Rng): Controller => {
  let hold = 0, u = 0;
  return (_s, _k, out) => {
    if (hold-- <= 0) {
      hold = 1 + rng.int(10);
      u = rng.next() < 0.33 ? (rng.next() < 0.5 ? -1 : 1) : rng.uniform(-1, 1);
    }
    out[0] = u;
  };
};

/** Energy pumping towards the upright energy, PD balance near the top, with action noise. */
const pumpAndBalance = (rng: Rng): Controller => {
  const noise = rng.uniform(0, 0.5);
  const gain = rng.uniform(0.5, 3);
  return (s, _k, out) => {
    const th = s[0], w = s[1];
    const e = 0.5 * INERTIA * w * w + MGL * Math.cos(th);
    let u = Math.abs(th) < 0.5 ? -(20 * th + 3 * w) / 2 : gain * (MGL - e) * w;
    u += noise * rng.normal();
    out[0] = Math.max(-1, Math.min(1, u));
  };
};

export function pendulumPlans(seed: number, random: number, pumped: number): EpisodePlan[] {
  const plans: EpisodePlan[] = [];
  for (let e = 0; e < random; e++)
    plans.push({
      seed: (seed * 1_000_003 + e) >>> 0,
      ticks: 100,
      init: (robot, rng) => massInit(robot, rng, rng.uniform(-Math.PI, Math.PI), rng.uniform(-6, 6)),
      controller: randomActions,
    });
  for (let e = 0; e < pumped; e++)
    plans.push({
      seed: (seed * 1_000_003 + 500_000 + e) >>> 0,
      ticks: 300,
      init: (robot, rng) => massInit(robot, rng, Math.PI + rng.uniform(-0.3, 0.3), rng.uniform(-0.5, 0.5)),
      controller: pumpAndBalance,
    });
  return plans;
}

export async function buildPendulumWm(seed: number, out: string, epochs = 30, log: (l: string) => void = console.log): Promise<WorldModelBuild> {
  const robot = createSimRobot('pendulum');
  return trainWorldModel({
    robot,
    base: pendulumWmManifest(seed),
    plans: pendulumPlans(seed, 500, 120),
    angles: ['joint_pos.joint'],
    cost: pendulumCost,
    hidden: [64, 64],
    epochs,
    seed,
    out,
    log,
    validate: validateManifest,
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'models/pendulum-wm' }, epochs: { type: 'string', default: '30' } } });
  await buildPendulumWm(Number(values.seed), values.out!, Number(values.epochs));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
