import { Command } from '@commander-js/extra-typings';
import { ExportInterrupted, exportLerobot } from '../../dataset/exportLerobot.ts';
import { STOP_SIGNALS } from '../../session/stopSignals.ts';
import { positiveNumber } from '../args.ts';
import { checkOutputDir } from '../preflight.ts';
import { signalExitCode } from '../signalStop.ts';

/** `axon export lerobot RUN.mcap... | DIR --out DATASET`: recordings into a LeRobotDataset v3.0. */
export function exportCommand() {
  const lerobot = new Command('lerobot')
    .description('Write MCAP recordings (files, or folders of *.mcap in name order) as a LeRobotDataset v3.0 folder, one episode per recording; appends to an existing dataset whose features match. All or nothing: a bad input or Ctrl-C before the write writes nothing.')
    .argument('<inputs...>', 'MCAP files written by --record, or folders of them')
    .requiredOption('--out <dir>', 'dataset folder (created, or appended to when it holds a dataset with the same features)')
    .option('--task <text>', 'task text of the episodes (default: as --dataset on the recorded run: "<task> (<robot>)", "<model> (<robot>)" for run, "teleop (<follower>)")')
    .option('--fps <n>', 'frame rate of the dataset: the recorded rate (default) or an integer fraction of it (every k-th tick)', positiveNumber)
    .option('--env-state', "also write the robot's non-joint observations (IMU, then velocity command) as observation.environment_state, which LeRobot's ACT and Diffusion need when there is no image (docs/dataset.md)", false)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (inputs, o) => {
      // Before reading the recordings: a file given for the dataset folder names --out (not ENOTDIR, exit 1).
      checkOutputDir(o.out, '--out', { keep: false, expected: 'a dataset folder (made if missing, or appended to)' });
      // A signal (Ctrl-C, a scheduler's SIGTERM, a dropped SSH session) stops the export before the
      // write with nothing written; during the write it is held until every episode is written
      // (docs/dataset.md "Exporting recordings"). Before the write, a second signal ends the process at once.
      let sig: NodeJS.Signals | undefined;
      let writing = false;
      const release = () => {
        for (const s of STOP_SIGNALS) process.off(s, onSignal);
      };
      const onSignal = (s: NodeJS.Signals) => {
        sig ??= s;
        if (!writing) release();
      };
      for (const s of STOP_SIGNALS) process.on(s, onSignal);
      let s;
      try {
        s = await exportLerobot(inputs, {
          out: o.out,
          ...(o.task !== undefined ? { task: o.task } : {}),
          ...(o.fps !== undefined ? { fps: o.fps } : {}),
          ...(o.envState ? { envState: true } : {}),
          interrupted: () => sig,
          beforeWrite: () => {
            writing = true;
            for (const x of STOP_SIGNALS) if (!process.listeners(x).includes(onSignal)) process.on(x, onSignal);
          },
        });
        // A signal that came during the write (synchronous) is delivered when the event loop turns.
        await new Promise<void>((r) => setImmediate(r));
      } catch (e) {
        if (!(e instanceof ExportInterrupted)) throw e;
        process.stderr.write(`axon export: ${e.message}\n`);
        process.exitCode = signalExitCode(e.signal);
        return;
      } finally {
        release();
      }
      for (const w of s.warnings) process.stderr.write(`axon export: warning: ${w}\n`);
      for (const n of s.notes) process.stderr.write(`axon export: note: ${n}\n`);
      if (o.json) console.log(JSON.stringify(s));
      else
        console.log(
          `${s.out}: ${s.episodes_written} episodes, ${s.frames_written} of ${s.frames_received} frames written at ${s.fps} fps` +
            `${s.frames_skipped_by_fps ? ` (${s.frames_skipped_by_fps} ticks between frames at --fps ${s.fps})` : ''}` +
            `${s.appended_to ? ` (appended after ${s.appended_to} episodes)` : ''}, ${s.frames_per_s} frames/s`,
        );
      if (sig !== undefined) {
        process.stderr.write(`axon export: ${sig} came during the write, which was finished: all ${s.episodes_written} episodes are in ${s.out}\n`);
        process.exitCode = signalExitCode(sig);
      }
    });
  return new Command('export').description('Export recordings to other formats (lerobot: LeRobotDataset v3.0).').addCommand(lerobot.exitOverride());
}
