/**
 * Trains models/humanoid-balance: a linear policy (42 -> 12, tanh output; an Mlp with no hidden
 * layer) that keeps sim/robots/humanoid.urdf standing under random pushes, by Augmented Random
 * Search on rollouts in axon's own humanoid (cannon-es, or MuJoCo with --physics mujoco; the robot
 * comes from sim/session's factory, as for `axon sim`/`axon eval`) with the eval's full randomisation
 * (sim/robots/humanoid.ts: masses, friction, motor strength, sensor noise, latency, pushes,
 * initial pose). Observation terms and action are the Isaac Lab / legged_gym ones: base_ang_vel,
 * projected_gravity, joint_pos_rel, joint_vel, last_action -> joint_position relative to the
 * default pose, scale 0.25 rad, over the robot's PD (kp 250, kd 5).
 *
 * The parameters start at zero, which is exactly the zero-action baseline (hold the default pose
 * on PD); ARS then improves on it. Rollouts run in worker threads (--workers); every rollout is a
 * pure function of (parameters, seed), so the result is the same bytes for any worker count.
 *
 *   npx tsx models/train/humanoid.ts [--seed 1] [--out models/humanoid-balance] [--iterations 40]
 *     [--workers 2] [--eval-episodes 100] [--physics cannon|mujoco]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createTask, randomize, HUMANOID_LEG_JOINTS } from '../../sim/index.ts';
import { humanoidRandomization } from '../../sim/robots/humanoid.ts';
import { validateManifest, observationSize, actionSize, type ModelManifest } from '../../src/model/manifest.ts';
import { makeDirs } from '../../src/core/makeDirs.ts';
import { Rng } from '../../src/core/rng.ts';
import { Mlp } from './mlp.ts';
import { Rollout } from './rollout.ts';
import { arsUpdate } from './ars.ts';
import { mlpToOnnx, writeOnnxFile } from './onnx/writeOnnx.ts';
import { parseFlags, runScript, wholeFlag } from './script.ts';
import { runEval as runEvalWith, type EvalOptions, type EvalSummary } from '../../src/eval/evaluate.ts';
import { sessions, createSessionRobot, parsePhysics, type PhysicsEngine } from '../../sim/session/index.ts';
import { engineName, physicsFlag } from './physics.ts';

/** Eval in axon's own simulator. */
const runEval = (o: EvalOptions): Promise<EvalSummary> => runEvalWith(o, sessions);

export const humanoidManifest = (seed: number, physics: PhysicsEngine = 'cannon'): ModelManifest =>
  validateManifest({
    schema: 'axon.model/1',
    name: 'humanoid-balance',
    kind: 'policy',
    robot: 'humanoid',
    joints: HUMANOID_LEG_JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: {
      terms: [
        { term: 'base_ang_vel', scale: 0.25 },
        { term: 'projected_gravity' },
        { term: 'joint_pos_rel' },
        { term: 'joint_vel', scale: 0.05 },
        { term: 'last_action' },
      ],
    },
    action: { type: 'joint_position', scale: 0.25, clip: 1 },
    provenance: { script: 'models/train/humanoid.ts', seed, command: `npx tsx models/train/humanoid.ts --seed ${seed}${physicsFlag(physics)}` },
  });

/** ARS settings (Mania et al. 2018, V1-t) and the rollouts each evaluation averages. */
export interface HumanoidTrainConfig {
  readonly seed: number;
  readonly iterations: number;
  readonly directions: number;
  readonly top: number;
  readonly stepSize: number;
  readonly noise: number;
  /** Randomised episodes per evaluation of a parameter vector, and their length (s). */
  readonly episodesPerEval: number;
  readonly episodeS: number;
  /** Held-out episodes on which the checkpoints (every `checkpointEvery` iterations, and zero) are compared. */
  readonly validationEpisodes: number;
  readonly checkpointEvery: number;
  /** Physics engine of the rollouts (default cannon-es). */
  readonly physics?: PhysicsEngine;
}

export const defaultTrainConfig: HumanoidTrainConfig = {
  seed: 1,
  iterations: 40,
  directions: 8,
  top: 4,
  stepSize: 0.02,
  noise: 0.03,
  episodesPerEval: 3,
  episodeS: 5,
  validationEpisodes: 16,
  checkpointEvery: 10,
};

/** Effort cost per tick added to the task's reward (alive + upright, at most 2 per tick). */
const ACTION_COST = 0.05;

/**
 * The objective: mean return of `params` over `episodes` randomised episodes seeded from
 * `rolloutSeed`. A pure function of its arguments (a fresh robot state per episode), in `physics`.
 */
export async function makeObjective(episodes: number, episodeS: number, physics: PhysicsEngine = 'cannon'): Promise<(params: Float32Array, rolloutSeed: number) => number> {
  const manifest = humanoidManifest(0);
  const robot = await createSessionRobot('humanoid', physics);
  const rollout = await Rollout.open(robot, createTask('humanoid', { episodeS }), manifest);
  const mlp = new Mlp([observationSize(manifest), actionSize(manifest)], 'tanh', 'tanh', new Rng(0));
  const ticks = Math.round(episodeS * manifest.control_hz);
  const shaping = (_q: Float32Array, _v: Float32Array, a: Float32Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * a[i];
    return (-ACTION_COST * s) / a.length;
  };
  return (params, rolloutSeed) => {
    mlp.setParams(params);
    let total = 0;
    for (let e = 0; e < episodes; e++) {
      const seed = (rolloutSeed + e * 7919) >>> 0;
      robot.reset(seed);
      randomize(robot, new Rng(seed));
      total += rollout.run(mlp, ticks, shaping).ret;
    }
    return total / episodes;
  };
}

/** Evaluates batches of (params, seed) on worker threads (or inline with 0 workers); results in job order. */
class RolloutPool {
  private readonly workers: Worker[] = [];
  private readonly inline: Promise<(p: Float32Array, s: number) => number> | undefined;

  constructor(count: number, episodes: number, episodeS: number, physics: PhysicsEngine) {
    if (count === 0) {
      this.inline = makeObjective(episodes, episodeS, physics);
      return;
    }
    // Worker threads do not inherit tsx (docs/dependencies.md), and Node 20 ignores `--import tsx` in a
    // worker's execArgv: each worker registers tsx's loader itself, then imports the .ts worker.
    const tsx = import.meta.resolve('tsx/esm/api');
    const file = new URL('./humanoidWorker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file)}); });`;
    for (let i = 0; i < count; i++) this.workers.push(new Worker(boot, { eval: true, workerData: { episodes, episodeS, physics } }));
  }

  async run(jobs: { params: Float32Array; seed: number }[]): Promise<number[]> {
    if (this.inline) {
      const objective = await this.inline;
      return jobs.map((j) => objective(j.params, j.seed));
    }
    const results = new Array<number>(jobs.length);
    let next = 0;
    await Promise.all(
      this.workers.map(async (w) => {
        while (next < jobs.length) {
          const k = next++;
          results[k] = await new Promise<number>((resolve, reject) => {
            const onMessage = (m: { ret: number }) => {
              w.off('error', reject);
              resolve(m.ret);
            };
            w.once('message', onMessage);
            w.once('error', reject);
            w.postMessage({ params: jobs[k].params, seed: jobs[k].seed });
          });
        }
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface TrainResult {
  readonly mlp: Mlp;
  readonly manifest: ModelManifest;
  /** Validation return of each checkpoint (iteration -> mean return), iteration 0 = zero action. */
  readonly validation: Record<number, number>;
  readonly chosenIteration: number;
}

/**
 * ARS V1-t with the evaluations of one iteration run as a batch (same arithmetic as
 * models/train/ars.ts), then the checkpoint with the best held-out validation return is kept
 * (iteration 0, the zero-action policy, is a candidate: training never ships worse than the baseline
 * on its validation episodes).
 */
export async function trainHumanoid(c: HumanoidTrainConfig, workers: number, log: (l: string) => void = () => {}): Promise<TrainResult> {
  const physics = c.physics ?? 'cannon';
  const manifest = humanoidManifest(c.seed, physics);
  const mlp = new Mlp([observationSize(manifest), actionSize(manifest)], 'tanh', 'tanh', new Rng(c.seed));
  const n = mlp.numParams;
  const theta = new Float32Array(n); // zero: the baseline
  const pool = new RolloutPool(workers, c.episodesPerEval, c.episodeS, physics);
  const valPool = new RolloutPool(workers, 1, humanoidRandomization.pushFirstAfterS + 9, physics);
  const rng = new Rng(c.seed);
  const checkpoints = new Map<number, Float32Array>([[0, theta.slice()]]);
  try {
    for (let it = 0; it < c.iterations; it++) {
      const rolloutSeed = Math.floor(rng.next() * 0xffffffff);
      const deltas = Array.from({ length: c.directions }, () => Float32Array.from({ length: n }, () => rng.normal()));
      const jobs: { params: Float32Array; seed: number }[] = [];
      for (const d of deltas) {
        jobs.push({ params: theta.map((t, i) => t + c.noise * d[i]), seed: rolloutSeed });
        jobs.push({ params: theta.map((t, i) => t - c.noise * d[i]), seed: rolloutSeed });
      }
      const r = await pool.run(jobs);
      const plus = deltas.map((_, k) => r[2 * k]);
      const minus = deltas.map((_, k) => r[2 * k + 1]);
      arsUpdate(theta, deltas, plus, minus, c.top, c.stepSize);
      const all = r.reduce((s, x) => s + x, 0) / r.length;
      log(`iteration ${it}: mean return ${all.toFixed(2)} (max ${2 * c.episodeS * manifest.control_hz})`);
      if ((it + 1) % c.checkpointEvery === 0 || it === c.iterations - 1) checkpoints.set(it + 1, theta.slice());
    }
    // Held-out validation: the same episodes for every checkpoint (seeds outside the training draws).
    const valSeeds = Array.from({ length: c.validationEpisodes }, (_, k) => (0x7a11d000 + c.seed * 1000 + k) >>> 0);
    const validation: Record<number, number> = {};
    let best = 0;
    for (const [it, p] of checkpoints) {
      const r = await valPool.run(valSeeds.map((seed) => ({ params: p, seed })));
      validation[it] = Math.round((r.reduce((s, x) => s + x, 0) / r.length) * 100) / 100;
      log(`validation: iteration ${it} mean return ${validation[it]} on ${valSeeds.length} held-out 10 s episodes`);
      if (validation[it] > validation[best]) best = it;
    }
    mlp.setParams(checkpoints.get(best)!);
    return { mlp, manifest, validation, chosenIteration: best };
  } finally {
    await pool.close();
    await valPool.close();
  }
}

/** Trains, writes model.onnx + manifest.json into `out`, evaluates like `axon eval` and writes the README. */
export async function buildHumanoidModel(seed: number, out: string, opts: { iterations?: number; workers?: number; evalEpisodes?: number; physics?: PhysicsEngine } = {}, log: (l: string) => void = console.log): Promise<void> {
  const physics = opts.physics ?? 'cannon';
  const config = { ...defaultTrainConfig, seed, iterations: opts.iterations ?? defaultTrainConfig.iterations, physics };
  const t0 = performance.now();
  const result = await trainHumanoid(config, opts.workers ?? 2, log);
  const trainS = (performance.now() - t0) / 1000;
  makeDirs(out);
  const sha = await writeOnnxFile(join(out, 'model.onnx'), mlpToOnnx(result.mlp, { inputName: 'obs', outputName: 'action', docString: 'axon humanoid-balance: ARS-trained linear policy, see models/train/humanoid.ts' }));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(result.manifest, null, 2) + '\n');
  log(`wrote ${out}/model.onnx (sha256 ${sha}) after ${trainS.toFixed(0)} s of training; kept iteration ${result.chosenIteration}`);
  const episodes = opts.evalEpisodes ?? 100;
  // Evaluated in the engine it was trained in.
  const evalArgs = { robot: 'humanoid', policy: out, episodes, seed: 1, randomize: true, physicsHz: 500, physics };
  const trained = await runEval(evalArgs);
  const zero = await runEval({ ...evalArgs, zeroPolicy: true });
  log(`eval: success_rate ${trained.success_rate} (zero-action baseline ${zero.success_rate})`);
  const command = `npx axon eval --robot humanoid --policy ${out} --episodes ${episodes} --randomize --seed 1${physicsFlag(physics)} --json`;
  const withEval = validateManifest({
    ...result.manifest,
    provenance: { ...result.manifest.provenance, eval: { command, success_rate: trained.success_rate, mean_return: trained.mean_return, zero_action_success_rate: zero.success_rate, zero_action_mean_return: zero.mean_return } },
  });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(withEval, null, 2) + '\n');
  writeFileSync(join(out, 'README.md'), humanoidReadme(config, result, sha, trained, zero, command));
}

function humanoidReadme(c: HumanoidTrainConfig, r: TrainResult, sha: string, trained: EvalSummary, zero: EvalSummary, command: string): string {
  const h = humanoidRandomization;
  const physics = c.physics ?? 'cannon';
  return `# humanoid-balance

A linear policy (42 inputs -> 12 outputs, tanh; ${r.mlp.numParams} parameters) that keeps
\`sim/robots/humanoid.urdf\` (29.9 kg, 1.31 m, 12 leg + 4 arm joints) standing under random pushes.
Observation (Isaac Lab / legged_gym terms): \`base_ang_vel\` ×0.25, \`projected_gravity\`,
\`joint_pos_rel\`, \`joint_vel\` ×0.05, \`last_action\` over the 12 leg joints; action
\`joint_position\` relative to the default pose (knees 0.6 rad, hips and ankles −0.3 rad), clip ±1,
scale 0.25 rad, tracked by the robot's PD (kp 250 N·m/rad, kd 5 N·m·s/rad on the legs); arms hold
their default pose. 50 Hz policy over 500 Hz physics.

## How it was made
\`npx tsx models/train/humanoid.ts --seed ${c.seed} --iterations ${c.iterations}${physicsFlag(physics)}\` (2 worker threads; the script prints its wall time, which depends on the machine):
Augmented Random Search (Mania et al. 2018, V1-t: ${c.directions} directions, top ${c.top}, step ${c.stepSize},
noise ${c.noise}, ${c.iterations} iterations) starting from all-zero parameters (= the zero-action
baseline), each evaluation ${c.episodesPerEval} randomised ${c.episodeS} s episodes in axon's own ${engineName(physics)}
humanoid through the same observation builder, action mapper and safety supervisor as the
runtime. Reward: the task's 1 (alive) + uprightness per tick, minus ${ACTION_COST}·mean(action²).
Checkpoints every ${c.checkpointEvery} iterations and the zero policy were compared on ${c.validationEpisodes} held-out
randomised 10 s episodes (mean return: ${Object.entries(r.validation).map(([k, v]) => `iteration ${k}: ${v}`).join(', ')});
iteration ${r.chosenIteration} was kept. Deterministic under the seed, for any worker count (model.onnx
sha256 \`${sha}\`).

## How well it does
Randomised eval (\`--randomize\`, sim/robots/humanoid.ts \`humanoidRandomization\`): pushes of
${h.pushForce[0]}-${h.pushForce[1]} N for ${h.pushDurationS} s on the torso, horizontal, random direction, every ${h.pushInterval[0]}-${h.pushInterval[1]} s from t = ${h.pushFirstAfterS} s;
body masses ×${h.massScale.join('-')}, friction ${h.friction.join('-')}, kp ×${h.kpScale.join('-')}, kd ×${h.kdScale.join('-')}, effort limit
×${h.effortScale.join('-')}, action latency ${h.latencySteps[0]}-${h.latencySteps[1]} physics steps, sensor noise and IMU bias, initial joint
offsets ±${h.initialJointOffset} rad. 20 s episodes; success = never fallen (pelvis above 0.55 m and tilted
less than 0.7 rad for the whole episode).

| policy | command | success_rate | mean_return (max 2000) |
|---|---|---|---|
| humanoid-balance | \`${command}\` | ${trained.success_rate} | ${trained.mean_return} |
| zero action (baseline: hold the default pose, same PD) | same with \`--zero-policy\` | ${zero.success_rate} | ${zero.mean_return} |
`;
}

/** The script's command line (`args`: the flags, default the process's). */
export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseFlags({
    args,
    options: {
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'models/humanoid-balance' },
      iterations: { type: 'string', default: String(defaultTrainConfig.iterations) },
      workers: { type: 'string', default: '2' },
      'eval-episodes': { type: 'string', default: '100' },
      physics: { type: 'string', default: 'cannon' },
    },
  });
  await buildHumanoidModel(wholeFlag('--seed', values.seed!, 0), values.out!, {
    iterations: wholeFlag('--iterations', values.iterations!, 1),
    workers: wholeFlag('--workers', values.workers!, 0),
    evalEpisodes: wholeFlag('--eval-episodes', values['eval-episodes']!, 1),
    physics: parsePhysics(values.physics!),
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await runScript(import.meta.url, () => main());
