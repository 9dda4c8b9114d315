import { Command } from '@commander-js/extra-typings';
import { AxonError } from '../../core/errors.ts';
import { datasetInfoSummary, readDataset, repairDataset } from '../../dataset/index.ts';
import { lockDataset } from '../../dataset/datasetFiles.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A dataset LeRobot cannot load as it is (an interrupted save, or meta/episodes files with columns
 * the first one lacks): `dataset info` prints it, then exits 2 with this.
 */
function needsRepair(dir: string, ds: { problems: readonly string[]; columnProblems: readonly string[] }): AxonError {
  const parts = [...(ds.problems.length > 0 ? [`an episode save was interrupted and LeRobot cannot load the folder as it is: ${ds.problems.join('; ')}`] : []), ...(ds.columnProblems.length > 0 ? [`LeRobot cannot load its meta/episodes: ${ds.columnProblems.join('; ')}`] : [])];
  return new AxonError('DATASET_REPAIR', dir, parts.join('; '), `a whole dataset: run \`axon dataset repair ${dir}\`${ds.problems.length > 0 ? ' (or append with the next axon run)' : ''}, which keeps every committed episode`);
}

const unloadable = (ds: { problems: readonly string[]; columnProblems: readonly string[] }) => ds.problems.length > 0 || ds.columnProblems.length > 0;

/** `axon dataset info DATASET`: episodes, lengths, tasks, features and stats of a LeRobotDataset v3.0. */
export function datasetCommand() {
  const info = new Command('info')
    .description('Print a LeRobotDataset v3.0: episodes (length, task, success, seed), tasks, features and stats.')
    .argument('<dir>', 'dataset folder')
    .option('--json', 'print one JSON object on the last line of stdout', false)
    .action(async (dir, o) => {
      const ds = await readDataset(dir);
      for (const w of ds.warnings) process.stderr.write(`axon dataset: warning: ${w}\n`);
      // A writer killed before its first episode was saved leaves info.json alone: LeRobot cannot open that (no meta/tasks.parquet).
      if (ds.info.total_episodes === 0)
        process.stderr.write(`axon dataset: warning: ${dir} holds no episode yet (a run stopped before its first episode was saved): LeRobot cannot load it until one is written; append a run of the same robot (--dataset ${dir}) or remove the folder\n`);
      const s = datasetInfoSummary(ds);
      if (o.json) {
        console.log(JSON.stringify(s));
        if (unloadable(ds)) throw needsRepair(dir, ds);
        return;
      }
      console.log(`${s.dir}: LeRobotDataset ${s.codebase_version}, robot ${s.robot_type}, ${s.total_episodes} episodes, ${s.total_frames} frames at ${s.fps} fps (${s.duration_s} s), ${s.total_tasks} task(s)`);
      if (s.episode_length) console.log(`  episode length: min ${s.episode_length.min}, max ${s.episode_length.max}, mean ${s.episode_length.mean} frames; ${s.successes} successful`);
      if (s.provenance) console.log(`  made by axon ${s.provenance.axon_version} (${s.provenance.source ?? '?'}), model ${s.provenance.model ?? 'none'}, robot spec sha256 ${s.provenance.robot_spec_sha256.slice(0, 12)}…`);
      // Each run that appended (info.json axon.sessions): its episodes, model, mode and command line.
      if (s.sessions.length > 0) {
        console.log('  sessions:');
        for (const x of s.sessions)
          console.log(`    episodes ${x.first_episode}-${x.first_episode + x.episodes - 1}: model ${x.model ?? 'none'}${x.control_mode ? `, ${x.control_mode} control` : ''}, robot spec sha256 ${x.robot_spec_sha256.slice(0, 12)}…, ${x.command ?? x.source ?? '?'}${x.command !== undefined && x.source?.startsWith('axon export lerobot ') ? ` (${x.source.slice('axon export lerobot '.length)})` : ''}`);
      }
      console.log('  tasks: ' + s.tasks.map((t, i) => `${i}: "${t}"`).join(', '));
      console.log('  features:');
      for (const [k, f] of Object.entries(s.features)) console.log(`    ${k.padEnd(20)} ${f.dtype}[${f.shape.join(',')}]${'names' in f && f.names ? ` ${f.names.length > 6 ? `${f.names.slice(0, 6).join(', ')}, … (${f.names.length})` : f.names.join(', ')}` : ''}`);
      if (s.stats) {
        console.log('  stats (per feature, first dimensions): mean ± std [min, max]');
        for (const [k, st] of Object.entries(s.stats)) {
          const dims = Math.min(3, st.mean.length);
          const parts = Array.from({ length: dims }, (_, d) => `${st.mean[d]} ± ${st.std[d]} [${st.min[d]}, ${st.max[d]}]`);
          console.log(`    ${k.padEnd(20)} ${parts.join('; ')}${st.mean.length > dims ? `; … (${st.mean.length})` : ''}`);
        }
      }
      console.log('  episodes:');
      for (const e of s.episodes.slice(0, 50)) console.log(`    ${String(e.index).padStart(4)}  ${String(e.length).padStart(6)} frames  ${e.success === null ? '      ' : e.success ? 'success' : 'failed '}  seed ${e.seed ?? '-'}  "${e.task}"  ${e.file}`);
      if (s.episodes.length > 50) console.log(`    … ${s.episodes.length - 50} more (--json lists them all)`);
      if (unloadable(ds)) throw needsRepair(dir, ds);
    });
  const repair = new Command('repair')
    .description('Finish or undo an episode save a killed writer left (journal, uncommitted rows, stray data files), keeping every committed episode, so that LeRobot loads the folder.')
    .argument('<dir>', 'dataset folder')
    .option('--json', 'print one JSON object on the last line of stdout', false)
    .action(async (dir, o) => {
      if (!existsSync(join(dir, 'meta', 'info.json'))) throw new AxonError('DATASET_READ', dir, 'has no meta/info.json', 'a LeRobotDataset v3.0 folder');
      // The writer lock: never repair under a live writer (its save in progress looks the same).
      const lock = lockDataset(dir);
      let notes: string[];
      try {
        notes = await repairDataset(dir);
        if (lock.note) notes.unshift(lock.note);
      } finally {
        lock.release();
      }
      const ds = await readDataset(dir);
      if (unloadable(ds)) throw needsRepair(dir, ds);
      const s = { command: 'dataset repair', dir, repaired: notes, total_episodes: ds.info.total_episodes, total_frames: ds.info.total_frames };
      if (o.json) console.log(JSON.stringify(s));
      else console.log(`${dir}: ${notes.length === 0 ? 'nothing to repair' : notes.join('; ')}; ${s.total_episodes} episodes, ${s.total_frames} frames`);
    });
  return new Command('dataset').description('Inspect and repair LeRobotDataset v3.0 folders (written by --dataset or axon export lerobot).').addCommand(info.exitOverride()).addCommand(repair.exitOverride());
}
