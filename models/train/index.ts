/**
 * `npm run models`: re-creates every shipped model from axon's own simulator, deterministically
 * under its seed, with its eval figure in the model folder's README.
 */
import { buildCartpoleModel } from './cartpole.ts';
import { buildWorldModels } from './worldmodel/index.ts';
import { buildHumanoidModel } from './humanoid.ts';

await buildCartpoleModel(1, 'models/cartpole-balance');
await buildWorldModels(1);
await buildHumanoidModel(1, 'models/humanoid-balance', { iterations: 30, workers: 2, evalEpisodes: 100 });
