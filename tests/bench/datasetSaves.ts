/**
 * What one episode's save costs as a run's episodes add up, and what copy-on-write writes to disk
 * (`npx tsx tests/bench/datasetSaves.ts saves [episodes]` | `... disk [episodes]`; not part of
 * `npm run bench`). Review R17's set-up (F6, F7): a robot of 30 joints, random values, one
 * DatasetStore session (the dataset writer thread's work, without the loop).
 *
 * - saves: 20-frame episodes (default 410); the median, min and max save of episodes 0-9, 200-209,
 *   400-409, ... and the total time in writeEpisode.
 * - disk: 1000-frame (20 s at 50 Hz) episodes (default 40); after each save the size of the data
 *   file it appended to (what the save wrote: a copy of the old file, the row group and footer),
 *   summed, against the data's size.
 *
 * docs/dataset.md "Figures" reads it.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetStore, featureSource, provenance, runFeatures } from '../../src/dataset/index.ts';
import type { RobotSpec } from '../../src/core/robot.ts';

const mode = process.argv[2] ?? 'saves';
const joints = Array.from({ length: 30 }, (_, i) => ({ name: `j${i}` }));
const spec = { name: 'h', joints, sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;
const features = runFeatures(featureSource(spec, true));
const dir = join(mkdtempSync(join(tmpdir(), 'axon-saves-')), 'ds');
const s = await DatasetStore.open(dir, { robotType: 'h', fps: 50, features, provenance: provenance({ spec, period: 0.02, source: 'tests/bench/datasetSaves.ts' }) });
const rnd = (k: number) => {
  const a = new Float32Array(k);
  for (let i = 0; i < k; i++) a[i] = Math.random();
  return a;
};
const episode = (n: number) => ({ length: n, task: 't', columns: { 'observation.state': rnd(60 * n), action: rnd(30 * n), 'next.reward': rnd(n), 'next.done': new Uint8Array(n), 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } });
try {
  if (mode === 'saves') {
    const last = Number(process.argv[3] ?? 410);
    let win: number[] = [], total = 0;
    for (let k = 0; k < last; k++) {
      const e = episode(20);
      const t0 = performance.now();
      s.writeEpisode(e);
      const dt = performance.now() - t0;
      total += dt;
      if (k % 200 < 10) win.push(dt);
      if (k % 200 === 9) {
        win.sort((a, b) => a - b);
        console.log(`episodes ${k - 9}-${k}: save median ${win[5].toFixed(0)} ms (min ${win[0].toFixed(0)}, max ${win[9].toFixed(0)})`);
        win = [];
      }
    }
    console.log(`${last} saves: ${(total / 1000).toFixed(1)} s in writeEpisode`);
  } else if (mode === 'disk') {
    const episodes = Number(process.argv[3] ?? 40);
    const chunk = join(dir, 'data/chunk-000');
    let written = 0;
    for (let k = 0; k < episodes; k++) {
      s.writeEpisode(episode(1000));
      const files = readdirSync(chunk).filter((f) => f.endsWith('.parquet')).sort();
      written += statSync(join(chunk, files.at(-1)!)).size;
    }
    const data = readdirSync(chunk).reduce((a, f) => a + statSync(join(chunk, f)).size, 0);
    const files = readdirSync(chunk).filter((f) => f.endsWith('.parquet')).length;
    console.log(`${episodes} episodes: ${(data / 1e6).toFixed(1)} MB of data in ${files} file(s), ${(written / 1e6).toFixed(0)} MB written by the saves (${(written / data).toFixed(1)}x)`);
  } else throw new Error(`unknown mode ${mode}: saves or disk`);
} finally {
  s.close();
  rmSync(dir, { recursive: true, force: true });
}
