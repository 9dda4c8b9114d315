/**
 * Trains models/cartpole-wm: residual MLP dynamics of the cart-pole (sim/robots/cartpole.urdf) at
 * the 50 Hz control period, from rollouts of the shipped cartpole-balance policy with action noise
 * of random strength (std 0–1.5) and from piecewise-constant random pushes near upright, pole mass
 * ±20 %; episodes end once the pole is past 0.8 rad or the cart past 2.8 m. Declares the shield's
 * constraints (the balance task's limits with a margin) and the surprise monitor's defaults.
 *
 *   npx tsx models/train/worldmodel/cartpole.ts [--seed 1] [--out models/cartpole-wm] [--epochs 30]
 */
import { parseArgs } from 'node:util';
import { createSimRobot } from '../../../sim/index.ts';
import { loadModelFolder, validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { SimulatedRobot } from '../../../src/core/robot.ts';
import type { Rng } from '../../../src/core/rng.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import type { Controller, EpisodePlan } from './dynamics.ts';
import { trainWorldModel, type WorldModelBuild } from './build.ts';

export function cartpoleWmManifest(seed: number): Omit<ModelManifest, 'world_model'> {
  return {
    schema: 'axon.model/1',
    name: 'cartpole-wm',
    kind: 'world-model',
    robot: 'cartpole',
    joints: ['slider', 'hinge'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'state', action_input: 'action', output: 'delta' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }] },
    action: { type: 'joint_effort', joints: ['slider'], scale: 20, clip: 1 },
    provenance: { script: 'models/train/worldmodel/cartpole.ts', seed, command: `npx tsx models/train/worldmodel/cartpole.ts --seed ${seed}` },
  };
}

/** The balance task's limits (pole ±12° = 0.2094 rad, cart ±2.4 m) with a margin. */
export const cartpoleConstraints = [
  { name: 'pole_angle', state: 'joint_pos.hinge', lower: -0.19, upper: 0.19 },
  { name: 'cart_position', state: 'joint_pos.slider', lower: -2.2, upper: 2.2 },
];

/** Balance cost (for planning on the cart-pole). */
export const cartpoleCost = {
  terms: [
    { state: 'joint_pos.hinge', target: 0, weight: 10 },
    { state: 'joint_pos.slider', target: 0, weight: 0.1 },
    { state: 'joint_vel.hinge', target: 0, weight: 0.1 },
    { state: 'joint_vel.slider', target: 0, weight: 0.01 },
  ],
  action_weight: 0.01,
};

function init(robot: SimulatedRobot, rng: Rng, angle: number): void {
  const r = robot as unknown as { setEpisodeInitialState(p: number[], v: number[]): void; setLinkMass(l: string, kg: number): void; nominalLinkMass(l: string): number; reset(): void };
  r.setEpisodeInitialState([rng.uniform(-0.5, 0.5), rng.uniform(-angle, angle)], [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)]);
  r.setLinkMass('pole', r.nominalLinkMass('pole') * rng.uniform(0.8, 1.2));
  r.reset();
}

const outside = (s: Float32Array) => Math.abs(s[1]) > 0.8 || Math.abs(s[0]) > 2.8;

export async function buildCartpoleWm(seed: number, out: string, epochs = 30, log: (l: string) => void = console.log): Promise<WorldModelBuild> {
  const robot = createSimRobot('cartpole');
  const policy = await OnnxPolicy.load(loadModelFolder('models/cartpole-balance'));
  const input = new Float32Array(4);
  const noisyPolicy = (rng: Rng): Controller => {
    const std = rng.uniform(0, 1.5);
    return (s, _k, o) => {
      input[0] = 0.5 * s[0];
      input[1] = 2 * s[1];
      input[2] = 0.5 * s[2];
      input[3] = 0.5 * s[3];
      const write = (a: Float32Array) => {
        o[0] = Math.max(-1, Math.min(1, a[0] + std * rng.normal()));
      };
      // A synchronous session answers on the loop's tick (no promise raced against its deadline).
      const a = policy.act(input);
      return a instanceof Promise ? a.then(write) : write(a);
    };
  };
  const randomPushes = (rng: Rng): Controller => {
    let hold = 0, u = 0;
    return (_s, _k, o) => {
      if (hold-- <= 0) {
        hold = 1 + rng.int(8);
        u = rng.uniform(-1, 1);
      }
      o[0] = u;
    };
  };
  const plans: EpisodePlan[] = [];
  for (let e = 0; e < 300; e++)
    plans.push({ seed: (seed * 1_000_003 + e) >>> 0, ticks: 250, init: (r, rng) => init(r, rng, 0.15), controller: noisyPolicy, stop: outside });
  for (let e = 0; e < 400; e++)
    plans.push({ seed: (seed * 1_000_003 + 500_000 + e) >>> 0, ticks: 60, init: (r, rng) => init(r, rng, 0.3), controller: randomPushes, stop: outside });
  try {
    return await trainWorldModel({
      robot,
      base: cartpoleWmManifest(seed),
      plans,
      angles: ['joint_pos.hinge'],
      cost: cartpoleCost,
      constraints: cartpoleConstraints,
      monitor: { threshold: 1, ticks: 5, stop_ticks: 25 },
      hidden: [64, 64],
      epochs,
      seed,
      out,
      log,
      validate: validateManifest,
    });
  } finally {
    await policy.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'models/cartpole-wm' }, epochs: { type: 'string', default: '30' } } });
  await buildCartpoleWm(Number(values.seed), values.out!, Number(values.epochs));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
