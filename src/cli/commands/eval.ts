import { Command } from '@commander-js/extra-typings';
import { episodeSeed, openSimSession, runEpisode } from '../wiring.ts';
import { positiveInt, positiveNumber, seedInt } from '../args.ts';
import { round } from '../summary.ts';

export function evalCommand() {
  return new Command('eval')
    .description('Score a policy over many simulated episodes (each seeded from --seed and its index) and print success rate and return.')
    .requiredOption('--robot <name>', 'simulated robot (cartpole, pendulum)')
    .requiredOption('--policy <dir>', 'model folder with manifest.json and model.onnx')
    .option('--episodes <n>', 'number of episodes', positiveInt, 100)
    .option('--seed <n>', 'run seed; episode k uses a seed derived from (seed, k)', seedInt, 1)
    .option('--randomize', 'randomise initial state and physical parameters per episode', false)
    .option('--duration <s>', 'episode length (default: the task\'s)', positiveNumber)
    .option('--physics-hz <hz>', 'physics rate; a multiple of the model control rate', positiveNumber, 500)
    .option('--zero-policy', 'send zero actions instead of the model output (baseline)', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o) => {
      const session = await openSimSession({ robot: o.robot, policy: o.policy, physicsHz: o.physicsHz, zeroPolicy: o.zeroPolicy });
      if (!o.json) console.log(`axon eval: ${o.episodes} episodes of ${o.robot} under ${o.zeroPolicy ? 'zero actions' : session.folder.manifest.name}, seed ${o.seed}${o.randomize ? ', randomised' : ''}`);
      let successes = 0, returns = 0, steps = 0;
      const safetyEvents: Record<string, number> = {};
      try {
        for (let k = 0; k < o.episodes; k++) {
          const r = await runEpisode(session, { seed: episodeSeed(o.seed, k), randomize: o.randomize, durationS: o.duration });
          if (r.success) successes++;
          returns += r.episodeReturn;
          steps += r.steps;
          for (const [kind, n] of Object.entries(r.safety.counts)) if (n > 0) safetyEvents[kind] = (safetyEvents[kind] ?? 0) + n;
          if (!o.json && ((k + 1) % 10 === 0 || k + 1 === o.episodes)) console.log(`  ${k + 1}/${o.episodes} episodes, ${successes} successful`);
        }
      } finally {
        await session.close();
      }
      const summary = {
        command: 'eval',
        robot: o.robot,
        policy: o.zeroPolicy ? `${o.policy} (zero actions)` : o.policy,
        episodes: o.episodes,
        success_rate: round(successes / o.episodes, 4),
        mean_return: round(returns / o.episodes, 4),
        mean_steps: round(steps / o.episodes, 2),
        seed: o.seed,
        randomize: o.randomize,
        safety_events: safetyEvents,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else console.log(`success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps}`);
    });
}
