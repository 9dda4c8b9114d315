import { Command } from '@commander-js/extra-typings';
import { runEval } from '../evaluate.ts';
import { positiveInt, positiveNumber, seedInt } from '../args.ts';

export function evalCommand() {
  return new Command('eval')
    .description('Score a policy over many simulated episodes (each seeded from --seed and its index) and print success rate and return.')
    .requiredOption('--robot <name>', 'simulated robot (cartpole, pendulum)')
    .requiredOption('--policy <dir>', 'model folder with manifest.json and model.onnx')
    .option('--episodes <n>', 'number of episodes', positiveInt, 100)
    .option('--seed <n>', 'run seed; episode k uses a seed derived from (seed, k)', seedInt, 1)
    .option('--randomize', 'randomise initial state and physical parameters per episode', false)
    .option('--duration <s>', "episode length (default: the task's)", positiveNumber)
    .option('--physics-hz <hz>', 'physics rate; a multiple of the model control rate', positiveNumber, 500)
    .option('--zero-policy', 'send zero actions instead of the model output (baseline)', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o) => {
      if (!o.json) console.log(`axon eval: ${o.episodes} episodes of ${o.robot} under ${o.zeroPolicy ? 'zero actions' : o.policy}, seed ${o.seed}${o.randomize ? ', randomised' : ''}`);
      const summary = await runEval({
        robot: o.robot,
        policy: o.policy,
        episodes: o.episodes,
        seed: o.seed,
        randomize: o.randomize,
        durationS: o.duration,
        physicsHz: o.physicsHz,
        zeroPolicy: o.zeroPolicy,
        progress: o.json ? undefined : (k, ok) => (k % 10 === 0 || k === o.episodes) && console.log(`  ${k}/${o.episodes} episodes, ${ok} successful`),
      });
      if (o.json) console.log(JSON.stringify(summary));
      else console.log(`success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps}`);
    });
}
