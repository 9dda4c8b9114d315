import { Command } from '@commander-js/extra-typings';
import { exportLerobot } from '../../dataset/exportLerobot.ts';
import { positiveNumber } from '../args.ts';
import { checkOutputDir } from '../preflight.ts';

/** `axon export lerobot RUN.mcap... | DIR --out DATASET`: recordings into a LeRobotDataset v3.0. */
export function exportCommand() {
  const lerobot = new Command('lerobot')
    .description('Write MCAP recordings (files, or folders of *.mcap in name order) as a LeRobotDataset v3.0 folder, one episode per recording; appends to an existing dataset whose features match.')
    .argument('<inputs...>', 'MCAP files written by --record, or folders of them')
    .requiredOption('--out <dir>', 'dataset folder (created, or appended to when it holds a dataset with the same features)')
    .option('--task <text>', 'task text of the episodes (default: the recorded task and robot)')
    .option('--fps <n>', 'frame rate of the dataset: the recorded rate (default) or an integer fraction of it (every k-th tick)', positiveNumber)
    .option('--json', 'print one JSON summary object on the last line of stdout', false)
    .action(async (inputs, o) => {
      // Before reading the recordings: a file given for the dataset folder names --out (not ENOTDIR, exit 1).
      checkOutputDir(o.out, '--out', { keep: false, expected: 'a dataset folder (made if missing, or appended to)' });
      const s = await exportLerobot(inputs, { out: o.out, ...(o.task !== undefined ? { task: o.task } : {}), ...(o.fps !== undefined ? { fps: o.fps } : {}) });
      for (const w of s.warnings) process.stderr.write(`axon export: warning: ${w}\n`);
      for (const n of s.notes) process.stderr.write(`axon export: note: ${n}\n`);
      if (o.json) console.log(JSON.stringify(s));
      else
        console.log(
          `${s.out}: ${s.episodes_written} episodes, ${s.frames_written} of ${s.frames_received} frames written at ${s.fps} fps` +
            `${s.appended_to ? ` (appended after ${s.appended_to} episodes)` : ''}, ${s.frames_per_s} frames/s`,
        );
    });
  return new Command('export').description('Export recordings to other formats (lerobot: LeRobotDataset v3.0).').addCommand(lerobot.exitOverride());
}
