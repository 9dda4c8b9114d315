/** Rollout worker for models/train/humanoid.ts: evaluates (params, seed) jobs with makeObjective. */
import { parentPort, workerData } from 'node:worker_threads';
import { makeObjective } from './humanoid.ts';
import type { PhysicsEngine } from '../../sim/session/index.ts';

const { episodes, episodeS, physics } = workerData as { episodes: number; episodeS: number; physics: PhysicsEngine };
// Messages posted while the robot is built wait in the port until the listener is attached.
const objective = await makeObjective(episodes, episodeS, physics);
parentPort!.on('message', (m: { params: Float32Array; seed: number }) => {
  parentPort!.postMessage({ ret: objective(m.params, m.seed) });
});
