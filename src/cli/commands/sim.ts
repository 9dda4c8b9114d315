import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { EXIT_INVALID_RUN, failIfSafeStopped, failLiveRun } from '../exitCodes.ts';
import { openSimSession, runEpisode } from '../wiring.ts';
import { connectBridgeRobot, type BridgeRobotOptions } from '../../../hardware/bridge/index.ts';
import { runLive } from '../live.ts';
import { hasVelocityTerm, parseVelocityCommand } from '../../loop/VelocityCommand.ts';
import { UsageError } from '../../core/errors.ts';
import { createTask, robotModel, robotNames } from '../../../sim/index.ts';
import { loadModelFolder } from '../../model/manifest.ts';
import { STOP_SIGNALS } from '../../session/stopSignals.ts';
import { assertCommandableBeforeArming, defaultLiveClock, episodeEndedBy, worldModelSummary, type WorldModelOptions } from '../../session/index.ts';
import { checkDatasetDir, checkInputFile, checkPortFree, checkWritable } from '../preflight.ts';
import { ASYNC_COMPANIONS, flagGiven, OUTPUT_COMPANIONS, refuseOrphans, refuseStraySetupFlags, refuseUnreadCommand, URDF_FILE_COMPANIONS, VIEW_COMPANIONS, VIEW_STOP_COMPANIONS, WORLD_MODEL_COMPANIONS, type Companion } from '../companions.ts';
import { DatasetWriter, defaultTask, manifestControlMode, provenance } from '../../dataset/index.ts';
import { drawingMeta, type RecordedEpisode } from '../../record/index.ts';
import { datasetLine, RunOutputs } from '../outputs.ts';
import { loadDrawingMjcf, loadDrawingUrdf, refuseServedJoints, refuseServedMjcfJoints, watchServedFile } from '../bridgeDrawing.ts';
import { bridgeDrawingAndLinks } from '../bridgeLinks.ts';
import { printable } from '../../core/printable.ts';
import { robotFileArgs } from './evalUserRobot.ts';
import { refuseSlowPolicy, refuseStoppedRobot, robotStoppedError } from '../bridgeHello.ts';
import { policyReadsTermLinks } from '../linkTree.ts';
import type { Robot } from '../../core/robot.ts';

import { nonNegative, allowOriginArg, portNumber, positiveNumber, seedInt, repeated, physicsRate } from '../args.ts';
import { loopSummary, round, safetySummary } from '../summary.ts';
import { actionAgeCounts, asyncSummary, countActionAge } from '../asyncSummary.ts';
import { DEFAULT_GAINS_RULE, fallHint, movingJoints, parseInitPose, POSE_HOLD_SLACK, urdfFlags, urdfSetupLine, urdfSetupSummary } from '../urdfSession.ts';
import { mjcfFallHint, mjcfFlags, mjcfSetupLine, mjcfSetupSummary } from '../mjcfSession.ts';

import { addWorldModelOptions, checkFaultTime, RANDOMIZE_SHIPPED_ONLY, worldModelFromFlags } from './eval.ts';

const isBridged = (robot: string | undefined) => robot !== undefined && /^wss?:\/\//.test(robot);

/** The flags that set up a robot simulated here: a bridged robot is set up by its server (axon bridge takes them). */
const SETUP_FLAGS = ['--fixed-base', '--imu-link', '--init-pose', '--kp', '--kd', '--armature', '--pd', '--strict', '--mesh-collision'] as const;

/** sim's own flags that need another (src/cli/companions.ts; the URDF set-up flags are checked in the action, with MJCF's). */
const SIM_COMPANIONS: readonly Companion<{ robot?: string; urdf?: string; mjcf?: string; policy?: string; view: boolean; record?: string }>[] = [
  { flag: '--token', needs: '--robot ws://HOST:PORT', ok: (o) => isBridged(o.robot) },
  // A frozen loop stops nothing in a simulation stepped by that loop; a bridged robot is a live run.
  { flag: '--guard-onnx', needs: '--robot ws://HOST:PORT', ok: (o) => isBridged(o.robot), instead: () => 'a simulation stepped by the loop stops with it (axon run --guard-onnx on a real robot)' },
  // Over the bridge --urdf is the client's copy of the served robot's file: it draws the robot (viewer, recording) and
  // gives the joints through which a policy's IMU term read in another link is derived (src/cli/linkTree.ts); so does --mjcf.
  ...['--urdf', '--mjcf'].map((flag) => ({ flag, needs: '--view or --record, or a --policy reading an IMU term in another link', ok: (o: { robot?: string; view: boolean; record?: string; policy?: string }) => !isBridged(o.robot) || o.view || o.record !== undefined || policyReadsTermLinks(o.policy), instead: () => `over the bridge ${flag} draws the served robot and derives the links a policy's IMU terms read` })),
  ...URDF_FILE_COMPANIONS,
  RANDOMIZE_SHIPPED_ONLY,
  // Without a policy the robot holds its pose (--urdf, --mjcf) or the planner acts alone: there is no model output to zero or to run in a thread.
  ...['--zero-policy', '--async'].map((flag) => ({ flag, needs: '--policy DIR', ok: (o: { policy?: string }) => o.policy !== undefined })),
  // The physics of a bridged robot is the server's (axon bridge --rate, --physics).
  ...['--physics-hz', '--physics'].map((flag) => ({ flag, needs: 'a robot simulated here', ok: (o: { robot?: string }) => !isBridged(o.robot), instead: () => 'a bridged robot runs on the server\'s physics (axon bridge --rate, --physics)' })),
];

export function simCommand() {
  return addWorldModelOptions(new Command('sim')
    .description('Run a policy (or a world-model planner) on a simulated robot (cannon-es, or MuJoCo with --physics mujoco or --mjcf) through the full loop and print run statistics.')
    .option('--robot <name>', 'simulated robot (cartpole, pendulum, humanoid, arm), or ws://host:port for a robot served by `axon bridge`; with --urdf only its label (default: the URDF\'s name)')
    .option('--policy <dir>', 'policy folder with manifest.json and the ONNX file it names (optional with --world-model DIR --wm-mode plan)')
    .option('--token <token>', 'bridge token for --robot ws://... (default $AXON_BRIDGE_TOKEN)')
    .option('--duration <s>', 'simulated seconds to run', positiveNumber, 10)
    .option('--seed <n>', 'seed for randomisation', seedInt, 1)
    .option('--randomize', 'randomise initial state and physical parameters (seeded)', false)
    .addOption(new Option('--realtime', 'pace simulated time to the wall clock (default)').conflicts('fast'))
    .option('--fast', 'run as fast as possible (lockstep, no pacing)', false)
    .addOption(new Option('--sleep <kind>', "real time: how the loop's thread waits for each deadline, then spins a learned margin: block (default for a simulated robot: Atomics.wait, with one event-loop turn per tick for the viewer, signals and sockets, and for a bridged robot one more just before the tick to read its state frames) or timer (default for a bridged robot: a setTimeout, the event loop free between ticks); docs/timing.md").choices(['block', 'timer'] as const).default('block' as const).conflicts('fast'))
    .option('--physics-hz <hz>', 'physics rate; a multiple of the model control rate', physicsRate, 500)
    .addOption(new Option('--physics <engine>', 'physics engine: cannon-es (default) or MuJoCo (the official WebAssembly build, loaded only then)').choices(['cannon', 'mujoco'] as const).default('cannon' as const))
    .option('--zero-policy', 'send zero actions instead of the model output (baseline)', false)
    .option('--command <vx,vy,wz>', "velocity command for a locomotion policy's velocity_commands term: vx, vy (m/s), yaw rate (rad/s); clamped to the manifest's command_ranges (default ±1) with a note; the viewer (--view) changes it live", (v) => parseVelocityCommand(v, '--command'))
    .option('--async', 'run the policy in a worker thread: the loop never waits for it (action age reported)', false)
    .option('--stall-ms <ms>', 'with --async: a request older than this is a stall (hold, then safe-stop)', positiveNumber, 200)
    .option('--guard-onnx', "with --robot ws://...: run every onnxruntime call (policy, world model) on a worker thread the loop waits for at most the stage's budget per call, so a call that never returns is a deadline miss and a safe stop (docs/safety.md)", false)
    .option('--view', 'serve the three.js viewer and operator console on localhost (URL with token printed)', false)
    .option('--view-port <n>', 'viewer port (0 = any free port)', portNumber, 8090)
    .option('--allow-origin <url>', 'with --view: also let pages of this origin open the viewer (an https reverse proxy in front of it, e.g. https://robot.example.com), its host passing the Host check; repeatable (docs/viewer.md)', allowOriginArg)
    .option('--stop-needs-token', "with --view: E-STOP and Disarm need the page's token too (default: a page without it may stop; for a viewer exposed beyond the robot's own network, docs/safety.md)", false)
    .option('--record <file>', 'record every tick to MCAP (opens in Foxglove; read with axon replay)')
    .option('--dataset <dir>', 'record the run as one episode of a LeRobotDataset v3.0 (created, or appended to when its features match); read with axon dataset info / axon replay')
    .option('--task <text>', "with --dataset: the episode's task text (default: the task and robot, e.g. \"stand (humanoid)\")")
    .option('--allow-drops', 'with --record/--dataset: a recording that dropped frames still exits 0 (the counts are in the summary)', false)
    .option('--urdf <file>', "simulate this URDF file instead of a shipped robot (--robot then only names it); with --robot ws://... your copy of the served robot's URDF, drawn by --view and kept by --record, checked by sha256 against the file the server names, and the joints through which an IMU term read in another link than the IMU's is derived (docs/byom.md)")
    .option('--mjcf <file>', 'simulate this MJCF model as its maker ships it (its folder: <include>s, meshes, keyframes) in MuJoCo, set up from the policy\'s manifest as --urdf is (pose, pd, actuators, imu_link over the model\'s own); implies --physics mujoco; --imu-link, --init-pose, --kp, --kd apply; with --robot ws://... your copy of the served robot\'s MJCF, drawn by --view and kept by --record, checked by sha256 against the file the server names, and the joints through which an IMU term read in another body than the IMU\'s is derived (docs/byom.md)')
    .option('--urdf-package-path <dir>', 'folders searched for package://PKG mesh paths (a folder holding PKG/, or PKG itself); $ROS_PACKAGE_PATH is added (repeat the flag for more)', repeated, [] as string[])
    .option('--strict', 'with --urdf: refuse a moving link without <inertial> or with mass 0 instead of giving it a default', false)
    .addOption(new Option('--mesh-collision <mode>', 'with --urdf: collision meshes become convex hulls (default), boxes, capsules or nothing').choices(['hull', 'box', 'capsule', 'none'] as const))
    .option('--fixed-base', 'with --urdf: fix the root link to the world (an arm on a table; default: the manifest\'s fixed_base, else fixed only with a "world" link)')
    .option('--imu-link <link>', 'with --urdf or --mjcf: link (an MJCF\'s body) carrying the IMU (default: the manifest\'s imu_link, else an imu* link by the rules in docs/your-robot.md (one fixed to the base without rotation first), else the floating base)')
    .option('--init-pose <joint=rad,...>', 'with --urdf or --mjcf: start (and hold) these joint positions, over the manifest\'s default pose', parseInitPose)
    .option('--kp <gain>', 'with --urdf or --mjcf: one position gain for every joint (N·m/rad), over the manifest\'s pd', nonNegative)
    .option('--kd <gain>', 'with --urdf or --mjcf: one damping gain for every joint (N·m·s/rad), over the manifest\'s pd', nonNegative)
    .option('--armature <kg·m²>', 'with --urdf: reflected rotor inertia of every joint, over the manifest\'s actuators.armature', nonNegative)
    .addOption(new Option('--pd <integration>', 'with --urdf: PD solved with the next velocity (implicit, default: stable on light links) or from the step start (explicit)').choices(['implicit', 'explicit'] as const))
    .option('--json', 'print one JSON summary object on the last line of stdout', false))
    .action(async (o, cmd) => {
      if (isBridged(o.robot)) {
        const setupFlag = SETUP_FLAGS.find((f) => flagGiven(cmd, f));
        if (setupFlag) throw new UsageError(setupFlag, 'sets up a robot simulated here, and a bridged robot is set up by its server', `axon bridge --${o.mjcf !== undefined ? 'mjcf' : 'urdf'} FILE ${setupFlag} ... on the server, or no ${setupFlag}`);
      }
      refuseOrphans(cmd, o, [...WORLD_MODEL_COMPANIONS, ...VIEW_COMPANIONS, ...VIEW_STOP_COMPANIONS, ...OUTPUT_COMPANIONS, ...ASYNC_COMPANIONS, ...SIM_COMPANIONS]);
      if (o.urdf && o.mjcf) throw new UsageError('--mjcf', 'and --urdf were both given', 'one robot file');
      // Lockstep gives the page almost no event-loop turn: it saw 3 frames of 3000, and the run ended before its E-STOP could act (docs/viewer.md).
      if (o.view && o.fast) throw new UsageError('--view', 'cannot watch a --fast run: lockstep leaves the page no time between ticks (a few frames of thousands, no time to stop or pause)', '--view in real time (without --fast), or --fast without --view');
      // --mjcf implies MuJoCo; an explicit --physics cannon is refused by the session.
      const physics = o.mjcf && cmd.getOptionValueSource('physics') !== 'cli' ? 'mujoco' : o.physics;
      refuseStraySetupFlags(o);
      // --urdf without --policy (and no world model): look first, the robot holds its default pose.
      const worldModel = (o.urdf || o.mjcf) && o.policy === undefined && o.worldModel === undefined ? undefined : worldModelFromFlags(o);
      if (o.robot === undefined && !o.urdf && !o.mjcf) throw new UsageError('--robot', 'is required', `a shipped robot (cartpole, pendulum, humanoid, arm), ws://host:port, --urdf FILE or --mjcf FILE`);
      const bridged = isBridged(o.robot);
      if (bridged && o.dataset)
        throw new UsageError('--dataset', 'is not available with a bridged robot yet', 'a simulated robot by name, or --record FILE then axon export lerobot');
      if (bridged) return simOverBridge({ ...o, robot: o.robot!, sleep: cmd.getOptionValueSource('sleep') === 'cli' ? o.sleep : undefined }, worldModel);
      refuseUnreadCommand({ ...o, worldModel: worldModel?.dir });
      checkFaultTime(o.fault, o.duration, 'run (--duration)');
      // As over the bridge: a busy --view-port or an unwritable --record is refused before the run, not after its summary.
      if (o.record) checkWritable(o.record);
      if (o.dataset) checkDatasetDir(o.dataset);
      if (o.view) await checkPortFree(o.viewPort);
      const session = await openSimSession({
        robot: o.robot ?? '(urdf)',
        policy: o.policy,
        physicsHz: o.physicsHz,
        physics,
        zeroPolicy: o.zeroPolicy,
        worldModel,
        actionNoise: o.actionNoise,
        fault: o.fault,
        ...(o.async ? { asyncStallS: o.stallMs / 1000 } : {}),
        ...(o.command ? { velocityCommand: o.command } : {}),
        ...(o.mjcf ? { mjcf: mjcfFlags(o.mjcf, o) } : {}),
        ...(o.urdf ? { urdf: urdfFlags(o.urdf, o) } : {}),
      });
      const robotLabel = o.robot ?? session.robot.spec.name;
      const setup = session.setup;
      const ms = session.mjcfSetup;
      if (ms && !o.json) console.log(`axon sim: MJCF, ${mjcfSetupLine(ms)}`);
      if (setup && !o.json) console.log(`axon sim: ${urdfSetupLine(setup)}`);
      const action = session.folder.manifest.action.type;
      if (setup?.gains === 'default' && o.policy !== undefined && (action === 'joint_position' || action === 'joint_position_abs'))
        process.stderr.write(`axon: note: ${o.policy}'s manifest has no pd: the policy runs on axon's default gains (${DEFAULT_GAINS_RULE}), not on those it was trained with; set pd to the training's (or --kp/--kd)\n`);
      // An MJCF's own gains are its maker's, not the training's either.
      if (ms && ms.gains.flags === 0 && ms.gains.manifest === 0 && o.policy !== undefined && (action === 'joint_position' || action === 'joint_position_abs'))
        process.stderr.write(
          `axon: note: ${o.policy}'s manifest has no pd: the policy runs on the model's position-actuator gains (${ms.gains.model} joints) and axon's default gains (${ms.gains.default} joints: ${DEFAULT_GAINS_RULE}), not necessarily on those it was trained with; set pd to the training's (or --kp/--kd)\n`,
        );
      const realtime = !o.fast;
      const commandNote = o.command && session.command.clampNote(o.command);
      if (commandNote) process.stderr.write(`axon: note: ${commandNote}\n`);
      if (!o.json)
        console.log(
          `axon sim: ${robotLabel} under ${session.folder.manifest.name} (${session.folder.manifest.control_hz} Hz policy, ${o.physicsHz} Hz physics, ${physics === 'mujoco' ? 'MuJoCo' : 'cannon-es'}), ` +
            `${o.duration} s ${realtime ? 'in real time' : 'as fast as possible'}, seed ${o.seed}${o.randomize ? ', randomised' : ''}`,
        );
      // --dataset: opened (or checked for append) before the robot moves; a mismatch is refused here,
      // a planner without a policy's control mode too (its mapper's manifest: the world model's).
      const dataset = o.dataset
        ? await DatasetWriter.open({
            dir: o.dataset,
            spec: session.robot.spec,
            fps: session.folder.manifest.control_hz,
            task: o.task ?? defaultTask(robotLabel, session.task.name),
            scored: true,
            velocityCommand: session.command,
            provenance: provenance({ spec: session.robot.spec, period: session.period, ...(o.policy ? { model: o.policy, manifest: session.folder.manifest } : { mode: manifestControlMode(session.folder.manifest) }), source: `axon sim ${o.urdf !== undefined || o.mjcf !== undefined ? robotFileArgs(o) : `--robot ${robotLabel}`}` }),
          }).catch(async (e: unknown) => {
            await session.close();
            throw e;
          })
        : undefined;
      const outputs = new RunOutputs(o, dataset);
      // --async: how old the actions were and how long inference took, sampled per tick (no allocation).
      const age = actionAgeCounts();
      // A stop signal (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT: src/session/stopSignals.ts) ends the run as
      // its duration would: the loop stops, the recording is closed with its footer, the summary is
      // printed. A second one takes its default action (kills a slow close: no robot to stop here).
      let interrupted: string | undefined;
      let onSignal: ((sig: NodeJS.Signals) => void) | undefined;
      try {
        const r = await runEpisode(session, { seed: o.seed, randomize: o.randomize, durationS: o.duration, realtime, sleep: o.sleep, continueAfterTerminate: true, pausable: o.view }, (loop, { safety, control, worldModel: wm }) => {
          onSignal = (sig) => {
            for (const s of STOP_SIGNALS) process.off(s, onSignal!);
            interrupted = sig;
            loop.stop();
            control?.resume(); // a paused clock would hold the last tick
          };
          for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
          if (o.async) countActionAge(loop, age);
          outputs.attach(loop, {
            manifest: session.folder.manifest,
            safety,
            command: session.command,
            health: [session.robot.health$], // the page's Arm is refused while the robot reports a fault
            ...(wm ? { traced: wm } : {}),
            recording: () => ({
              spec: session.robot.spec,
              worldModelManifest: session.worldModel?.folder.manifest,
              period: session.period,
              run: {
                command: 'sim', robot: robotLabel, task: session.task.name, policy: o.policy, seed: o.seed, randomize: o.randomize, realtime, physics, ...(o.mjcf ? { mjcf: resolve(o.mjcf) } : {}), ...((setup?.imuLink ?? ms?.imuLink) ? { imu_link: setup?.imuLink ?? ms?.imuLink } : {}), // where the IMU was: a replay deriving a link starts there
                // What `axon replay --view` draws the URDF robot with (src/record/drawingMeta.ts).
                ...(setup && o.urdf ? drawingMeta(o.urdf, { fixedBase: setup.fixedBase, basePosition: setup.options.basePosition, baseOrientation: setup.options.baseOrientation, packagePaths: o.urdfPackagePath }, setup.model.source) : {}),
              },
            }),
            view: () => {
              // A MuJoCo robot's `model` is its mjModel: the page gets the URDF's visuals (shipped or --urdf), else the MJCF's geoms, posed from MuJoCo's bodies (sim/mujoco/mujocoView.ts, loaded only here).
              const urdfModel = setup?.model ?? (o.robot !== undefined && !o.mjcf && robotNames().includes(o.robot) ? robotModel(o.robot) : undefined);
              const robot = physics === 'mujoco' ? import('../../../sim/mujoco/mujocoView.ts').then((m) => m.mujocoViewRobot(session.robot as Parameters<typeof m.mujocoViewRobot>[0], urdfModel)) : session.robot;
              return { robot, options: { control, engine: physics === 'mujoco' ? 'MuJoCo' : 'cannon-es' } };
            },
          });
        });
        // As a live run says it (src/session/runLive.ts): the state at the end decides, and the first
        // stop wins: held in the supervisor's own stop when a Ctrl-C came is safe_stop (exit 5, below),
        // as over the bridge (docs/safety.md "How a run ends"). Kept with the episode (MCAP, dataset).
        const endedBy = episodeEndedBy(r, interrupted !== undefined);
        const { record, dataset: datasetSummary, viewer } = await outputs.finish({ success: r.success, seed: o.seed, randomization: r.randomization, endedBy });
        const summary = {
          command: 'sim',
          robot: robotLabel,
          policy: o.policy ?? null,
          seed: o.seed,
          ...(physics === 'mujoco' ? { physics } : {}), // absent: cannon-es, the default (a bridged summary has the same keys)
          duration_s: round(r.steps * session.period, 6),
          ticks: r.steps,
          realtime,
          ...(interrupted ? { interrupted } : {}),
          ended_by: endedBy,
          loop: loopSummary(r.loop.stats),
          episode: { return: round(r.episodeReturn, 4), steps: r.steps, terminated: !session.task.success, success: r.success, ...(r.invalid !== undefined ? { invalid: r.invalid } : {}), ...(r.metrics ?? {}) },
          ...(ms ? { robot_setup: mjcfSetupSummary(ms) } : {}),
          ...(setup ? { robot_setup: urdfSetupSummary(setup) } : {}),
          safety: safetySummary(r.safety),
          randomization: r.randomization,
          ...(record ? { record } : {}),
          ...(viewer ? { viewer } : {}),
          ...(datasetSummary ? { dataset: datasetSummary } : {}),
          ...(o.command || hasVelocityTerm(session.folder.manifest) ? { velocity_command: Array.from(session.command.value) } : {}),
          ...(o.async ? { async_policy: asyncSummary(age) } : {}),
          ...(r.worldModel && worldModel ? { world_model: worldModelSummary(worldModel.dir, r.worldModel, round) } : {}),
        };
        if (o.json) console.log(JSON.stringify(summary));
        else {
          printHuman(summary);
          const d = summary.dataset;
          if (d) console.log(datasetLine(d));
        }
        outputs.reportDrops(o.allowDrops);
        // A fall, a simulation the watchdog stopped (drake's Atlas: a joint past its speed while falling),
        // or a fixed-base robot with no policy that did not hold its default pose (the G1's waist and arms swinging).
        const fell = (r.metrics as { fell?: boolean } | undefined)?.fell === true;
        const offset = (r.metrics as { pose_offset?: { max: number; joint: string | null } } | undefined)?.pose_offset;
        // A policy or a planner moves joints on purpose: only a robot left holding its default pose (no
        // policy and no planner, or --zero-policy whose zeros are the default pose) can fail to hold it.
        const holdsDefault = (o.policy === undefined && worldModel === undefined) || (o.zeroPolicy && o.policy !== undefined && session.folder.manifest.action.type === 'joint_position');
        const drifted = r.invalid === undefined && setup?.fixedBase === true && holdsDefault && offset !== undefined && offset.max > POSE_HOLD_SLACK;
        const hint = fell || drifted || r.invalid !== undefined ? (setup ? fallHint(setup, physics, !fell && r.invalid !== undefined) : ms && fell ? mjcfFallHint(ms) : undefined) : undefined;
        const what = fell ? 'the robot fell' : drifted ? `the robot did not hold its default pose (${offset.joint} moved ${offset.max} from it, more than ${POSE_HOLD_SLACK})` : 'the simulation was stopped';
        // The drift is said even when no advice applies (armature given, no light body).
        if (hint || drifted) process.stderr.write(`axon: hint: ${what}${hint ? `; ${hint}` : ''}\n`);
        // A blown-up simulation is a failed run: the state watchdog's event is in the summary.
        if (r.invalid !== undefined) {
          if (!o.json) process.stderr.write(`axon: the simulation left a sane state (${r.invalid}): the run is invalid\n`);
          process.exitCode = EXIT_INVALID_RUN;
        } else failIfSafeStopped(r.safety); // held in the supervisor's own stop at the end: exit 5
      } finally {
        if (onSignal) for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
        try {
          await outputs.close();
        } finally {
          await session.close();
        }
      }
    });
}

/** `--robot ws://...`: the same session on wall-clock time against a robot served by `axon bridge`. */
async function simOverBridge(o: {
  robot: string;
  policy?: string;
  token?: string;
  duration: number;
  seed: number;
  json: boolean;
  worldModel?: string;
  view: boolean;
  viewPort: number;
  stopNeedsToken: boolean;
  allowOrigin?: string[];
  record?: string;
  allowDrops: boolean;
  command?: [number, number, number];
  async: boolean;
  stallMs: number;
  guardOnnx: boolean;
  actionNoise?: number;
  fault?: unknown;
  randomize: boolean;
  zeroPolicy: boolean;
  /** The client's copy of the served robot's URDF: draws it (viewer, recording) once checked against the hello. */
  urdf?: string;
  urdfPackagePath: string[];
  mjcf?: string;
  /** --sleep as given: the live clock; default defaultLiveClock (timer: the link streams state). */
  sleep: 'block' | 'timer' | undefined;
}, worldModel: WorldModelOptions | undefined): Promise<void> {
  if (!o.policy) throw new UsageError('--policy', 'is required with a bridged robot', 'a policy folder');
  const simOnly = o.fault ? '--fault' : o.randomize ? '--randomize' : o.zeroPolicy ? '--zero-policy' : undefined;
  if (simOnly) throw new UsageError(simOnly, 'is not available with a bridged robot', `a simulated robot by name${simOnly === '--randomize' ? ' (or axon bridge --randomize on the server)' : ''}`);
  // The drawing file first, by its flag: a missing one was MuJoCo's MUJOCO_MJCF_FILE (or URDF_FILE) naming only the path.
  if (o.urdf !== undefined) checkInputFile(o.urdf, '--urdf', "your copy of the served robot's URDF file");
  if (o.mjcf !== undefined) checkInputFile(o.mjcf, '--mjcf', "your copy of the served robot's MJCF file");
  refuseUnreadCommand({ ...o, worldModel: worldModel?.dir });
  if (o.record) checkWritable(o.record);
  if (o.view) await checkPortFree(o.viewPort);
  // The client's copy of the served URDF is read and parsed before connecting, and its joints are
  // checked on the hello, before auth: a bad --urdf is refused before the sim reset touches the
  // simulation other clients share.
  // The same for --mjcf (compiled in MuJoCo, to draw only).
  const urdf = o.urdf !== undefined ? loadDrawingUrdf(o.urdf, o.urdfPackagePath) : undefined;
  const mjcf = o.mjcf !== undefined ? await loadDrawingMjcf(o.mjcf) : undefined;
  // On the hello, before auth, so before the sim reset touches the served robot (src/cli/bridgeHello.ts):
  // the drawing's joints, the policy's rate against the server's deadman, a robot in a latched stop.
  // The model's commands against the served spec too (a velocity model with kd 0 would arm and move nothing).
  const manifest = loadModelFolder(o.policy).manifest;
  const policy = o.policy;
  const acceptHello: BridgeRobotOptions['acceptHello'] = (h, spec) => {
    if (urdf) refuseServedJoints(urdf, spec);
    else if (mjcf) refuseServedMjcfJoints(mjcf, spec);
    refuseSlowPolicy(h, o.robot, policy, manifest.control_hz);
    refuseStoppedRobot(h, o.robot);
    // The whole model check waits for the links --urdf/--mjcf derive (bridgeDrawingAndLinks); the joints are the served spec's already.
    const served = new Set(spec.joints.map((j) => j.name));
    if (manifest.joints.every((j) => served.has(j))) assertCommandableBeforeArming(manifest, spec, undefined);
  };
  const robot = await connectBridgeRobot(o.robot, { token: o.token, simReset: { seed: o.seed }, acceptHello }).catch((e: unknown) => {
    mjcf?.drawing.dispose();
    throw e;
  });
  // Stopped meanwhile (between the hello and the first frame): the same refusal.
  if (robot.serverState === 'safe-stop' || robot.serverState === 'e-stopped') {
    const h = robot.hello;
    await robot.close();
    mjcf?.drawing.dispose();
    throw robotStoppedError(o.robot, robot.serverState, h.stateCause, h.stateReason);
  }
  const shipped = shippedRobotServed(robot.hello.sim, robot.spec);
  const task = shipped ? createTask(shipped) : undefined;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // What the viewer draws and the recording keeps of the served robot's file (--urdf checked against the hello), and
  // IMU terms read in another link than the IMU's (docs/byom.md) derived through it, as a real robot's deploy code does.
  const { drawing, controlled } = await bridgeDrawingAndLinks(robot, { url: o.robot, policy: o.policy, ...(urdf ? { urdf } : {}), ...(mjcf ? { mjcf } : {}), ...(shipped ? { shipped } : {}), say });
  if (!o.json) console.log(`axon sim: ${printable(robot.spec.name)} over ${o.robot} under ${o.policy}${worldModel ? ` with ${worldModel.dir} (${worldModel.mode})` : ''}, ${o.duration} s in real time`);
  const outputs = new RunOutputs(o);
  const age = actionAgeCounts();
  const clock = o.sleep ?? defaultLiveClock(robot);
  // What stopped the robot, if anything did (the server's stop, a link that cannot go on): named
  // when the run ends on it, as `axon run` names a bus fault.
  const faults = new Set<string>();
  const faultWatch = robot.health$.subscribe((h) => {
    for (const f of h.faults) faults.add(f);
  });
  // A server restarted on another revision of the file: one warning line (the drawing and served_model are of the first).
  const fileWatch = watchServedFile(robot, say);
  let ended: RecordedEpisode | undefined;
  const r = await runLive(controlled, {
    policy: o.policy,
    clock,
    durationS: o.duration,
    seed: o.seed,
    ...(worldModel ? { worldModel } : {}),
    ...(o.actionNoise !== undefined ? { actionNoise: o.actionNoise } : {}),
    ...(o.async ? { asyncStallS: o.stallMs / 1000 } : {}),
    ...(o.guardOnnx ? { guardOnnx: true } : {}),
    ...(task ? { task } : {}),
    ...(o.command ? { velocityCommand: o.command } : {}),
    onLoop: (loop, safety, command, parts) => {
      const note = o.command && command.clampNote(o.command);
      if (note) process.stderr.write(`axon: note: ${note}\n`);
      if (o.async) countActionAge(loop, age);
      const manifest = loadModelFolder(o.policy!).manifest;
      outputs.attach(loop, {
        manifest,
        safety,
        command,
        health: [robot], datasetSplitAt: safety, // Arm: refused on a served stop, arms after the server's reset (docs/viewer.md); split as run/teleop (--dataset is refused above today)
        ...(parts.traced ? { traced: parts.traced } : {}),
        recording: () => ({
          spec: controlled.spec, // with the links derived for the policy's IMU terms: a replay reads them as it reads a simulator's
          worldModelManifest: worldModel ? loadModelFolder(worldModel.dir).manifest : undefined,
          period: 1 / manifest.control_hz,
          // robot: the served robot's name, as a local run keeps its robot's (a shipped one is drawn by it in a replay); bridge: the URL it was reached at.
          run: { command: 'sim', robot: robot.spec.name, policy: o.policy, seed: o.seed, realtime: true, bridge: o.robot, ...(robot.hello.engine ? { physics: robot.hello.engine } : {}), ...drawing.run },
        }),
        view: () => ({ robot: drawing.viewRobot(), options: { title: `axon sim: ${robot.spec.name} over the bridge` } }),
      });
    },
  })
    .then((x) => ((ended = { endedBy: x.endedBy }), x))
    .finally(async () => {
      faultWatch.unsubscribe();
      fileWatch.unsubscribe();
      try {
        await outputs.close(ended); // how the run ended, into the recording (as a local run's)
      } finally {
        await drawing.close();
      }
    });
  const { record, viewer } = await outputs.finish();
  // A run the robot's stop ended did not succeed, whatever the task read from the last frames
  // (runLive says so: success is false when the loop was stopped or ended held in a safe stop).
  const e = r.episode;
  const summary = {
    command: 'sim',
    // The served robot's name, as a local run names its robot and the recording's run.robot does; the URL is bridge.url.
    robot: robot.spec.name,
    policy: o.policy,
    seed: o.seed,
    ...(robot.hello.engine === 'mujoco' ? { physics: 'mujoco' } : {}), // as a local summary: absent for cannon-es
    duration_s: round(r.loop.timeS, 6), // wall time on the loop clock, as axon run
    ticks: r.loop.ticks,
    realtime: true,
    loop: loopSummary(r.loop.stats),
    episode: e
      ? { return: round(e.return, 4), steps: r.loop.ticks, terminated: e.terminated, success: e.success, ...(e.metrics ?? {}) }
      : { return: null, steps: r.loop.ticks, terminated: null, success: null, note: `no task known for robot "${robot.spec.name}" on this side` },
    safety: safetySummary(r.safety),
    randomization: {},
    ...(record ? { record } : {}),
    ...(viewer ? { viewer } : {}),
    ...(o.command || hasVelocityTerm(r.folder.manifest) ? { velocity_command: Array.from(r.command.value) } : {}),
    ...(o.async ? { async_policy: asyncSummary(age) } : {}),
    ...(r.worldModel && worldModel ? { world_model: worldModelSummary(worldModel.dir, r.worldModel, round) } : {}),
    ended_by: r.endedBy,
    bridge: { url: o.robot, clock, engine: robot.hello.engine ?? null, reconnects: robot.counts.reconnects, frames_received: robot.counts.framesReceived, commands_sent: robot.counts.commandsSent, commands_withheld: robot.counts.commandsWithheld, server_state: robot.serverState },
  };
  if (o.json) console.log(JSON.stringify(summary));
  else {
    // The local run's lines (review R20 F4: the stages and the safety events were not printed here), then the bridge's.
    console.log(`ticks ${summary.ticks} at ${summary.loop.rate_hz} Hz`);
    printLoopLines(summary.loop);
    if (e) console.log(`episode: return ${summary.episode.return}, ${e.success ? 'success' : 'failed'}`);
    console.log(safetyLine(summary.safety));
    console.log(`bridge${summary.bridge.engine ? ` (${summary.bridge.engine === 'mujoco' ? 'MuJoCo' : summary.bridge.engine === 'cannon' ? 'cannon-es' : summary.bridge.engine})` : ''}: ${summary.bridge.frames_received} frames in, ${summary.bridge.commands_sent} commands out${summary.bridge.commands_withheld ? ` (${summary.bridge.commands_withheld} withheld: the served robot was stopped or idle)` : ''}, ${summary.bridge.reconnects} reconnects`);
    if (summary.world_model) console.log(`world model (${summary.world_model.mode})${summary.world_model.vetoes !== undefined ? `: ${summary.world_model.vetoes} commands vetoed` : ''}`);
  }
  outputs.reportDrops(o.allowDrops);
  // A run the robot's stop ended is a failed run, as on `axon run` and `teleop` (exit 1): the
  // summary above says what ran; this line says why it failed. Held in the client supervisor's own
  // stop at the end: exit 5.
  failLiveRun(r, [], () => `the run ended on a robot fault (the loop safe-stopped): ${[...faults].join('; ') || 'the served robot stopped'}`);
}

/** The loop's period error and stage times, as a local and a bridged run print them. */
function printLoopLines(l: ReturnType<typeof loopSummary>): void {
  console.log(`period error µs p50 ${l.period_error_us.p50} p99 ${l.period_error_us.p99} max ${l.period_error_us.max}, overruns ${l.overruns}`);
  console.log('stage µs p50/p99: ' + Object.entries(l.stage_us).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', '));
}

/** `safety: STATE, events: ...` (or no interventions). */
function safetyLine(safety: ReturnType<typeof safetySummary>): string {
  const ev = Object.entries(safety.events).map(([k, n]) => `${k} ${n}`).join(', ');
  return `safety: ${safety.state}${ev ? `, events: ${ev}` : ', no interventions'}`;
}

function printHuman(s: {
  ticks: number;
  duration_s: number;
  interrupted?: string;
  loop: ReturnType<typeof loopSummary>;
  episode: { return: number; steps: number; terminated: boolean; success: boolean; invalid?: string; fell?: unknown; base_height_min?: unknown; base_height_start?: unknown; base_displacement?: unknown; tilt_max_rad?: unknown; pose_offset?: { max: number; final: number; joint: string | null }; mimic_error?: { max: number; final: number; joint: string | null } };
  safety: ReturnType<typeof safetySummary>;
  world_model?: { mode: string; vetoes?: number; max_surprise?: number; fault_s?: number | null; surprise_event_after_s?: number | null };
}): void {
  const l = s.loop;
  console.log(`ticks ${s.ticks} (${s.duration_s} s simulated) at ${l.rate_hz} Hz achieved${s.interrupted ? `, stopped early (${s.interrupted})` : ''}`);
  printLoopLines(l);
  const outcome = s.interrupted ? 'not finished' : s.episode.success ? 'success' : 'failed';
  console.log(`episode: return ${s.episode.return}, ${outcome}${s.episode.terminated ? ' (task limits broken)' : ''}`);
  const e = s.episode;
  if (e.fell !== undefined)
    console.log(`stand: ${e.fell ? 'fell' : 'stood'}, base height ${e.base_height_start} m at the start, min ${e.base_height_min} m, displacement ${JSON.stringify(e.base_displacement)} m (start frame), max tilt ${e.tilt_max_rad} rad`);
  if (e.pose_offset !== undefined)
    console.log(`pose: joints at most ${e.pose_offset.max} from the default pose${e.pose_offset.joint ? ` (${e.pose_offset.joint})` : ''}, ${e.pose_offset.final} at the end (rad; m on a prismatic joint)`);
  if (e.mimic_error !== undefined)
    console.log(`mimic: followers at most ${e.mimic_error.max} from where their leaders put them${e.mimic_error.joint ? ` (${e.mimic_error.joint})` : ''}, ${e.mimic_error.final} at the end (rad; m on a prismatic joint)`);
  if (e.invalid !== undefined) console.log(`invalid: ${e.invalid}`);
  console.log(safetyLine(s.safety));
  const w = s.world_model;
  if (w)
    console.log(
      `world model (${w.mode})` +
        (w.vetoes !== undefined ? `: ${w.vetoes} commands vetoed` : '') +
        (w.max_surprise !== undefined ? `: max surprise ${w.max_surprise}${w.fault_s !== null ? `, fault at ${w.fault_s} s` : ''}${w.surprise_event_after_s !== null ? `, surprise event ${w.surprise_event_after_s} s after it` : ', no surprise event'}` : ''),
    );
}

/**
 * A shipped robot served by `axon bridge --sim` has its task (and its drawing) on this side. The
 * hello names the robot; a robot file served by `axon bridge --urdf|--mjcf` may carry the same name
 * (a vendor's URDF called "humanoid"), so the name counts only when the served joints are the
 * shipped robot's, in its order.
 */
export function shippedRobotServed(sim: boolean, spec: { readonly name: string; readonly joints: readonly { readonly name: string }[] }): string | undefined {
  if (!sim || !robotNames().includes(spec.name)) return undefined;
  const own = movingJoints(robotModel(spec.name)).map((j) => j.name);
  return own.length === spec.joints.length && own.every((n, i) => n === spec.joints[i].name) ? spec.name : undefined;
}
