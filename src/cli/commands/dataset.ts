import { Command } from '@commander-js/extra-typings';
import { datasetInfoSummary, readDataset } from '../../dataset/index.ts';

/** `axon dataset info DATASET`: episodes, lengths, tasks, features and stats of a LeRobotDataset v3.0. */
export function datasetCommand() {
  const info = new Command('info')
    .description('Print a LeRobotDataset v3.0: episodes (length, task, success, seed), tasks, features and stats.')
    .argument('<dir>', 'dataset folder')
    .option('--json', 'print one JSON object on the last line of stdout', false)
    .action(async (dir, o) => {
      const ds = await readDataset(dir);
      for (const w of ds.warnings) process.stderr.write(`axon dataset: warning: ${w}\n`);
      const s = datasetInfoSummary(ds);
      if (o.json) {
        console.log(JSON.stringify(s));
        return;
      }
      console.log(`${s.dir}: LeRobotDataset ${s.codebase_version}, robot ${s.robot_type}, ${s.total_episodes} episodes, ${s.total_frames} frames at ${s.fps} fps (${s.duration_s} s), ${s.total_tasks} task(s)`);
      if (s.episode_length) console.log(`  episode length: min ${s.episode_length.min}, max ${s.episode_length.max}, mean ${s.episode_length.mean} frames; ${s.successes} successful`);
      if (s.provenance) console.log(`  made by axon ${s.provenance.axon_version} (${s.provenance.source ?? '?'}), model ${s.provenance.model ?? 'none'}, robot spec sha256 ${s.provenance.robot_spec_sha256.slice(0, 12)}…`);
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
    });
  return new Command('dataset').description('Inspect LeRobotDataset v3.0 folders (written by --dataset or axon export lerobot).').addCommand(info.exitOverride());
}
