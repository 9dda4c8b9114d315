import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { assertRecording, readRecording, recordingSummary, comparePolicy, recordedSpec, recordingLength, Playback, type PolicyDiff, type Recording } from '../../record/index.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mjcfRecordedLinks, urdfRecordedLinks } from '../linkTree.ts';
import { parseUrdf } from '../../../sim/urdf/parseUrdf.ts';
import { recordedRobotName, replayRobot } from '../replayDrawing.ts';
import { refuseOrphans, VIEW_COMPANIONS } from '../companions.ts';
import { attachViewer, viewerRefusalLine, type ViewerSafety } from '../../viewer/index.ts';
import { AxonError, UsageError } from '../../core/errors.ts';
import { printable } from '../../core/printable.ts';
import { allowOriginArg, portNumber, positiveNumber } from '../args.ts';
import { checkInputFile } from '../preflight.ts';

const nonNegative = (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !(x >= 0) || !Number.isFinite(x)) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return x;
};
import { loadModelFolder, type ModelManifest } from '../../model/manifest.ts';
import { loadPolicy } from '../../policy/loadPolicy.ts';
import { assertModelFits } from '../../model/checkModel.ts';
import { datasetRecording, readDataset, type Dataset } from '../../dataset/index.ts';
import { join } from 'node:path';

/** A folder holding meta/info.json is a LeRobotDataset; anything else an MCAP file. */
function isDataset(path: string): boolean {
  return existsSync(join(path, 'meta', 'info.json'));
}

const episodeIndex = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError('expected an episode index >= 0');
  return x;
};

export function replayCommand() {
  return new Command('replay')
    .description('Summarise an MCAP recording made with --record, or an episode of a LeRobotDataset (--dataset, axon export lerobot); with --policy, re-run a policy on the recorded observations and report how its actions differ.')
    .argument('<file>', 'MCAP file written by --record, or a LeRobotDataset folder')
    .option('--episode <k>', 'with a dataset: the episode to summarise or play (default 0; --policy without it compares every episode)', episodeIndex)
    .option('--policy <dir>', 're-run this model folder on the recorded observations and compare its commands with the recorded ones')
    .option('--view', 'play the recording back in the viewer (robot drawn from its URDF, panels as live)', false)
    .option('--view-port <n>', 'viewer port (0 = any free port)', portNumber, 8090)
    .option('--allow-origin <url>', 'with --view: also let pages of this origin open the viewer (an https reverse proxy in front of it, e.g. https://robot.example.com), its host passing the Host check; repeatable (docs/viewer.md)', allowOriginArg)
    .option('--speed <x>', 'with --view: playback speed factor', positiveNumber, 1)
    .option('--from <s>', 'with --view: start at this time in the recording (seek; refused past its end)', nonNegative, 0)
    .option('--once', 'with --view: play at once, without waiting for a page, and exit after the last tick (scripts; default: play when the first page opens, then hold the last frame until Ctrl-C)', false)
    .option('--urdf <file>', 'with --view: draw the robot with this URDF (its moving joints must be the recorded ones), instead of the one the recording names (docs/viewer.md); with --policy: derive the links its IMU terms are read in from the recorded IMU and joints through this URDF, where the recorded robot did not report them (docs/byom.md)')
    .option('--mjcf <file>', 'with --view: draw the robot with this MJCF in MuJoCo (its joints must be the recorded ones), instead of the file the recording names; checked by sha256 against a bridged run\'s served MJCF (docs/viewer.md); with --policy: derive the links its IMU terms are read in through this MJCF, as --urdf does')
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (file, o, cmd) => {
      refuseOrphans(cmd, o, [...VIEW_COMPANIONS, ...['--speed', '--from', '--once'].map((flag) => ({ flag, needs: '--view', ok: (x: { view: boolean }) => x.view })), ...['--urdf', '--mjcf'].map((flag) => ({ flag, needs: '--view or --policy', ok: (x: { view: boolean; policy?: string }) => x.view || x.policy !== undefined }))]);
      if (o.urdf !== undefined && o.mjcf !== undefined) throw new UsageError('--mjcf', 'and --urdf were both given', 'one file to draw the robot with');
      // Before the recording is read: a missing drawing file is the flag's fault, named with its path.
      if (o.urdf !== undefined) checkInputFile(o.urdf, '--urdf', 'a URDF file to draw the recorded robot with');
      if (o.mjcf !== undefined) checkInputFile(o.mjcf, '--mjcf', 'an MJCF file to draw the recorded robot with');
      if (isDataset(file)) {
        if (o.urdf !== undefined && !o.view) throw new UsageError('--urdf', 'with a dataset draws the robot (--view) only', 'an MCAP recording to derive IMU term links with --policy --urdf FILE, or --view');
        if (o.mjcf !== undefined && !o.view) throw new UsageError('--mjcf', 'with a dataset draws the robot (--view) only', 'an MCAP recording to derive IMU term links with --policy --mjcf FILE, or --view');
        return replayDataset(file, o);
      }
      // A folder with --episode was meant as a dataset: named as `dataset info` names it, not as a misused flag.
      if (o.episode !== undefined && existsSync(file) && statSync(file).isDirectory()) throw new AxonError('DATASET_READ', file, 'has no meta/info.json', 'a LeRobotDataset v3.0 folder for --episode');
      if (o.episode !== undefined) throw new UsageError('--episode', 'applies to a dataset', 'a LeRobotDataset folder (an MCAP file is one episode)');
      const rec = await readRecording(file);
      // A file without the robot spec every recording starts with (cut before it, or not axon's), or
      // cut before its first complete tick, is refused as export refuses it, before its warnings: one
      // line, exit 2 (review R30 F3).
      assertRecording(rec);
      for (const w of rec.warnings) process.stderr.write(`axon replay: warning: ${w}\n`);
      if (o.view) await playInViewer(rec, o);
      const summary: ReturnType<typeof recordingSummary> & { policy_diff?: PolicyDiff & { policy: string } } = recordingSummary(rec);
      if (o.policy !== undefined) {
        const folder = loadModelFolder(o.policy);
        // --urdf: IMU terms read in a link the recorded robot did not report are derived from the recorded IMU and joints (docs/byom.md).
        const derived = await recordedLinksFor(rec, folder.manifest, o, file, `${o.policy}/manifest.json`);
        if (derived.line !== undefined) process.stderr.write(`axon replay: ${derived.line}\n`);
        const spec = recordedSpec(derived.rec);
        assertModelFits(folder.manifest, spec, {}, `${o.policy}/manifest.json`);
        const policy = await loadPolicy(folder);
        try {
          summary.policy_diff = { policy: o.policy, ...(await comparePolicy(derived.rec, folder.manifest, policy)) };
        } finally {
          await policy.close();
        }
      }
      if (o.json) console.log(JSON.stringify(summary));
      else printHuman(summary);
    });
}

/**
 * `--policy P --urdf FILE` or `--mjcf FILE`: the recording with the links the policy's IMU terms are
 * read in derived from the recorded IMU and joints (docs/byom.md); an MJCF is compiled in MuJoCo
 * (loaded only then: src/ does not import sim/mujoco statically) and freed after.
 */
async function recordedLinksFor(rec: Recording, m: ModelManifest, o: { urdf?: string; mjcf?: string }, file: string, manifestFile: string): Promise<{ rec: Recording; line?: string }> {
  if (o.urdf !== undefined) return urdfRecordedLinks(rec, m, parseUrdf(readFileSync(o.urdf, 'utf8'), { source: o.urdf }), o.urdf, file, manifestFile);
  if (o.mjcf === undefined) return { rec };
  const { createMujocoDrawing } = await import('../../../sim/mujoco/mujocoView.ts');
  const drawing = await createMujocoDrawing(o.mjcf);
  try {
    return mjcfRecordedLinks(rec, m, drawing, o.mjcf, file, manifestFile);
  } finally {
    drawing.dispose();
  }
}

/** The human summary of `axon replay FILE`; the recorded names (a bridged server's robot, say) printed escaped (src/core/printable.ts). */
export function printHuman(s: ReturnType<typeof recordingSummary> & { policy_diff?: PolicyDiff & { policy: string } }): void {
  console.log(`${printable(s.file)}: ${printable(s.robot ?? '?')}${s.physics ? ` (${s.physics === 'mujoco' ? 'MuJoCo' : 'cannon-es'})` : ''} under ${printable(s.policy ?? '?')}, ${s.ticks} ticks (seq ${s.first_seq}..${s.last_seq}${s.gaps ? `, ${s.gaps} gaps` : ''}), ${s.duration_s} s`);
  console.log(`  ${s.bytes} bytes, ${s.chunks} chunks (${s.compression.join(', ') || 'none'})${s.unreadable_from !== undefined ? `, UNREADABLE from byte ${s.unreadable_from} (read up to there)` : s.truncated ? ', TRUNCATED (no footer)' : ''}`);
  const w = s.world_model;
  if (w) console.log(`  world model (${w.mode}): predicted trajectory of ${w.horizon} × ${w.dt} s on ${w.predicted_ticks} ticks, state [${w.state.join(', ')}]`);
  const vc = s.velocity_command;
  if (vc) console.log(`  velocity command (vx m/s, vy m/s, wz rad/s): first [${vc.first.join(', ')}], last [${vc.last.join(', ')}], ${vc.changes} changes, min [${vc.min.join(', ')}], max [${vc.max.join(', ')}]`);
  const l = s.loop;
  console.log(`  period error µs p50 ${l.period_error_us.p50} p99 ${l.period_error_us.p99} max ${l.period_error_us.max}`);
  console.log('  stage µs p50/p99: ' + Object.entries(l.stage_us).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', '));
  const ev = Object.entries(s.safety.events).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`  safety: final ${s.safety.final_state}${ev ? `, events: ${ev}` : ', no events'}; episode return ${s.episode.return}`);
  const d = s.policy_diff;
  if (d) {
    console.log(`policy ${d.policy} on the recorded observations (${d.ticks} ticks, ${d.mode} commands vs recorded ${d.recordedMode}):`);
    for (const j of d.joints) console.log(`  ${printable(j.joint).padEnd(20)} max |Δ| ${fmt(j.max)} (tick ${j.maxAtSeq})  mean |Δ| ${fmt(j.mean)}`);
    console.log(d.max === 0 ? '  identical commands on every tick' : `  largest difference ${fmt(d.max)}`);
    for (const w of d.warnings) console.log(`  warning: ${w}`);
  }
}

function fmt(x: number): string {
  return x === 0 ? '0' : x.toPrecision(4);
}

/**
 * `replay --view`: the recorded ticks, paced by their period / speed, the robot drawn as
 * replayDrawing.ts decides (--urdf FILE, --mjcf FILE, the recorded URDF, the recorded MJCF in
 * MuJoCo, a shipped robot), or the panels alone with one line saying why. The page's safety is the
 * recording's (recordedSafety). Playback starts when the first page connects and, after the last
 * tick, the last frame is served, paused, until Ctrl-C (docs/viewer.md): the page's Resume plays it
 * again from the seek point, its Step is refused (no tick to go to); `--once` plays at once and
 * ends with the last tick.
 */
async function playInViewer(rec: Recording, o: { viewPort: number; allowOrigin?: string[]; speed: number; from: number; once?: boolean; json: boolean; urdf?: string; mjcf?: string }): Promise<void> {
  const spec = recordedSpec(rec);
  const name = recordedRobotName(rec, spec);
  if (rec.ticks.length === 0) throw new UsageError('<file>', 'the recording has no complete tick to play');
  const length = recordingLength(rec);
  if (!rec.ticks.some((t) => t.time - rec.ticks[0].time >= o.from))
    throw new UsageError('--from', `${o.from} s is past the end of the recording: its last tick is at ${length} s (${rec.ticks.length} ticks)`, `a time from 0 to ${length} s`);
  const robot = await replayRobot(rec, spec, name, { ...(o.urdf !== undefined ? { urdf: o.urdf } : {}), ...(o.mjcf !== undefined ? { mjcf: o.mjcf } : {}), say: (line) => process.stderr.write(`${line}\n`) });
  const playback = new Playback(rec, robot.spec, robot, { speed: o.speed, fromS: o.from });
  // A run recorded with a plan or shield world model: its predicted trajectory is drawn as a ghost path.
  const wm = rec.worldModel;
  const rollouts = wm && playback.trace ? { trace: playback.trace, mode: wm.mode, jointSlots: wm.jointSlots, dt: wm.dt } : undefined;
  const physics = rec.run.physics;
  const engine = physics === 'mujoco' ? 'MuJoCo' : physics === 'cannon' ? 'cannon-es' : undefined;
  const viewer = await attachViewer(playback, recordedSafety(playback), robot, { port: o.viewPort, ...(o.allowOrigin ? { allowOrigins: o.allowOrigin } : {}), control: playback, ...(engine ? { engine } : {}), ...(rollouts ? { rollouts } : {}) });
  const say = (line: string) => (o.json ? process.stderr : process.stdout).write(`axon replay: ${line}\n`);
  const how = o.once ? 'plays at once and exits at the end' : 'plays when a page opens, then holds the last frame';
  say(`${viewer.url} (${rec.ticks.length} ticks, 0 to ${length} s, at ${o.speed}x from ${o.from} s; ${how}; Ctrl-C to stop)`);
  let interrupted = false;
  let wake = () => {};
  const stop = () => {
    interrupted = true;
    playback.stop();
    wake();
  };
  process.on('SIGINT', stop);
  try {
    if (!o.once) await until(() => interrupted || viewer.clients > 0, (w) => (wake = w));
    if (!interrupted) await playback.run();
    // Held at the end (paused), until Ctrl-C; the page's Resume plays it again (Playback.resume).
    while (!o.once && !interrupted) {
      const last = rec.ticks[rec.ticks.length - 1];
      say(`end of the recording (tick ${last.seq} at ${length} s, ${last.safetyState}): holding the last frame; Ctrl-C to stop`);
      await until(() => interrupted || playback.replayRequested, (w) => (wake = w));
      if (!interrupted) await playback.run();
    }
  } finally {
    process.off('SIGINT', stop);
    await viewer.close();
    const refused = viewerRefusalLine(viewer.refusals); // what the server refused: the operator sees it (review R23)
    if (refused !== undefined) process.stderr.write(`${refused}\n`);
    await robot.close();
  }
}

/** Resolves when `done()` holds: checked every 50 ms, and at once when the `wake` it is handed is called. */
function until(done: () => boolean, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      clearInterval(timer);
      setWake(() => {});
      resolve();
    };
    const timer = setInterval(check, 50);
    setWake(check);
    check();
  });
}

/**
 * The page's safety in a replay: the recording's, not a supervisor's. The state is the shown tick's
 * recorded state, the events the recorded ones as playback passes them (Playback.events$); E-STOP,
 * Disarm and Arm act on nothing, so they are refused (the viewer answers the page with this
 * message) and the page hides them (`recorded`).
 */
export function recordedSafety(playback: Playback): ViewerSafety {
  const refuse = (): never => {
    throw new Error('a replay: the safety state and events shown are the recording\'s, there is no robot to stop or arm');
  };
  return {
    recorded: true,
    get state() {
      return playback.safetyState;
    },
    events$: playback.events$,
    estop: refuse,
    reset: refuse,
  };
}

/**
 * `axon replay DATASET`: an episode of a LeRobotDataset as a recording (robot posed from
 * observation.state; the command sent from action). --policy compares the new model's commands
 * with the recorded `action` per joint, over episode K or every episode.
 */
async function replayDataset(dir: string, o: { policy?: string; view: boolean; viewPort: number; allowOrigin?: string[]; speed: number; from: number; once?: boolean; json: boolean; episode?: number; urdf?: string; mjcf?: string }): Promise<void> {
  const ds = await readDataset(dir);
  for (const w of ds.warnings) process.stderr.write(`axon replay: warning: ${w}\n`);
  if (ds.episodes.length === 0) throw new UsageError('<file>', `${dir} holds no whole episode`);
  const k = o.episode ?? 0;
  const rec = await datasetRecording(ds, k);
  if (o.view) await playInViewer(rec, o);
  const summary: ReturnType<typeof recordingSummary> & { dataset?: unknown; policy_diff?: PolicyDiff & { policy: string; episodes: number } } = {
    ...recordingSummary(rec),
    dataset: { dir, episode: k, episodes: ds.episodes.length, task: rec.run.task, success: rec.episode?.success ?? null, seed: rec.run.seed ?? null, fps: ds.info.fps },
  };
  if (o.policy !== undefined) {
    const spec = recordedSpec(rec);
    const folder = loadModelFolder(o.policy);
    assertModelFits(folder.manifest, spec, {}, `${o.policy}/manifest.json`);
    const policy = await loadPolicy(folder);
    try {
      const which = o.episode !== undefined ? [k] : ds.episodes.map((e) => e.episode_index);
      const diffs: PolicyDiff[] = [];
      for (const e of which) diffs.push(await comparePolicy(e === k ? rec : await datasetRecording(ds, e), folder.manifest, policy));
      summary.policy_diff = { policy: o.policy, episodes: which.length, ...mergeDiffs(diffs) };
    } finally {
      await policy.close();
    }
  }
  if (o.json) console.log(JSON.stringify(summary));
  else {
    console.log(`${dir}: episode ${k} of ${ds.episodes.length} (task "${rec.run.task}", ${rec.episode?.success === undefined ? 'no success recorded' : rec.episode.success ? 'success' : 'failed'}), ${summary.ticks} frames at ${ds.info.fps} fps`);
    const d = summary.policy_diff;
    if (d) {
      console.log(`policy ${d.policy} on the recorded observations of ${d.episodes} episode(s) (${d.ticks} frames, ${d.mode} commands vs recorded ${d.recordedMode}):`);
      for (const j of d.joints) console.log(`  ${printable(j.joint).padEnd(20)} max |Δ| ${fmt(j.max)} (frame ${j.maxAtSeq})  mean |Δ| ${fmt(j.mean)}`);
      console.log(d.max === 0 ? '  identical commands on every frame' : `  largest difference ${fmt(d.max)}`);
      for (const w of d.warnings) console.log(`  warning: ${w}`);
    }
  }
}

/** One PolicyDiff over several episodes: per joint the largest difference and the frame-weighted mean. */
function mergeDiffs(diffs: PolicyDiff[]): PolicyDiff {
  const ticks = diffs.reduce((a, d) => a + d.ticks, 0);
  const joints = diffs[0].joints.map((j, i) => {
    let best = diffs[0].joints[i], sum = 0;
    for (const d of diffs) {
      if (d.joints[i].max > best.max) best = d.joints[i];
      sum += d.joints[i].mean * d.ticks;
    }
    return { joint: j.joint, max: best.max, mean: ticks > 0 ? sum / ticks : 0, maxAtSeq: best.maxAtSeq };
  });
  return { ticks, mode: diffs[0].mode, recordedMode: diffs[0].recordedMode, joints, max: Math.max(...joints.map((j) => j.max)), warnings: [...new Set(diffs.flatMap((d) => d.warnings))] };
}
