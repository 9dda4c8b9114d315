/**
 * The common path of every world-model training script: collect (through a session from
 * src/session, the runtime's own loop) -> split (every 5th episode held
 * out) -> normalise -> fit -> measure -> export ONNX + manifest.json, check the ONNX file against
 * the JS network through the runtime's own OnnxWorldModel, and write the README figures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../../src/core/makeDirs.ts';
import type { SimulatedRobot } from '../../../src/core/robot.ts';
import { loadModelFolder, type ModelManifest } from '../../../src/model/manifest.ts';
import { worldModelStateNames, type WorldModelSpec } from '../../../src/model/worldModelManifest.ts';
import { OnnxWorldModel } from '../../../src/worldmodel/OnnxWorldModel.ts';
import { writeOnnxFile } from '../onnx/writeOnnx.ts';
import { collect, dynamicsToOnnx, fit, MlpDynamics, normalisation, openCollectSession, rolloutError, split, type EpisodePlan, type RolloutError } from './dynamics.ts';

export interface WorldModelTraining {
  /** The simulated robot the transitions are collected on (its session owns it: closed after collection). */
  readonly robot: SimulatedRobot;
  /** The manifest without its world_model section (filled in here). */
  readonly base: Omit<ModelManifest, 'world_model'>;
  readonly plans: readonly EpisodePlan[];
  readonly angles: readonly string[];
  readonly cost?: WorldModelSpec['cost'];
  readonly constraints?: WorldModelSpec['constraints'];
  readonly monitor?: WorldModelSpec['monitor'];
  readonly hidden: readonly number[];
  readonly epochs: number;
  readonly seed: number;
  readonly out: string;
  readonly log: (line: string) => void;
  readonly validate: (raw: unknown, file?: string) => ModelManifest;
}

export interface WorldModelBuild {
  readonly manifest: ModelManifest;
  readonly sha: string;
  readonly error: RolloutError;
  readonly trainTransitions: number;
  readonly onnxMaxDiff: number;
  readonly trainS: number;
}

export async function trainWorldModel(o: WorldModelTraining): Promise<WorldModelBuild> {
  const t0 = performance.now();
  const names = worldModelStateNames(o.base as ModelManifest);
  const isAngle = Uint8Array.from(names, (n) => (o.angles.includes(n) ? 1 : 0));
  const session = await openCollectSession(o.robot, o.base as ModelManifest);
  let data;
  try {
    data = await collect(session, o.plans);
  } finally {
    await session.close();
  }
  const { train, test } = split(data, 5);
  const trainN = train.s.length / train.S;
  o.log(`${o.base.name}: ${trainN} training transitions, ${test.s.length / test.S} held out (${test.episodes.length - 1} episodes), collected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const norm = normalisation(train, isAngle);
  const mlp = fit(train, norm, isAngle, { hidden: o.hidden, epochs: o.epochs, batch: 256, lr: 3e-3, seed: o.seed, log: o.log });
  const dyn = new MlpDynamics(mlp, norm, isAngle, train.S, train.A);
  const error = rolloutError(dyn, test, 20);
  o.log(`held-out RMS error (${names.join(', ')}): 1 step [${error.oneStep.join(', ')}], 20 steps [${error.multiStep.join(', ')}]`);

  makeDirs(o.out);
  const sha = await writeOnnxFile(join(o.out, 'model.onnx'), dynamicsToOnnx(mlp, train.S, train.A, `axon ${o.base.name}: residual MLP dynamics, see ${o.base.provenance?.script}`));
  const trainS = (performance.now() - t0) / 1000;
  const manifest = o.validate({
    ...o.base,
    world_model: {
      dt: 1 / o.base.control_hz,
      prediction: 'residual',
      state: { mean: norm.mean, std: norm.std, angles: [...o.angles] },
      output: { mean: norm.outMean, std: norm.outStd },
      error_std: error.oneStep.map((e) => Math.max(e, 1e-6)),
      ...(o.cost ? { cost: o.cost } : {}),
      ...(o.constraints ? { constraints: o.constraints } : {}),
      ...(o.monitor ? { monitor: o.monitor } : {}),
    },
    provenance: {
      ...o.base.provenance,
      network: `MLP ${[train.S + train.A, ...o.hidden, train.S].join(' -> ')} tanh, residual`,
      training: { transitions: trainN, epochs: o.epochs, batch: 256, optimizer: 'Adam 3e-3 cosine' },
      eval: { held_out_transitions: error.transitions, one_step_rms: error.oneStep, twenty_step_rms: error.multiStep, state: names },
    },
  });
  writeFileSync(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

  // The ONNX file through the runtime's loader must give the JS network's predictions.
  const wm = await OnnxWorldModel.load(loadModelFolder(o.out), { maxBatch: 256 });
  const B = Math.min(256, test.s.length / test.S);
  const s = Float32Array.from(test.s.slice(0, B * test.S));
  const a = Float32Array.from(test.a.slice(0, B * test.A));
  const p = await wm.predict(s, a, B);
  const js = new Float32Array(test.S);
  let onnxMaxDiff = 0;
  for (let b = 0; b < B; b++) {
    dyn.step(s.subarray(b * test.S, (b + 1) * test.S), a.subarray(b * test.A, (b + 1) * test.A), js);
    for (let i = 0; i < test.S; i++) onnxMaxDiff = Math.max(onnxMaxDiff, Math.abs(js[i] - p.nextStates[b * test.S + i]));
  }
  await wm.close();
  o.log(`wrote ${o.out} (model.onnx sha256 ${sha}); ONNX vs JS max |diff| ${onnxMaxDiff.toExponential(2)}; ${trainS.toFixed(1)} s`);
  return { manifest, sha, error, trainTransitions: trainN, onnxMaxDiff, trainS };
}
