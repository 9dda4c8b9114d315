import { Command, Option } from '@commander-js/extra-typings';
import { dirname, resolve } from 'node:path';
import { allowOriginArg, portNumber, positiveNumber, seedInt } from '../args.ts';
import { parseVelocityCommand } from '../../loop/VelocityCommand.ts';
import { runLive } from '../live.ts';
import { loopSummary, round, safetySummary } from '../summary.ts';
import { busBaud } from './hwServo.ts';
import { BAUD_CODES } from '../../../hardware/dynamixel/controlTable.ts';
import { FEETECH_BAUD_CODES } from '../../../hardware/feetech/controlTable.ts';
import { UsageError } from '../../core/errors.ts';
import { failLiveRun } from '../exitCodes.ts';
import { loadAnyRobotConfig, openConfiguredRobot } from '../../../hardware/robots/openRobot.ts';
import { FAULT_EVENTS, type HardwareEvent } from '../../../hardware/robots/DynamixelRobot.ts';
import { loadModelFolder } from '../../model/manifest.ts';
import { checkDatasetDir, checkPortFree, checkWritable, drawingModel } from '../preflight.ts';
import { ASYNC_COMPANIONS, OUTPUT_COMPANIONS, refuseOrphans, refuseUnreadCommand, VIEW_COMPANIONS, VIEW_STOP_COMPANIONS, WORLD_MODEL_COMPANIONS } from '../companions.ts';
import { addWorldModelOptions, worldModelFromFlags } from './eval.ts';
import { defaultLiveClock, LIVE_CLOCK_KINDS, worldModelSummary, type WorldModelOptions } from '../../session/index.ts';
import type { Robot } from '../../core/robot.ts';
import type { LiveResult } from '../live.ts';
import { drawingMeta, type RecordedEpisode } from '../../record/index.ts';
import { DatasetWriter, provenance } from '../../dataset/index.ts';
import { datasetLine, RunOutputs } from '../outputs.ts';
import { actionAgeCounts, asyncSummary, countActionAge } from '../asyncSummary.ts';

export function runCommand() {
  return addWorldModelOptions(new Command('run')
    .description('Drive a real robot (a Dynamixel or Feetech bus from a robot config) with a policy: wall clock, soft start, safety, bus statistics. Dry-run against the emulator first: --port emu://')
    .requiredOption('--config <file>', 'robot config, e.g. hardware/robots/arm6-xm430.json')
    .requiredOption('--policy <dir>', 'model folder with manifest.json and model.onnx')
    .option('--port <port>', "serial device, tcp://host:port, or emu:// (the config's servos, emulated); default: the config's port")
    .option('--baud <bps>', "bus line rate (bit/s), a rate of the config's protocol (Dynamixel or Feetech); default: the config's", busBaud)
    .option('--dry-run', 'connect, check and read, but never enable torque or write goals', false)
    .option('--duration <s>', 'seconds to run', positiveNumber, 10)
    .option('--view', 'serve the viewer and operator console on localhost (URL with token printed): live joints, stats, safety, e-stop', false)
    .option('--view-port <n>', 'viewer port (0 = any free port)', portNumber, 8090)
    .option('--allow-origin <url>', 'with --view: also let pages of this origin open the viewer (an https reverse proxy in front of it, e.g. https://robot.example.com), its host passing the Host check; repeatable (docs/viewer.md)', allowOriginArg)
    .option('--stop-needs-token', "with --view: E-STOP and Disarm need the page's token too (default: a page without it may stop; for a viewer exposed beyond the robot's own network, docs/safety.md)", false)
    .option('--urdf <file>', "URDF the viewer draws the robot with (default: the config's \"urdf\"); its moving joints must be the config's")
    .option('--record <file>', 'record every tick to MCAP (opens in Foxglove; read with axon replay)')
    .option('--command <vx,vy,wz>', "velocity command for a locomotion policy's velocity_commands term (m/s, m/s, rad/s), clamped to the manifest's command_ranges; the viewer (--view) changes it live", (v) => parseVelocityCommand(v, '--command'))
    .option('--async', 'run the policy in a worker thread: the loop never waits for it', false)
    .option('--stall-ms <ms>', 'with --async: a request older than this is a stall (hold, then safe-stop)', positiveNumber, 200)
    .option('--guard-onnx', "run every onnxruntime call (policy, world model) on a worker thread the loop waits for at most the stage's budget per call: a call that never returns is a deadline miss (hold, then safe-stop) instead of a frozen loop; costs one thread hand-off per call (docs/safety.md)", false)
    .option('--seed <n>', 'seed of the action noise and the world-model hook', seedInt, 1)
    .addOption(new Option('--clock <kind>', "the loop's wall clock: block (default: once the tick is sent and the bus cycle read back, the loop's thread sleeps in Atomics.wait then spins a learned margin, as a C loop does), timer (event-loop timers and a learned spin on the loop's thread) or worker (a timing thread sleeps with Atomics.wait and a learned spin, then wakes the loop); docs/timing.md").choices(LIVE_CLOCK_KINDS))
    .option('--dataset <dir>', 'record the run as one episode of a LeRobotDataset v3.0 (created, or appended to when its features and rate match); read with axon dataset info / axon replay')
    .option('--task <text>', "with --dataset: the episode's task text (default: \"<policy> (<robot>)\")")
    .option('--allow-drops', 'with --record/--dataset: a recording that dropped frames still exits 0 (the counts are in the summary)', false)
    .option('--baseline', 'emulated bus only (--port emu://): also run the same policy and noise without the world model on a fresh emulator, and report both', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false))
    .action(async (o, cmd) => {
      // --urdf only draws the robot (viewer, recording); --baseline is checked below, with the port.
      refuseOrphans(cmd, o, [...WORLD_MODEL_COMPANIONS, ...VIEW_COMPANIONS, ...VIEW_STOP_COMPANIONS, ...OUTPUT_COMPANIONS, ...ASYNC_COMPANIONS, { flag: '--urdf', needs: '--view or --record', ok: (x) => x.view || x.record !== undefined, instead: () => 'it is the model the robot is drawn with' }]);
      if (o.fault) throw new UsageError('--fault', 'is a simulation fault injection', 'axon sim or axon eval with a simulated robot');
      const worldModel = worldModelFromFlags(o);
      refuseUnreadCommand({ ...o, worldModel: worldModel?.dir });
      const loaded = loadAnyRobotConfig(o.config); // Dynamixel or Feetech, as the config says
      const config = loaded.config;
      // A leader arm is read only (torque off, moved by hand): the policy's commands would go nowhere
      // and the run would read as a success. --dry-run (which writes nothing) is how a leader is read.
      if (config.role === 'leader' && !o.dryRun)
        throw new UsageError('--config', `${o.config} is a leader config (role "leader": read only, torque off; it ignores every command)`, 'a follower robot config (role "follower" or none), or --dry-run to read a leader arm without writing to it');
      const folder = loadModelFolder(o.policy); // fail on a bad model before touching the bus
      const urdf = o.urdf ? resolve(o.urdf) : config.urdf !== undefined ? resolve(dirname(o.config), config.urdf) : undefined;
      const period = 1 / folder.manifest.control_hz;
      const portName = o.port ?? config.port;
      if (!portName) throw new UsageError('--port', `is required: ${o.config} names no port`, 'a serial device, tcp://host:port or emu://');
      const baud = o.baud ?? config.baud;
      // --baud is parsed against both tables (busBaud); here against the config's protocol, before the bus is touched.
      const rates: number[] = Object.values(loaded.protocol === 'feetech' ? FEETECH_BAUD_CODES : BAUD_CODES);
      if (o.baud !== undefined && !rates.includes(o.baud)) throw new UsageError('--baud', `${o.baud} bit/s is not a ${loaded.protocol === 'feetech' ? 'Feetech STS' : 'Dynamixel'} rate (${o.config} is a ${loaded.protocol} config)`, rates.join(', '));
      // A dry run sends no command: its episode would pair the policy's actions with an arm that did not move (a demonstration of nothing).
      if (o.dryRun && o.dataset) throw new UsageError('--dataset', 'cannot record a dry run: --dry-run sends no command, so the actions saved would never have been executed', '--record FILE to keep a dry run (the MCAP says dry_run), or no --dry-run');
      // Checked before the bus is touched: the recording file, the viewer port, the drawing model.
      if (o.record) checkWritable(o.record);
      if (o.dataset) checkDatasetDir(o.dataset);
      if (o.view) await checkPortFree(o.viewPort);
      const jointNames = config.joints.map((j) => j.name);
      const model = urdf && (o.view || o.record) ? drawingModel(urdf, jointNames, o.urdf ? '--urdf' : `${o.config}#/urdf`) : undefined;
      if (o.baseline && !(worldModel && portName.startsWith('emu://')))
        throw new UsageError('--baseline', worldModel ? `drives ${portName} twice` : 'needs --world-model', worldModel ? 'the emulated bus (--port emu://): a real robot is not run a second time by itself' : '--world-model DIR --wm-mode shield|monitor');
      const open = () => openConfiguredRobot(loaded, portName, baud, { dryRun: o.dryRun, period }).robot;
      const robot = open();
      const clock = o.clock ?? defaultLiveClock(robot);
      // --dataset: opened (or checked for append) before the bus is touched; a mismatch is refused here.
      // The velocity command source is the run's (made in runLive): bound in onLoop, read on the ticks.
      const datasetCommand: { applied: ArrayLike<number> } = { applied: new Float64Array(3) };
      const dataset = o.dataset
        ? await DatasetWriter.open({
            dir: o.dataset,
            spec: robot.spec,
            fps: folder.manifest.control_hz,
            task: o.task ?? `${folder.manifest.name} (${config.name})`,
            scored: false,
            velocityCommand: datasetCommand,
            provenance: provenance({ spec: robot.spec, period, model: o.policy, manifest: folder.manifest, source: `axon run --config ${o.config} --port ${portName}${o.dryRun ? ' --dry-run' : ''}` }),
          }).catch(async (e: unknown) => {
            await robot.close().catch(() => {});
            throw e;
          })
        : undefined;
      const outputs = new RunOutputs(o, dataset);
      const live = (r: Robot, wm: WorldModelOptions | undefined, onLoop?: Parameters<typeof runLive>[1]['onLoop']): Promise<LiveResult> =>
        runLive(r, {
          policy: o.policy,
          durationS: o.duration,
          seed: o.seed,
          clock,
          ...(wm ? { worldModel: wm } : {}),
          ...(o.actionNoise !== undefined ? { actionNoise: o.actionNoise } : {}),
          ...(o.async ? { asyncStallS: o.stallMs / 1000 } : {}),
          ...(o.guardOnnx ? { guardOnnx: true } : {}),
          ...(o.command ? { velocityCommand: o.command } : {}),
          ...(onLoop ? { onLoop } : {}),
        });
      if (!o.json) {
        console.log(`axon run: ${config.name} (${config.joints.length} servos) on ${portName} at ${baud} bit/s under ${folder.manifest.name} (${folder.manifest.control_hz} Hz), ${o.duration} s${o.dryRun ? ', DRY RUN (torque stays off, nothing is written)' : ''}`);
        robot.events$.subscribe((e) => printEvent(e));
      }
      let ended: RecordedEpisode | undefined;
      const age = actionAgeCounts(); // --async: the actions' age (async_policy)
      const r = await live(robot, worldModel, (loop, safety, command, parts) => {
          if (o.async) countActionAge(loop, age);
          // A robot fault (hardware error, port lost) ends the run: runLive has stopped the
          // supervisor, the robot has applied its safe stop; close() then leaves it so.
          robot.health$.subscribe((h) => {
            if (h.faults.length > 0) loop.stop();
          });
          datasetCommand.applied = command.applied;
          outputs.attach(loop, {
            manifest: folder.manifest,
            safety,
            command,
            ...(parts.traced ? { traced: parts.traced } : {}),
            datasetSplitAt: safety, // an operator reset (re-arm after a stop) starts the next episode
            health: [robot.health$], // the page's Arm is refused while the robot reports a fault
            recording: () => ({
              spec: robot.spec,
              ...(worldModel ? { worldModelManifest: loadModelFolder(worldModel.dir).manifest } : {}),
              period,
              run: { command: 'run', robot: config.name, config: o.config, policy: o.policy, port: portName, dry_run: o.dryRun, ...(model && urdf ? drawingMeta(urdf, { fixedBase: true }) : {}) },
            }),
            // No pause/step on a real robot; e-stop and arm act on this run's supervisor.
            view: () => ({ robot: { spec: robot.spec, ...(model ? { model } : {}) }, options: { title: `axon run: ${config.name}` } }),
          });
      })
        .then((x) => ((ended = { endedBy: x.endedBy }), x))
        // The dataset is saved also when the run ended on a fault or a refused pre-arm check (an
        // episode of 0 frames is not written); how the run ended goes into the recording and the
        // dataset's last episode (docs/dataset.md "How an episode ended").
        .finally(() => outputs.close(ended));
      const { record, dataset: datasetSummary, viewer } = await outputs.finish();
      // --baseline: the same policy, noise and seed without the world model, on a fresh emulated bus.
      const baseline = o.baseline ? await live(open(), undefined) : undefined;
      const b = robot.bus.stats;
      const counts: Record<string, number> = {};
      for (const e of robot.eventLog) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
      const faults = robot.eventLog.filter((e) => FAULT_EVENTS.has(e.kind)).map((e) => e.reason);
      const summary = {
        command: 'run',
        robot: config.name,
        config: o.config,
        policy: o.policy,
        port: portName,
        baud,
        dry_run: o.dryRun,
        duration_s: round(r.loop.timeS, 6), // the loop clock's (wall) time the run lasted: --duration, however many ticks an overrunning loop ran
        ticks: r.loop.ticks,
        ended_by: r.endedBy,
        clock,
        loop: loopSummary(r.loop.stats),
        safety: safetySummary(r.safety),
        bus: {
          reads: b.syncReads,
          writes: b.syncWrites,
          retries: b.retries,
          timeouts: b.timeouts,
          late_replies: b.late, // replies that came after their request had timed out: raise reply_timeout_ms
          crc_errors: robot.bus.decoder.stats.crcErrors,
          garbage_bytes: robot.bus.decoder.stats.garbageBytes,
          status_errors: b.statusErrors,
          failed_cycles: robot.failedReads, // bus cycles without a complete read (reported once per streak)
          read_latency_us: b.latencyUs(),
          bytes_out: b.bytesOut,
          bytes_in: b.bytesIn,
        },
        // safe_stop_unconfirmed: the servos the last safe stop could not read back (torque may still be on; also a fault, exit 1).
        hardware: { events: counts, faults, safe_stop_unconfirmed: robot.safeStopUnconfirmed },
        ...(record ? { record } : {}),
        ...(viewer ? { viewer } : {}),
        ...(datasetSummary ? { dataset: datasetSummary } : {}),
        ...(o.actionNoise ? { action_noise: o.actionNoise } : {}),
        ...(o.async ? { async_policy: asyncSummary(age) } : {}),
        ...(r.worldModel && worldModel ? { world_model: { ...worldModelSummary(worldModel.dir, r.worldModel, round), ...(worldModel.mode === 'shield' ? { continuation: r.sessionWorldModel?.continuationKind ?? 'hold' } : {}), position_clamps: r.safety.counts.position_clamp ?? 0 } } : {}),
        ...(baseline ? { baseline: { description: `the same policy${o.actionNoise ? ' and noise' : ''} without the world model (fresh emulator)`, ticks: baseline.loop.ticks, ended_by: baseline.endedBy, safety: safetySummary(baseline.safety), position_clamps: baseline.safety.counts.position_clamp ?? 0 } } : {}),
        final_position: Object.fromEntries(robot.spec.joints.map((j, i) => [j.name, round(robot.observe().jointPosition[i], 4)])),
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        const l = summary.loop;
        console.log(`ticks ${summary.ticks} (${summary.duration_s} s) at ${l.rate_hz} Hz, period error µs p50 ${l.period_error_us.p50} p99 ${l.period_error_us.p99}, overruns ${l.overruns}`);
        const bl = summary.bus.read_latency_us;
        console.log(`bus: ${summary.bus.reads} reads (latency µs p50 ${bl.p50} p99 ${bl.p99} max ${bl.max}), ${summary.bus.writes} writes, ${summary.bus.retries} retries, ${summary.bus.timeouts} timeouts, ${summary.bus.crc_errors} CRC errors`);
        const ev = Object.entries(summary.safety.events).map(([k, n]) => `${k} ${n}`).join(', ');
        console.log(`safety: ${summary.safety.state}${ev ? `, events: ${ev}` : ', no interventions'}`);
        const ran = (ticks: number, s: { state: string; stop?: { kind: string; time_s: number } }) => `in ${ticks} ticks${s.stop ? `, ${s.state} at ${s.stop.time_s} s (${s.stop.kind})` : ''}`;
        if (summary.world_model) console.log(`world model (${summary.world_model.mode})${summary.world_model.vetoes !== undefined ? `: ${summary.world_model.vetoes} commands vetoed` : ''}, ${summary.world_model.position_clamps} position clamps ${ran(summary.ticks, summary.safety)}`);
        const base = summary.baseline;
        if (base) {
          console.log(`baseline (${base.description}): ${base.position_clamps} position clamps ${ran(base.ticks, base.safety)}`);
          // Clamp counts of runs that moved for different times are not one comparison (review R20 F3).
          if (base.ended_by !== 'duration' || summary.ended_by !== 'duration') console.log(`note: the runs did not both run their full duration (ended by ${summary.ended_by} and ${base.ended_by}): the clamp counts cover different times`);
        }
        const d = summary.dataset;
        if (d) console.log(datasetLine(d));
      }
      outputs.reportDrops(o.allowDrops);
      const unconfirmed = robot.safeStopUnconfirmed;
      const stopSaid = unconfirmed.length > 0 ? `safe stop ${config.safe_stop} not confirmed on ${unconfirmed.join(', ')}` : `safe stop: ${config.safe_stop}`;
      failLiveRun(r, faults, (f) => `run ended on a robot fault (${stopSaid}): ${f}`); // a fault: exit 1; held in the supervisor's own stop: exit 5
    });
}

function printEvent(e: HardwareEvent): void {
  const line = `[hw] ${e.kind}: ${e.reason}`;
  if (FAULT_EVENTS.has(e.kind) || e.kind === 'stale' || e.kind === 'safe_stop') process.stderr.write(`${line}\n`);
  else if (e.kind !== 'read_retry') console.log(line);
}
