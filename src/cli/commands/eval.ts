import { Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import { runEval, type EvalSummary } from '../evaluate.ts';
import { runEval as runEvalWith } from '../../eval/evaluate.ts';
import { nonNegative, positiveInt, positiveNumber, seedInt, physicsRate, repeated } from '../args.ts';
import { UsageError } from '../../core/errors.ts';
import { mergeShards } from '../../eval/shards.ts';
import { MAX_EVAL_EPISODES } from '../../eval/episodes.ts';
import { checkRedis } from '../../eval/queue.ts';
import { checkDatasetDir, checkOutputDir } from '../preflight.ts';
import { OUTPUT_COMPANIONS, refuseOrphans, refuseStraySetupFlags, refuseUnreadCommand, URDF_FILE_COMPANIONS, WORLD_MODEL_COMPANIONS, type Companion } from '../companions.ts';
import type { FaultOptions, WorldModelOptions, WmMode } from '../wiring.ts';
import { parseVelocityCommand, VelocityCommand } from '../../loop/VelocityCommand.ts';
import { loadModelFolder } from '../../model/manifest.ts';
import { datasetDrops } from '../datasetFlags.ts';
import { EXIT_DROPPED } from '../exitCodes.ts';
import type { RecordingFailure } from '../../record/index.ts';
import { distributedEval } from './evalDistributed.ts';
import { stopOnSignal } from '../signalStop.ts';
import { createTask, robotModel, robotNames } from '../../../sim/index.ts';
import { noFaultLink } from '../../../sim/session/SimSession.ts';
import { evalUserRobot, userRobotSessions } from './evalUserRobot.ts';
import { parseInitPose } from '../urdfSession.ts';

/** `--fault KIND:FACTOR@SECONDS`: `mass:3@4` (pole mass × 3 at 4 s) or `motor:0.3@4` (motors at 30 % strength from 4 s). */
export function faultSpec(v: string): FaultOptions {
  const m = /^(mass|motor):([0-9.]+)@([0-9.]+)$/.exec(v.trim());
  const factor = m ? Number(m[2]) : NaN, atS = m ? Number(m[3]) : NaN;
  if (!m || !(factor > 0) || !(atS >= 0)) throw new InvalidArgumentError('expected KIND:FACTOR@SECONDS with KIND mass or motor, e.g. mass:3@4 or motor:0.3@4');
  return { kind: m[1] as 'mass' | 'motor', factor, atS };
}

/**
 * A fault must fall inside the run it is for, as `teleop --estop-at` before `--duration`: one at or
 * after the episode's end never fires, and a robustness score "under the fault" would be the
 * score without it. `length` says where the episode length came from (a flag or the task).
 */
export function checkFaultTime(fault: FaultOptions | undefined, durationS: number, length: string): void {
  if (fault && fault.atS >= durationS)
    throw new UsageError('--fault', `${fault.kind}:${fault.factor}@${fault.atS}: ${fault.atS} s is not before the end of the ${durationS} s ${length}, so the fault would never be injected`, `a time before ${durationS} s, or a longer --duration`);
}

/**
 * eval's --fault against the shipped robot and the episode length, before any episode runs or is
 * queued (local, --workers, --queue, --shard alike): a mass fault needs the robot's "pole" link
 * (sim/session/SimSession.ts checks the robot it builds too).
 */
function checkEvalFault(o: { robot?: string; urdf?: string; mjcf?: string; fault?: FaultOptions; duration?: number }): void {
  // A user's robot: its task (stand or free run) lasts 10 s unless --duration says; its links are checked when it is built.
  if (o.fault && (o.urdf !== undefined || o.mjcf !== undefined)) return checkFaultTime(o.fault, o.duration ?? 10, o.duration !== undefined ? 'episode (--duration)' : 'episode (the 10 s task of a robot file; --duration sets another)');
  if (!o.fault || o.robot === undefined || !robotNames().includes(o.robot)) return; // an unknown robot is refused by name later
  if (o.fault.kind === 'mass') {
    const links = robotModel(o.robot).links.map((l) => l.name);
    if (!links.includes(o.fault.link ?? 'pole')) throw noFaultLink(o.fault, o.robot, links);
  }
  const durationS = o.duration ?? createTask(o.robot).episodeS;
  checkFaultTime(o.fault, durationS, o.duration !== undefined ? 'episode (--duration)' : `episode (${o.robot}'s task length; --duration sets another)`);
}

/**
 * `--randomize` draws a shipped robot's own episode (sim/robots/index.ts `randomize`: cart, pole,
 * joints, pole mass); a user's robot file has no randomiser yet, so the flag is refused with
 * `--urdf`/`--mjcf` (sim, sim2sim, eval) rather than run unrandomised under a summary saying
 * `"randomize": true` (docs/cli.md, "Flags that need another"). A bridged robot (`sim --robot
 * ws://...`) is refused by its own rule, which points at `axon bridge --randomize`.
 */
export const RANDOMIZE_SHIPPED_ONLY: Companion<{ readonly robot?: string; readonly urdf?: string; readonly mjcf?: string }> = {
  flag: '--randomize',
  needs: 'a shipped robot (--robot cartpole, pendulum, humanoid or arm)',
  ok: (o) => (o.urdf === undefined && o.mjcf === undefined) || /^wss?:\/\//.test(o.robot ?? ''),
  instead: (o) => `the robot of ${o.urdf !== undefined ? '--urdf' : '--mjcf'} has no randomisation yet (nothing would be drawn)`,
};

function fraction(v: string): number {
  const x = Number(v);
  if (!(x > 0 && x <= 1)) throw new InvalidArgumentError('expected a fraction in (0, 1]');
  return x;
}


/** The world-model flags shared by `sim` and `eval`. */
export function addWorldModelOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option('--world-model <dir>', 'world-model folder (kind "world-model"): learned dynamics used by --wm-mode')
    .addOption(new Option('--wm-mode <mode>', 'plan: the planner chooses the action (the policy, if any, seeds it); shield: veto commands predicted to break a constraint; monitor: surprise from prediction error').choices(['plan', 'shield', 'monitor'] as const))
    .addOption(new Option('--planner <name>', 'plan mode: sampling planner').choices(['mppi', 'cem'] as const).default('mppi' as const))
    .option('--samples <K>', 'plan mode: action sequences sampled per iteration (default 256)', positiveInt)
    .option('--horizon <H>', 'plan mode: steps planned ahead (default 20)', positiveInt)
    .option('--iterations <n>', 'plan mode: sampling rounds per tick (default MPPI 1, CEM 3)', positiveInt)
    .option('--noise <std>', 'plan mode: sampling noise std in raw action units (default 0.5)', positiveNumber)
    .option('--temperature <x>', 'plan mode (MPPI): temperature as a fraction of the cost spread (default 0.1)', positiveNumber)
    .option('--elite <fraction>', 'plan mode (CEM): elite fraction (default 0.1)', fraction)
    .option('--shield-horizon <N>', 'shield mode: steps rolled forward (default 10)', positiveInt)
    .option('--shield-samples <n>', 'shield mode: alternatives tried on a veto (default 64)', positiveInt)
    .addOption(new Option('--continuation <kind>', "shield mode: what follows the checked command in the rollout: hold it (default, conservative) or the policy's own network on predicted states").choices(['policy', 'hold'] as const))
    .option('--surprise-threshold <x>', 'monitor mode: surprise (normalised error) that counts (default: manifest, else 6)', positiveNumber)
    .option('--surprise-ticks <M>', 'monitor mode: ticks above the threshold that raise the event (default: manifest, else 5)', positiveInt)
    .option('--action-noise <std>', 'add Gaussian noise (raw action units) to the policy output: a degraded policy', nonNegative)
    .option('--fault <spec>', 'simulated robots only (sim, eval): inject a fault mid-episode, before its end: mass:FACTOR@S (the mass of the robot\'s "pole" link: cartpole, pendulum) or motor:FACTOR@S (motor strength, any robot)', faultSpec);
}

interface WorldModelFlags {
  worldModel?: string;
  wmMode?: WmMode;
  planner?: 'mppi' | 'cem';
  samples?: number;
  horizon?: number;
  iterations?: number;
  noise?: number;
  temperature?: number;
  elite?: number;
  shieldHorizon?: number;
  shieldSamples?: number;
  continuation?: 'policy' | 'hold';
  surpriseThreshold?: number;
  surpriseTicks?: number;
  policy?: string;
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Turns the flags into WorldModelOptions; refuses --wm-mode without --world-model and a missing --policy outside plan mode. */
export function worldModelFromFlags(o: WorldModelFlags): WorldModelOptions | undefined {
  if (o.worldModel === undefined) {
    if (o.wmMode !== undefined) throw new UsageError('--wm-mode', 'needs --world-model', '--world-model DIR');
    if (o.policy === undefined) throw new UsageError('--policy', 'is required', 'a policy folder, or --world-model DIR --wm-mode plan to plan without one');
    return undefined;
  }
  const mode = o.wmMode ?? (o.policy === undefined ? 'plan' : 'monitor');
  if (o.policy === undefined && mode !== 'plan') throw new UsageError('--policy', `is required with --wm-mode ${mode}`, 'a policy folder (only --wm-mode plan runs without one)');
  return {
    dir: o.worldModel,
    mode,
    planner: o.planner ?? 'mppi',
    plan: defined({ samples: o.samples, horizon: o.horizon, iterations: o.iterations, noiseStd: o.noise, temperature: o.temperature, eliteFraction: o.elite }),
    shield: defined({ horizon: o.shieldHorizon, samples: o.shieldSamples, continuation: o.continuation }),
    monitor: defined({ threshold: o.surpriseThreshold, ticks: o.surpriseTicks }),
  };
}

/** eval's own flags that need another (src/cli/companions.ts). */
const EVAL_COMPANIONS: readonly Companion<{ shard?: string; worldModel?: string }>[] = [
  { flag: '--out', needs: '--shard K/N', ok: (o) => o.shard !== undefined },
  { flag: '--baseline', needs: '--world-model DIR', ok: (o) => o.worldModel !== undefined, instead: () => 'the baseline is the same episodes without the world model' },
];

export function evalCommand() {
  return addWorldModelOptions(
    new Command('eval')
      .description('Score a policy (or a world-model planner) over many simulated episodes (each seeded from --seed and its index) and print success rate and return.')
      .option('--robot <name>', 'simulated robot (cartpole, pendulum, humanoid, arm); with --urdf or --mjcf only its label (default: the file)')
      .option('--urdf <file>', 'evaluate this URDF robot instead of a shipped one, set up from the policy\'s manifest as `axon sim --urdf` does; success is its task\'s: stand (did not fall) on a floating base, every joint finite on a fixed one (docs/your-robot.md)')
      .option('--mjcf <file>', 'evaluate this MJCF model (MuJoCo), set up as `axon sim --mjcf` does; implies --physics mujoco')
      .option('--urdf-package-path <dir>', 'folders searched for package://PKG mesh paths; $ROS_PACKAGE_PATH is added (repeat the flag for more)', repeated, [] as string[])
      .option('--strict', 'with --urdf: refuse a moving link without <inertial> or with mass 0 instead of giving it a default', false)
      .addOption(new Option('--mesh-collision <mode>', 'with --urdf: collision meshes become convex hulls (default), boxes, capsules or nothing').choices(['hull', 'box', 'capsule', 'none'] as const))
      .option('--fixed-base', 'with --urdf: fix the root link to the world (default: the manifest\'s fixed_base, else fixed only with a "world" link)')
      .option('--imu-link <link>', 'with --urdf or --mjcf: link carrying the IMU (default: the manifest\'s imu_link, else the rules in docs/your-robot.md)')
      .option('--init-pose <joint=rad,...>', 'with --urdf or --mjcf: start (and hold) these joint positions, over the manifest\'s default pose', parseInitPose)
      .option('--kp <gain>', 'with --urdf or --mjcf: one position gain for every joint (N·m/rad), over the manifest\'s pd', nonNegative)
      .option('--kd <gain>', 'with --urdf or --mjcf: one damping gain for every joint (N·m·s/rad), over the manifest\'s pd', nonNegative)
      .option('--armature <kg·m²>', 'with --urdf: reflected rotor inertia of every joint, over the manifest\'s actuators.armature', nonNegative)
      .addOption(new Option('--pd <integration>', 'with --urdf: PD solved with the next velocity (implicit, default) or from the step start (explicit)').choices(['implicit', 'explicit'] as const))
      .option('--policy <dir>', 'policy folder with manifest.json and model.onnx (optional with --world-model DIR --wm-mode plan)')
      .option('--episodes <n>', `number of episodes (at most ${MAX_EVAL_EPISODES})`, episodesArg, 100)
      .option('--seed <n>', 'run seed; episode k uses a seed derived from (seed, k)', seedInt, 1)
      .option('--randomize', 'randomise initial state and physical parameters per episode', false)
      .option('--duration <s>', "episode length (default: the task's)", positiveNumber)
      .option('--physics-hz <hz>', 'physics rate; a multiple of the model control rate', physicsRate, 500)
      .addOption(new Option('--physics <engine>', 'physics engine: cannon-es (default) or MuJoCo (the official WebAssembly build, loaded only then)').choices(['cannon', 'mujoco'] as const).default('cannon' as const))
      .option('--zero-policy', 'send zero actions instead of the model output (baseline)', false)
      .option('--command <vx,vy,wz>', "velocity command for a locomotion policy's velocity_commands term in every episode: vx, vy (m/s), yaw rate (rad/s); clamped to the manifest's command_ranges (default ±1) with a note", (v) => parseVelocityCommand(v, '--command'))
      .option('--baseline', 'with --world-model: also run the same episodes without its help (plan: random actions; shield: no shield; monitor: no fault) and report both', false)
      .option('--workers <n>', 'worker threads running episodes in parallel (same results as 1); at most the episodes and the CPUs (os.availableParallelism()), clamped with a note', positiveInt, 1)
      .option('--queue <url>', 'enqueue the episodes on a Redis job queue (BullMQ) for `axon worker` processes, e.g. redis://127.0.0.1:6379')
      .option('--shard <K/N>', 'run only shard K of N (0 <= K < N; episodes K, K+N, ...) and write it with --out, for batch schedulers')
      .option('--out <file>', 'with --shard: the shard result file for `axon eval merge`')
      .option('--record <dir>', 'record every episode to MCAP in DIR, one file each (episode-K-seed-S.mcap; read with axon replay); local runs')
      .option('--dataset <dir>', 'record every episode into a LeRobotDataset v3.0 (one episode each, with success and seed; created, or appended to when its features match); local runs')
      .option('--task <text>', "with --dataset: the episodes' task text (default: the task and robot)")
      .option('--allow-drops', 'with --record/--dataset: a recording that dropped frames still exits 0 (the counts are in the summary)', false)
      .option('--json', 'print one JSON summary object on the last line of stdout', false),
  ).action(async (o, cmd) => {
    refuseOrphans(cmd, o, [...WORLD_MODEL_COMPANIONS, ...OUTPUT_COMPANIONS, ...EVAL_COMPANIONS, ...URDF_FILE_COMPANIONS, RANDOMIZE_SHIPPED_ONLY]);
    const user = evalUserRobot(o, cmd);
    refuseStraySetupFlags(o);
    const worldModel = worldModelFromFlags(o);
    refuseUnreadCommand({ ...o, worldModel: worldModel?.dir });
    checkEvalFault(o);
    const note = o.command && o.policy ? VelocityCommand.forManifest(loadModelFolder(o.policy).manifest, o.command).clampNote(o.command) : undefined;
    if (note) process.stderr.write(`axon: note: ${note}\n`);
    // Redis checked before the line saying the episodes are on the queue (src/eval/queue.ts checkRedis: exit 2 on a silent server too).
    if (o.queue) await checkRedis(o.queue);
    if (o.workers > 1 || o.queue || o.shard) return distributedEval({ ...o, robot: o.robot! }, worldModel);
    // Before the first episode: a file for the folder, a broken link or /proc names --record (not a raw EEXIST, exit 1).
    if (o.record) checkOutputDir(o.record, '--record', { keep: true, expected: "a folder for the episodes' MCAP files (made if missing)" });
    if (o.dataset) checkDatasetDir(o.dataset);
    const who = worldModel?.mode === 'plan' && o.policy === undefined ? `${worldModel.planner} planning with ${worldModel.dir}` : o.zeroPolicy ? 'zero actions' : o.policy;
    if (!o.json)
      console.log(
        `axon eval: ${o.episodes} episodes of ${user?.label ?? o.robot} under ${who}` +
          `${worldModel && !(worldModel.mode === 'plan' && o.policy === undefined) ? ` with ${worldModel.dir} (${worldModel.mode})` : ''}` +
          `${o.actionNoise ? `, action noise ${o.actionNoise}` : ''}${o.fault ? `, fault ${o.fault.kind} x${o.fault.factor} at ${o.fault.atS} s` : ''}, seed ${o.seed}${o.randomize ? ', randomised' : ''}`,
      );
    // Ctrl-C / SIGTERM end the eval as `axon sim` ends its run (src/cli/commands/sim.ts): the running
    // episode stops, its MCAP and dataset episode are closed, the summary of the episodes done is
    // printed, exit 0 (docs/cli.md, exit codes). Once: a second signal kills the process at once.
    const stop = stopOnSignal();
    const summary = await (user ? (x: Parameters<typeof runEval>[0]) => runEvalWith(x, userRobotSessions(user, o.json)) : runEval)({
      robot: user?.label ?? o.robot!,
      policy: o.policy,
      episodes: o.episodes,
      seed: o.seed,
      randomize: o.randomize,
      durationS: o.duration,
      physicsHz: o.physicsHz,
      physics: user?.physics ?? o.physics,
      zeroPolicy: o.zeroPolicy,
      worldModel,
      actionNoise: o.actionNoise,
      fault: o.fault,
      baseline: o.baseline,
      ...(o.record ? { recordDir: o.record, onRecordFailure: recordingFailed } : {}),
      ...(o.dataset ? { dataset: { dir: o.dataset, ...(o.task !== undefined ? { task: o.task } : {}) } } : {}),
      ...(o.command ? { velocityCommand: o.command } : {}),
      progress: o.json ? undefined : (k, ok) => (k % 10 === 0 || k === o.episodes) && console.log(`  ${k}/${o.episodes} episodes, ${ok} successful`),
      stop: stop.signal,
    }).finally(() => stop.release());
    if (o.json) console.log(JSON.stringify(summary));
    else printEval(summary);
    // A recording whose writes failed (disk full) fails the eval whatever --allow-drops says, as it fails a run (docs/cli.md "Exit codes").
    const rec = summary.record;
    if (rec?.failed) {
      const f = rec.failed[0];
      process.stderr.write(`axon: ${rec.failed.length} of ${rec.files} episode recordings in ${rec.dir} failed (the first, episode ${f.episode}: ${f.file}${f.lost_from_s !== undefined ? ` at ${f.lost_from_s.toFixed(3)} s` : ''}: ${f.error}); ${rec.ticks - rec.dropped} of ${rec.ticks} ticks are in the files\n`);
      process.exitCode = EXIT_DROPPED;
    }
    // Nothing dropped silently: a recording that lost frames fails the run unless --allow-drops.
    const drops = datasetDrops(rec && !rec.failed ? { dropped: rec.dropped, ticks: rec.ticks } : undefined, summary.dataset);
    if (drops) {
      process.stderr.write(`axon: ${drops}${o.allowDrops ? ' (allowed by --allow-drops)' : ''}\n`);
      if (!o.allowDrops) process.exitCode = EXIT_DROPPED;
    }
  });
}

export function evalMergeCommand() {
  return new Command('eval merge')
    .description('`axon eval merge FILES`: combine the shard files of `axon eval --shard K/N --out FILE` into the summary one run gives.')
    .argument('<files...>', 'shard result files')
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action((files, o) => {
      const { summary, shards } = mergeShards(files);
      if (o.json) console.log(JSON.stringify(summary));
      else console.log(`${shards} shards, ${summary.episodes} episodes: success rate ${summary.success_rate}, mean return ${summary.mean_return}, mean steps ${summary.mean_steps}`);
    });
}

/** The line an episode's failed recording prints at once, off the tick, while the eval goes on (docs/cli.md "Exit codes"). */
function recordingFailed(f: RecordingFailure & { readonly episode: number }): void {
  const at = f.lostFromS !== undefined ? ` from ${f.lostFromS.toFixed(3)} s (tick ${f.lostFromSeq})` : '';
  process.stderr.write(`axon: recording ${f.file} (episode ${f.episode}) failed${at}: ${f.error}; the eval goes on, that episode unrecorded from there\n`);
}

function printEval(s: EvalSummary): void {
  if (s.interrupted) console.log(`interrupted by ${s.interrupted}: ${s.episodes_completed} of ${s.episodes} episodes ran to their end and are scored${s.episode_interrupted !== undefined ? ` (episode ${s.episode_interrupted} was stopped, recorded as far as it ran)` : ''}`);
  console.log(`success rate ${s.success_rate}, mean return ${s.mean_return}, mean steps ${s.mean_steps}`);
  if (s.record) console.log(`recorded ${s.record.files} episodes (${s.record.ticks} ticks, ${Math.round(s.record.bytes / 1024)} KiB) to ${s.record.dir}/episode-*.mcap${s.record.failed ? `; ${s.record.failed.length} of them failed to write (${s.record.error})` : ''}`);
  const d = s.dataset;
  if (d) console.log(`dataset ${d.dir}: ${d.episodes_written} episodes, ${d.frames_written} of ${d.frames_received} frames written (${d.frames_dropped} dropped)${d.appended_to ? ` after ${d.appended_to} episodes already there` : ''}; episode saves ${d.save_ms.mean} ms mean, ${d.save_ms.max} ms max, off the loop${d.notes.map((n) => `\n  note: ${n}`).join('')}`);
  const w = s.world_model;
  if (w) {
    if (w.planner) console.log(`planner ${w.planner.name}: K ${w.planner.samples}, H ${w.planner.horizon}, iterations ${w.planner.iterations}`);
    if (w.shield) console.log(`shield: ${w.shield.vetoes} vetoes in ${w.shield.episodes_with_veto} episodes (N ${w.shield.horizon}, continuation ${w.shield.continuation})`);
    if (w.monitor)
      console.log(
        `monitor: surprise events in ${w.monitor.episodes_with_event}/${s.episodes} episodes, max surprise ${w.monitor.max_surprise}` +
          (w.monitor.detection_s ? `, fault detected in ${w.monitor.fault_episodes_detected} episodes after ${w.monitor.detection_s.mean} s mean, ${w.monitor.detection_s.max} s max` : ''),
      );
    console.log(`world-model stage µs p50 ${w.stage_us.p50} p99 ${w.stage_us.p99} (${(w.tick_share_p99 * 100).toFixed(1)}% of a tick at p99); whole tick allows ${w.max_loop_hz_p99} Hz at p99`);
  }
  if (s.baseline) console.log(`baseline (${s.baseline.description}): success rate ${s.baseline.success_rate}, mean return ${s.baseline.mean_return}`);
}

/**
 * `--episodes`: a positive whole number up to MAX_EVAL_EPISODES. Unbounded, 10^9 died in V8 after
 * 20-30 s and about 2 GB (the thread pool, shard indices and the summary allocate per episode;
 * review R29 F8) instead of a usage error.
 */
function episodesArg(v: string): number {
  const x = positiveInt(v);
  if (x > MAX_EVAL_EPISODES) throw new InvalidArgumentError(`expected a positive whole number up to ${MAX_EVAL_EPISODES} (split a larger eval into runs with other --seed values)`);
  return x;
}
