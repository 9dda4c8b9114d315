/**
 * Trains models/cartpole-balance: a 4 -> 16 -> 1 tanh MLP pushing the cart (joint effort on the
 * slider) to keep the pole upright, by Augmented Random Search on rollouts in axon's own cartpole
 * (cannon-es, or MuJoCo with --physics mujoco; the robot comes from sim/session's factory, as for
 * `axon sim`/`axon eval`) with the eval's randomisation (pole angle ±0.1 rad, pole mass ±20%).
 * Deterministic under the seed in either engine: same seed and engine, same bytes in model.onnx.
 *
 *   npx tsx models/train/cartpole.ts [--seed 1] [--out models/cartpole-balance] [--iterations 150]
 *     [--physics cannon|mujoco] [--init models/cartpole-balance]
 *
 * `--init DIR` fine-tunes: ARS starts from that model folder's weights (a cartpole-balance model:
 * same observation, action and network) instead of small random ones.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTask, randomize } from '../../sim/index.ts';
import { validateManifest, observationSize, actionSize, loadModelFolder, type ModelManifest } from '../../src/model/manifest.ts';
import { UsageError } from '../../src/core/errors.ts';
import { readMlpWeights } from './onnx/readMlp.ts';
import { Mlp } from './mlp.ts';
import { makeDirs } from '../../src/core/makeDirs.ts';
import { Rng } from '../../src/core/rng.ts';
import { ars } from './ars.ts';
import { Rollout } from './rollout.ts';
import { engineName, physicsFlag } from './physics.ts';
import { mlpToOnnx, writeOnnxFile } from './onnx/writeOnnx.ts';
import { parseFlags, runScript, wholeFlag } from './script.ts';
import { runEval as runEvalWith, type EvalOptions, type EvalSummary } from '../../src/eval/evaluate.ts';
import { sessions, createSessionRobot, parsePhysics, type PhysicsEngine } from '../../sim/session/index.ts';

/** Eval in axon's own simulator. */
const runEval = (o: EvalOptions): Promise<EvalSummary> => runEvalWith(o, sessions);

export const cartpoleManifest = (seed: number, physics: PhysicsEngine = 'cannon', init?: string): ModelManifest =>
  validateManifest({
    schema: 'axon.model/1',
    name: 'cartpole-balance',
    kind: 'policy',
    robot: 'cartpole',
    joints: ['slider', 'hinge'],
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: {
      terms: [
        { term: 'joint_pos', scale: [0.5, 2] },
        { term: 'joint_vel', scale: [0.5, 0.5] },
      ],
    },
    action: { type: 'joint_effort', joints: ['slider'], scale: 20, clip: 1 },
    provenance: { script: 'models/train/cartpole.ts', seed, command: `npx tsx models/train/cartpole.ts --seed ${seed}${physicsFlag(physics)}${init !== undefined ? ` --init ${init}` : ''}` },
  });

export interface TrainOptions {
  readonly seed: number;
  readonly iterations: number;
  readonly episodesPerEval: number;
  readonly episodeS: number;
  /** Physics engine of the rollouts (default cannon-es). */
  readonly physics?: PhysicsEngine;
  /** A cartpole-balance model folder to start from (fine-tuning); absent: small random weights. */
  readonly init?: string;
  readonly log?: (line: string) => void;
}

/** The weights of the cartpole-balance model in `dir`, for `mlp`; UsageError naming --init when it is another kind of model. */
function initialWeights(dir: string, mlp: Mlp, manifest: ModelManifest): Float32Array {
  const folder = loadModelFolder(dir);
  const same = (m: ModelManifest) => JSON.stringify([m.robot, m.joints, m.control_hz, m.observation, m.action]);
  if (same(folder.manifest) !== same(manifest))
    throw new UsageError('--init', `${dir} is not a cartpole-balance model (robot, joints, rate, observation or action differ)`, 'a folder written by models/train/cartpole.ts');
  readMlpWeights(readFileSync(folder.onnxPath), mlp, folder.onnxPath);
  return mlp.getParams();
}

export async function trainCartpole(o: TrainOptions): Promise<{ mlp: Mlp; manifest: ModelManifest }> {
  const physics = o.physics ?? 'cannon';
  const manifest = cartpoleManifest(o.seed, physics, o.init);
  const mlp = new Mlp([observationSize(manifest), 16, actionSize(manifest)], 'tanh', 'tanh', new Rng(o.seed));
  // Start from small weights: a near-zero push, so early rollouts are informative (or from --init's).
  const theta = o.init !== undefined ? initialWeights(o.init, mlp, manifest) : Float32Array.from(mlp.params, (w) => 0.1 * w);
  const robot = await createSessionRobot('cartpole', physics);
  const rollout = await Rollout.open(robot, createTask('cartpole'), manifest);
  const ticks = Math.round(o.episodeS * manifest.control_hz);
  // Shaping: keep the cart near the centre and the pole still, on top of the task's 1 per tick.
  const shaping = (q: Float32Array, v: Float32Array, a: Float32Array) => -(0.05 * q[0] * q[0] + 0.5 * q[1] * q[1] + 0.01 * v[0] * v[0] + 0.01 * a[0] * a[0]);
  const objective = (params: Float32Array, rolloutSeed: number): number => {
    mlp.setParams(params);
    let total = 0;
    for (let e = 0; e < o.episodesPerEval; e++) {
      const seed = (rolloutSeed + e * 7919) >>> 0;
      robot.reset(seed);
      randomize(robot, new Rng(seed));
      total += rollout.run(mlp, ticks, shaping).ret;
    }
    return total / o.episodesPerEval;
  };
  ars(theta, objective, { directions: 8, top: 4, stepSize: 0.02, noise: 0.03, iterations: o.iterations, seed: o.seed }, (p) => {
    if (p.iteration % 5 === 0 || p.iteration === o.iterations - 1) o.log?.(`iteration ${p.iteration}: mean return ${p.meanReturn.toFixed(2)} (max ${ticks})`);
  });
  mlp.setParams(theta);
  await rollout.close();
  return { mlp, manifest };
}

/** Trains, writes model.onnx + manifest.json into `out`, evaluates like `axon eval` and writes the README. */
export async function buildCartpoleModel(seed: number, out: string, iterations = 150, log: (l: string) => void = console.log, physics: PhysicsEngine = 'cannon', init?: string): Promise<void> {
  const t0 = performance.now();
  const { mlp, manifest } = await trainCartpole({ seed, iterations, episodesPerEval: 2, episodeS: 5, physics, log, ...(init !== undefined ? { init } : {}) });
  const trainS = (performance.now() - t0) / 1000;
  makeDirs(out);
  const sha = await writeOnnxFile(join(out, 'model.onnx'), mlpToOnnx(mlp, { inputName: 'obs', outputName: 'action', docString: 'axon cartpole-balance: ARS-trained MLP, see models/train/cartpole.ts' }));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(`wrote ${out}/model.onnx (sha256 ${sha}) after ${trainS.toFixed(1)} s of training`);
  // Evaluated in the engine it was trained in.
  const evalArgs = { robot: 'cartpole', policy: out, episodes: 100, seed: 1, randomize: true, physicsHz: 500, physics };
  const trained = await runEval(evalArgs);
  const zero = await runEval({ ...evalArgs, zeroPolicy: true });
  log(`eval: success_rate ${trained.success_rate} (zero-action baseline ${zero.success_rate})`);
  const withEval = validateManifest({ ...manifest, provenance: { ...manifest.provenance, eval: { command: `npx axon eval --robot cartpole --policy ${out} --episodes 100 --randomize --seed 1${physicsFlag(physics)} --json`, success_rate: trained.success_rate, mean_return: trained.mean_return, zero_action_success_rate: zero.success_rate } } });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(withEval, null, 2) + '\n');
  writeFileSync(join(out, 'README.md'), cartpoleReadme(seed, iterations, sha, trained, zero, out, physics, init));
}

function cartpoleReadme(seed: number, iterations: number, sha: string, trained: EvalSummary, zero: EvalSummary, out: string, physics: PhysicsEngine, init?: string): string {
  const flag = physicsFlag(physics);
  const shipped = physics === 'cannon' && init === undefined;
  // The shipped folder: `npm run models` made it; otherwise the script with its flags.
  const made = shipped ? `\`npm run models\` (or \`npx tsx models/train/cartpole.ts --seed ${seed}\`)` : `\`npx tsx models/train/cartpole.ts --seed ${seed}${flag}${init !== undefined ? ` --init ${init}` : ''} --iterations ${iterations} --out ${out}\``;
  const start = init !== undefined ? `, starting from the weights of \`${init}\`` : '';
  return `# cartpole-balance

A 4 -> 16 -> 1 tanh MLP (97 parameters) that balances the pole of \`sim/robots/cartpole.urdf\` by
pushing the cart: observation \`joint_pos\` (cart x, pole angle) and \`joint_vel\`, scaled; action
\`joint_effort\` on the slider, clip ±1, scale 20 N; 50 Hz policy over 500 Hz physics.

## How it was made
${made}: Augmented Random Search
(Mania et al. 2018, V1-t: 8 directions, top 4, step 0.02, noise 0.03, ${iterations} iterations${start}), each
evaluation 2 randomised 5 s episodes in axon's own ${engineName(physics)} cartpole, through the same observation
builder, action mapper and safety supervisor as the runtime. Reward: the task's 1 per tick upright
plus a small shaping cost on cart position, pole angle, cart speed and effort. Deterministic under
the seed (model.onnx sha256 \`${sha}\`).

## How well it does
Randomised eval (initial pole angle up to ±0.1 rad, pole mass ±20 %, 10 s episodes; success =
pole within ±12° and cart within ±2.4 m for the whole episode):

| policy | command | success_rate | mean_return |
|---|---|---|---|
| cartpole-balance | \`npx axon eval --robot cartpole --policy ${shipped ? 'models/cartpole-balance' : out} --episodes 100 --randomize --seed 1${flag} --json\` | ${trained.success_rate} | ${trained.mean_return} |
| zero action (baseline) | same with \`--zero-policy\` | ${zero.success_rate} | ${zero.mean_return} |
`;
}

/** The script's command line (`args`: the flags, default the process's). */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseFlags({ args, options: { seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'models/cartpole-balance' }, iterations: { type: 'string', default: '150' }, physics: { type: 'string', default: 'cannon' }, init: { type: 'string' } } });
  await buildCartpoleModel(wholeFlag('--seed', values.seed!, 0), values.out!, wholeFlag('--iterations', values.iterations!, 0), console.log, parsePhysics(values.physics!), values.init);
}

if (import.meta.url === `file://${process.argv[1]}`) await runScript(import.meta.url, () => main());
