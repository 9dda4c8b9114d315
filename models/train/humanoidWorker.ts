/** Rollout worker for models/train/humanoid.ts: evaluates (params, seed) jobs with makeObjective. */
import { parentPort, workerData } from 'node:worker_threads';
import { makeObjective } from './humanoid.ts';

const { episodes, episodeS } = workerData as { episodes: number; episodeS: number };
const objective = makeObjective(episodes, episodeS);
parentPort!.on('message', (m: { params: Float32Array; seed: number }) => {
  parentPort!.postMessage({ ret: objective(m.params, m.seed) });
});
