import { Command, Option } from '@commander-js/extra-typings';
import { openSimSession, runEpisode } from '../wiring.ts';
import { positiveNumber, seedInt } from '../args.ts';
import { loopSummary, round, safetySummary } from '../summary.ts';
import { addWorldModelOptions, worldModelFromFlags } from './eval.ts';

export function simCommand() {
  return addWorldModelOptions(new Command('sim')
    .description('Run a policy (or a world-model planner) on a simulated robot (cannon-es) through the full loop and print run statistics.')
    .requiredOption('--robot <name>', 'simulated robot (cartpole, pendulum)')
    .option('--policy <dir>', 'policy folder with manifest.json and model.onnx (optional with --world-model DIR --wm-mode plan)')
    .option('--duration <s>', 'simulated seconds to run', positiveNumber, 10)
    .option('--seed <n>', 'seed for randomisation', seedInt, 1)
    .option('--randomize', 'randomise initial state and physical parameters (seeded)', false)
    .addOption(new Option('--realtime', 'pace simulated time to the wall clock (default)').conflicts('fast'))
    .option('--fast', 'run as fast as possible (lockstep, no pacing)', false)
    .option('--physics-hz <hz>', 'physics rate; a multiple of the model control rate', positiveNumber, 500)
    .option('--zero-policy', 'send zero actions instead of the model output (baseline)', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false))
    .action(async (o) => {
      const worldModel = worldModelFromFlags(o);
      const session = await openSimSession({ robot: o.robot, policy: o.policy, physicsHz: o.physicsHz, zeroPolicy: o.zeroPolicy, worldModel, actionNoise: o.actionNoise, fault: o.fault });
      const realtime = !o.fast;
      if (!o.json)
        console.log(
          `axon sim: ${o.robot} under ${session.folder.manifest.name} (${session.folder.manifest.control_hz} Hz policy, ${o.physicsHz} Hz physics), ` +
            `${o.duration} s ${realtime ? 'in real time' : 'as fast as possible'}, seed ${o.seed}${o.randomize ? ', randomised' : ''}`,
        );
      try {
        const r = await runEpisode(session, { seed: o.seed, randomize: o.randomize, durationS: o.duration, realtime, continueAfterTerminate: true });
        const summary = {
          command: 'sim',
          robot: o.robot,
          policy: o.policy,
          seed: o.seed,
          duration_s: round(r.steps * session.period, 6),
          ticks: r.steps,
          realtime,
          loop: loopSummary(r.loop.stats),
          episode: { return: round(r.episodeReturn, 4), steps: r.steps, terminated: !session.task.success, success: r.success },
          safety: safetySummary(r.safety),
          randomization: r.randomization,
          ...(r.worldModel
            ? {
                world_model: {
                  model: worldModel!.dir,
                  mode: r.worldModel.mode,
                  ...(r.worldModel.mode === 'shield' ? { vetoes: r.worldModel.vetoes } : {}),
                  ...(r.worldModel.mode === 'monitor'
                    ? { max_surprise: round(r.worldModel.maxSurprise, 2), fault_s: Number.isNaN(r.worldModel.faultS) ? null : round(r.worldModel.faultS, 3), surprise_event_after_s: Number.isNaN(r.worldModel.surpriseEventS) ? null : round(r.worldModel.surpriseEventS, 3) }
                    : {}),
                },
              }
            : {}),
        };
        if (o.json) console.log(JSON.stringify(summary));
        else printHuman(summary);
      } finally {
        await session.close();
      }
    });
}

function printHuman(s: {
  ticks: number;
  duration_s: number;
  loop: ReturnType<typeof loopSummary>;
  episode: { return: number; steps: number; terminated: boolean; success: boolean };
  safety: ReturnType<typeof safetySummary>;
  world_model?: { mode: string; vetoes?: number; max_surprise?: number; fault_s?: number | null; surprise_event_after_s?: number | null };
}): void {
  const l = s.loop;
  console.log(`ticks ${s.ticks} (${s.duration_s} s simulated) at ${l.rate_hz} Hz achieved`);
  console.log(`period error µs p50 ${l.period_error_us.p50} p99 ${l.period_error_us.p99} max ${l.period_error_us.max}, overruns ${l.overruns}`);
  console.log('stage µs p50/p99: ' + Object.entries(l.stage_us).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', '));
  console.log(`episode: return ${s.episode.return}, ${s.episode.success ? 'success' : 'failed'}${s.episode.terminated ? ' (task limits broken)' : ''}`);
  const ev = Object.entries(s.safety.events).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`safety: ${s.safety.state}${ev ? `, events: ${ev}` : ', no interventions'}`);
  const w = s.world_model;
  if (w)
    console.log(
      `world model (${w.mode})` +
        (w.vetoes !== undefined ? `: ${w.vetoes} commands vetoed` : '') +
        (w.max_surprise !== undefined ? `: max surprise ${w.max_surprise}${w.fault_s !== null ? `, fault at ${w.fault_s} s` : ''}${w.surprise_event_after_s !== null ? `, surprise event ${w.surprise_event_after_s} s after it` : ', no surprise event'}` : ''),
    );
}
