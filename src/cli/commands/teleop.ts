/**
 * `axon teleop --leader CFG --follower CFG`: leader-follower teleoperation between two arms
 * (e.g. the SO-101 leader and follower), through the safety supervisor, with the viewer's e-stop
 * and recording as `axon sim` / `axon run` do. `--port emu://` on both (the default when
 * --script-leader is given) runs it between two emulated buses with the leader moved by a script.
 */
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { allowOriginArg, portNumber, positiveNumber } from '../args.ts';
import { loopSummary, round, safetySummary } from '../summary.ts';
import { checkDatasetDir, checkPortFree, checkWritable, drawingModel } from '../preflight.ts';
import { OUTPUT_COMPANIONS, refuseOrphans, VIEW_COMPANIONS, VIEW_STOP_COMPANIONS } from '../companions.ts';
import { runTeleop, teleopManifest, tracking } from '../../teleop/runTeleop.ts';
import { drawingMeta, type RecordedEpisode } from '../../record/index.ts';
import { DatasetWriter, provenance } from '../../dataset/index.ts';
import { datasetLine, RunOutputs } from '../outputs.ts';
import { loadAnyRobotConfig, openConfiguredRobot, type ConfiguredRobot, type FeetechPort } from '../../../hardware/robots/openRobot.ts';
import { scriptLeader } from '../../../hardware/emulator/scriptedOperator.ts';
import type { FeetechEmulator } from '../../../hardware/emulator/FeetechEmulator.ts';
import type { FeetechRobotConfig } from '../../../hardware/robots/feetechConfig.ts';
import { FAULT_EVENTS, type HardwareEvent } from '../../../hardware/robots/DynamixelRobot.ts';
import { failLiveRun } from '../exitCodes.ts';

function rateHz(v: string): number {
  const x = Number(v);
  if (!(x >= 1 && x <= 1000)) throw new InvalidArgumentError('expected a rate from 1 to 1000 Hz');
  return x;
}

export function teleopCommand() {
  return new Command('teleop')
    .description('Leader-follower teleoperation: the leader arm (torque off, moved by hand) drives the follower through the safety supervisor (limits, rate limit, soft start, e-stop). How demonstrations are collected: add --dataset DIR --task TEXT (LeRobotDataset v3.0) or --record.')
    .requiredOption('--leader <file>', 'leader arm config, e.g. hardware/robots/so101-leader.json')
    .requiredOption('--follower <file>', 'follower arm config, e.g. hardware/robots/so101-follower.json')
    .option('--leader-port <port>', "leader's serial device, tcp://host:port or emu://; default: its config's port")
    .option('--follower-port <port>', "follower's port; default: its config's port")
    .option('--hz <n>', 'loop rate (Hz): the leader is read and the follower commanded once per tick', rateHz, 100)
    .option('--duration <s>', 'seconds to run', positiveNumber, 30)
    .option('--script-leader', 'emulated leader only: the operator is a script (every joint a sine of 0.5 Hz around its default pose); both ports default to emu://', false)
    .option('--estop-at <s>', 'drill: press the software e-stop after this many seconds (the viewer\'s E-STOP does the same)', positiveNumber)
    .option('--view', 'serve the viewer and operator console (live joints, E-STOP) on localhost', false)
    .option('--view-port <n>', 'viewer port (0 = any free port)', portNumber, 8090)
    .option('--allow-origin <url>', 'with --view: also let pages of this origin open the viewer (an https reverse proxy in front of it, e.g. https://robot.example.com), its host passing the Host check; repeatable (docs/viewer.md)', allowOriginArg)
    .option('--stop-needs-token', "with --view: E-STOP and Disarm need the page's token too (default: a page without it may stop; for a viewer exposed beyond the robot's own network, docs/safety.md)", false)
    .option('--urdf <file>', "URDF the viewer and the recording draw the follower with (default: its config's \"urdf\"); its moving joints must be the follower's")
    .option('--record <file>', 'record every tick to MCAP (axon replay, axon export lerobot)')
    .option('--dataset <dir>', 'record the session as one episode of a LeRobotDataset v3.0 (created, or appended to when its features and rate match): observation.state of the follower, action = the command sent to it after safety')
    .option('--task <text>', "with --dataset: the episode's task text (default: \"teleop (<follower>)\")")
    .option('--allow-drops', 'with --record/--dataset: a recording that dropped frames still exits 0 (the counts are in the summary)', false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (o, cmd) => {
      refuseOrphans(cmd, o, [...VIEW_COMPANIONS, ...VIEW_STOP_COMPANIONS, ...OUTPUT_COMPANIONS, { flag: '--urdf', needs: '--view or --record', ok: (x) => x.view || x.record !== undefined, instead: () => 'it is the model the follower is drawn with' }]);
      const lead = loadAnyRobotConfig(o.leader);
      const foll = loadAnyRobotConfig(o.follower);
      // Refused before either bus is touched (docs/hardware.md): the follower is never armed, then stopped, for a bad pairing.
      // A config's optional `role` (Feetech and Dynamixel alike) says which arm it is: a leader
      // config is read only (torque off), so as --follower nothing would move and the run would "succeed".
      if (lead.config.role === 'follower') throw new UsageError('--leader', `${o.leader} is a follower config (role "follower")`, 'a leader arm config (role "leader"), e.g. hardware/robots/so101-leader.json');
      if (foll.config.role === 'leader') throw new UsageError('--follower', `${o.follower} is a leader config (role "leader": read only, torque off)`, 'a follower arm config (role "follower"), e.g. hardware/robots/so101-follower.json');
      const leaderJoints = lead.config.joints.map((j) => j.name);
      const followerJoints = foll.config.joints.map((j) => j.name);
      const missing = followerJoints.filter((n) => !leaderJoints.includes(n));
      if (missing.length > 0) throw new UsageError('--leader', `the leader has no joint ${missing.join(', ')} (${o.leader})`, `the follower's joints: ${followerJoints.join(', ')}`);
      const leaderPort = o.leaderPort ?? (o.scriptLeader ? 'emu://' : lead.config.port);
      const followerPort = o.followerPort ?? (o.scriptLeader ? 'emu://' : foll.config.port);
      if (!leaderPort) throw new UsageError('--leader-port', `is required: ${o.leader} names no port`, 'a serial device, tcp://host:port or emu://');
      if (!followerPort) throw new UsageError('--follower-port', `is required: ${o.follower} names no port`, 'a serial device, tcp://host:port or emu://');
      if (leaderPort === followerPort && !leaderPort.startsWith('emu://')) throw new UsageError('--leader-port', `is the follower's port too (${leaderPort})`, 'two buses, one per arm');
      if (o.scriptLeader && (!leaderPort.startsWith('emu://') || lead.protocol !== 'feetech')) throw new UsageError('--script-leader', `moves an emulated Feetech leader only, not ${leaderPort}`, '--leader-port emu:// with a Feetech leader config');
      if (o.estopAt !== undefined && o.estopAt >= o.duration) throw new UsageError('--estop-at', `${o.estopAt} s is not before the end of the run (--duration ${o.duration} s)`, `a time within the run, below ${o.duration} s`);
      if (o.record) checkWritable(o.record);
      if (o.dataset) checkDatasetDir(o.dataset);
      if (o.view) await checkPortFree(o.viewPort);
      const period = 1 / o.hz;
      const urdf = o.urdf ? resolve(o.urdf) : foll.config.urdf !== undefined ? resolve(dirname(o.follower), foll.config.urdf) : undefined;
      const jointNames = followerJoints;
      const model = urdf && (o.view || o.record) ? drawingModel(urdf, jointNames, o.urdf ? '--urdf' : `${o.follower}#/urdf`) : undefined;
      // A "leader" config is read only by itself and gets Torque Enable 0 at connect (an arm left
      // torqued would fight the operator); one without a role is opened as --dry-run: nothing written.
      const L = openConfiguredRobot(lead, leaderPort, lead.config.baud, { dryRun: lead.config.role !== 'leader', period });
      const F = openConfiguredRobot(foll, followerPort, foll.config.baud, { period });
      const leader: ConfiguredRobot = L.robot, follower: ConfiguredRobot = F.robot;
      // --dataset: opened (or checked for append) before either arm is connected; a mismatch is refused here.
      const dataset = o.dataset
        ? await DatasetWriter.open({
            dir: o.dataset,
            spec: follower.spec,
            fps: o.hz,
            task: o.task ?? `teleop (${foll.config.name})`,
            scored: false,
            provenance: provenance({ spec: follower.spec, period, mode: 'position', source: `axon teleop --leader ${o.leader} --follower ${o.follower} (leader ${lead.config.name} on ${leaderPort}, follower on ${followerPort}${o.scriptLeader ? ', scripted leader' : ''})` }),
          }).catch(async (e: unknown) => {
            await follower.close().catch(() => {});
            await leader.close().catch(() => {});
            throw e;
          })
        : undefined;
      const outputs = new RunOutputs(o, dataset);
      if (o.scriptLeader) {
        const emu = (L.port as FeetechPort).emulator as FeetechEmulator;
        const cfg = lead.config as FeetechRobotConfig;
        const amp = cfg.joints.map((j) => Math.min(0.5, (j.upper - j.lower) / 4));
        const centre = cfg.joints.map((j, i) => Math.min(j.upper - amp[i] - 0.05, Math.max(j.lower + amp[i] + 0.05, j.default_position ?? 0)));
        scriptLeader(emu, cfg, (t, q) => {
          for (let i = 0; i < q.length; i++) q[i] = centre[i] + amp[i] * Math.sin(2 * Math.PI * 0.5 * t + i * 0.7) * Math.min(1, t / 1.5);
        });
      }
      if (!o.json) {
        console.log(`axon teleop: ${lead.config.name} on ${leaderPort} -> ${foll.config.name} on ${followerPort} at ${o.hz} Hz for ${o.duration} s${o.scriptLeader ? ' (scripted leader)' : ''}`);
        for (const r of [leader, follower]) r.events$.subscribe((e: HardwareEvent) => printEvent(r === leader ? 'leader' : 'follower', e));
      }
      let estopTick = -1; // the e-stop's tick index, for slicing the paths
      let estopS = 0; // its time on the loop clock: the one the safety summary's stop.time_s is on
      let estopTimer: ReturnType<typeof setInterval> | undefined;
      const m = teleopManifest(foll.config.name, jointNames, o.hz);
      let ended: RecordedEpisode | undefined;
      const r = await runTeleop(leader, follower, {
        hz: o.hz,
        durationS: o.duration,
        onLoop: (loop, safety, clock) => {
          if (o.estopAt !== undefined) {
            const at = o.estopAt;
            estopTimer = setInterval(() => {
              if (clock.now() < at) return;
              clearInterval(estopTimer);
              estopTick = loop.stats.ticks;
              estopS = clock.now();
              safety.estop('operator e-stop (drill: --estop-at)', estopS, estopTick);
            }, 5);
          }
          outputs.attach(loop, {
            manifest: m,
            safety,
            datasetSplitAt: safety, // an operator reset (re-arm after an e-stop) starts the next episode
            health: [leader.health$, follower.health$], // the page's Arm is refused while either arm reports a fault
            recording: () => ({ spec: follower.spec, period, run: { command: 'teleop', leader: o.leader, follower: o.follower, leader_port: leaderPort, follower_port: followerPort, ...(model && urdf ? drawingMeta(urdf, { fixedBase: true }) : {}) } }),
            view: () => ({ robot: { spec: follower.spec, ...(model ? { model } : {}) }, options: { title: `axon teleop: ${foll.config.name}` } }),
          });
        },
      })
        .then((x) => ((ended = { endedBy: x.endedBy }), x))
        .finally(() => {
          clearInterval(estopTimer); // a run that ended first (signal, fault) leaves no drill pending to hold the process open
          // How the session ended goes into the recording and the last episode (docs/dataset.md "How an episode ended").
          return outputs.close(ended);
        }); // the episode of a run that threw is still saved: the demonstration up to the stop
      const { record, dataset: datasetSummary, viewer } = await outputs.finish();
      const n = jointNames.length;
      const ticks = r.tracking.ticks;
      // Tracking is judged while the follower is meant to follow: up to the e-stop, when there is one.
      const track = estopTick >= 0 ? tracking(r.leaderPath, r.followerPath, n, Math.min(ticks, estopTick), o.hz, 0.5, 1.2) : r.tracking;
      // After an e-stop: how far the follower still moved (from 0.2 s after it) while the leader went on.
      let afterEstop: { follower_motion_rad: number; leader_motion_rad: number; estop_s: number } | undefined;
      if (estopTick >= 0) {
        const from = Math.min(ticks - 1, estopTick + Math.round(0.2 * o.hz));
        let fm = 0, lm = 0;
        for (let t = from; t < ticks; t++)
          for (let i = 0; i < n; i++) {
            fm = Math.max(fm, Math.abs(r.followerPath[t * n + i] - r.followerPath[from * n + i]));
            lm = Math.max(lm, Math.abs(r.leaderPath[t * n + i] - r.leaderPath[from * n + i]));
          }
        afterEstop = { estop_s: round(estopS, 6), follower_motion_rad: round(fm, 4), leader_motion_rad: round(lm, 4) };
      }
      const bus = (x: ConfiguredRobot) => ({ reads: x.bus.stats.syncReads, writes: x.bus.stats.syncWrites, retries: x.bus.stats.retries, timeouts: x.bus.stats.timeouts, late_replies: x.bus.stats.late, crc_errors: x.bus.decoder.stats.crcErrors, read_latency_us: x.bus.stats.latencyUs() });
      const faults = [...leader.eventLog, ...follower.eventLog].filter((e) => FAULT_EVENTS.has(e.kind)).map((e) => e.reason);
      const summary = {
        command: 'teleop',
        leader: lead.config.name,
        follower: foll.config.name,
        hz: o.hz,
        ticks: r.loop.ticks,
        duration_s: round(r.loop.timeS, 6), // the loop clock's (wall) time the run lasted: --duration, however many ticks an overrunning loop ran
        ended_by: r.endedBy,
        loop: loopSummary(r.loop.stats),
        safety: safetySummary(r.safety),
        tracking: { lag_s: track.lagS, error_rad: track.errorRad, instant_error_rad: track.instantErrorRad, ticks: track.ticks },
        ...(afterEstop ? { after_estop: afterEstop } : {}),
        bus: { leader: bus(leader), follower: bus(follower) },
        ...(record ? { record } : {}),
        ...(viewer ? { viewer } : {}),
        ...(datasetSummary ? { dataset: datasetSummary } : {}),
        faults,
        // Leader readings no arm gives (an impossible jump, a non-finite value): each a hold of the follower, the 3rd in a row a safe stop.
        // leader_past_range: ticks per joint read past the leader's calibrated range, followed at its end (LeaderReadingCheck).
        leader_bad_readings: { ticks: r.leaderBad.ticks, by_joint: { ...r.leaderBad.byJoint }, ...(r.leaderBad.first ? { first: r.leaderBad.first, last: r.leaderBad.last } : {}) },
        leader_past_range: r.leaderPastRange,
        // The follower's servos its last safe stop could not read back (torque may still be on; also a fault, exit 1).
        safe_stop_unconfirmed: follower.safeStopUnconfirmed,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else {
        const l = summary.loop;
        console.log(`ticks ${summary.ticks} (${summary.duration_s} s) at ${l.rate_hz} Hz, period error µs p50 ${l.period_error_us.p50} p99 ${l.period_error_us.p99}, overruns ${l.overruns}`);
        console.log(`tracking: follower lags the leader by ${track.lagS} s; error at that lag p50 ${track.errorRad.p50} p95 ${track.errorRad.p95} max ${track.errorRad.max} rad (instantaneous p95 ${track.instantErrorRad.p95} rad)`);
        if (afterEstop) console.log(`e-stop at ${afterEstop.estop_s} s: the follower then moved ${afterEstop.follower_motion_rad} rad while the leader moved ${afterEstop.leader_motion_rad} rad`);
        const ev = Object.entries(summary.safety.events).map(([k, v]) => `${k} ${v}`).join(', ');
        console.log(`safety: ${summary.safety.state}${ev ? `, events: ${ev}` : ', no interventions'}`);
        const past = Object.entries(r.leaderPastRange);
        if (past.length > 0) console.log(`leader: read past its calibrated range and followed at the range's end: ${past.map(([k, v]) => `${k} ${v} tick${v === 1 ? '' : 's'}`).join(', ')} (a calibration that swept the whole range covers it)`);
        if (r.leaderBad.ticks > 0) console.log(`leader: ${r.leaderBad.ticks} impossible reading${r.leaderBad.ticks === 1 ? '' : 's'} held the follower (${Object.entries(r.leaderBad.byJoint).map(([k, v]) => `${k} ${v}`).join(', ')}); first: ${r.leaderBad.first}`);
        const d = summary.dataset;
        if (d) console.log(datasetLine(d));
      }
      outputs.reportDrops(o.allowDrops); // nothing dropped silently: a recording that lost frames fails the run unless --allow-drops
      failLiveRun(r, faults, (f) => `teleop ended on a robot fault: ${f}`); // a fault: exit 1; held in the supervisor's own stop: exit 5
    });
}

function printEvent(who: string, e: HardwareEvent): void {
  const line = `[${who}] ${e.kind}: ${e.reason}`;
  if (FAULT_EVENTS.has(e.kind) || e.kind === 'stale' || e.kind === 'safe_stop') process.stderr.write(`${line}\n`);
  else if (e.kind !== 'read_retry') console.log(line);
}
