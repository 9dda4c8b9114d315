/**
 * What one episode's save writes does not grow with the episodes before it (review R17 F6: the
 * session's whole episodes table was re-encoded and every episode's stats re-aggregated per save,
 * O(N²) over a long eval), and the files stay what LeRobot's reader loads.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { DatasetStore, featureSource, provenance, readDataset, runFeatures } from '../../../src/dataset/index.ts';
import { episodesFiles, readEpisodeRows } from '../../../src/dataset/episodesTable.ts';
import { readInfo } from '../../../src/dataset/repairDataset.ts';
import { aggregateStats } from '../../../src/dataset/stats.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { column, readTable } from './independentReader.ts';

// Joints not in chain order, one of them with a tiny range of values (a gripper barely moving).
const spec = { name: 'arm', joints: [{ name: 'wrist' }, { name: 'gripper' }, { name: 'shoulder' }], sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;
const features = runFeatures(featureSource(spec, true));
const options = (limits?: { episodesFileBytes?: number; dataFileBytes?: number }) => ({
  robotType: spec.name,
  fps: 30,
  features,
  provenance: provenance({ spec, period: 1 / 30, source: 'test' }),
  ...(limits ? { limits } : {}),
});
const newDir = () => join(mkdtempSync(join(tmpdir(), 'axon-savecost-')), 'ds');

/** An episode whose values differ per episode k (means far from 0 with small spread: the variance merge must not cancel). */
function episode(n: number, k: number) {
  const state = new Float32Array(6 * n), action = new Float32Array(3 * n), reward = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 6; d++) state[i * 6 + d] = 100 + d + 0.001 * Math.sin(i * 0.7 + k + d) + 0.01 * k;
    for (let d = 0; d < 3; d++) action[i * 3 + d] = (k % 3) - 1 + 0.1 * Math.cos(i + d * k);
    reward[i] = (i + k) % 5;
  }
  const done = new Uint8Array(n);
  done[n - 1] = 1;
  return { length: n, task: k % 2 ? 'pick' : 'place', seed: k, columns: { 'observation.state': state, action, 'next.reward': reward, 'next.done': done, 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } };
}

const rowGroups = (file: string) => parquetMetadata(new Uint8Array(readFileSync(file)).buffer).row_groups.length;

describe('a save appends what it adds; it does not rewrite the episodes before it (R17 F6)', () => {
  it("the session's episodes file grows by one row group per episode, and stats.json is the aggregate of every episode", async () => {
    const dir = newDir();
    const s = await DatasetStore.open(dir, options());
    const lengths = [7, 1, 12, 5, 9, 3];
    lengths.forEach((n, k) => s.writeEpisode(episode(n, k)));
    s.close();
    const files = episodesFiles(dir);
    expect(files.map((f) => relative(dir, f.path))).toEqual(['meta/episodes/chunk-000/file-000.parquet']);
    // One row group per save: the rows before were not encoded again.
    expect(rowGroups(files[0].path)).toBe(lengths.length);
    const info = readInfo(dir);
    const rows = await readEpisodeRows(dir, info);
    expect(rows.map((r) => r.length)).toEqual(lengths);
    const want = aggregateStats(rows.map((r) => r.stats));
    const got = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'));
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const [f, w] of Object.entries(want)) {
      // Summed in the same order: the same numbers (JSON round-trip of doubles is exact).
      for (const k of ['min', 'max', 'mean', 'count', 'q01', 'q10', 'q50', 'q90', 'q99'] as const) expect(got[f][k], `${f} ${k}`).toEqual(w[k]);
      // The variance merged pairwise: the same up to rounding.
      w.std.forEach((x, d) => expect(Math.abs(got[f].std[d] - x), `${f} std[${d}]`).toBeLessThanOrEqual(1e-9 * Math.max(1e-12, x) + 1e-15));
    }
    // Read by an independent reader, every row.
    expect(column(readTable(files[0].path), 'episode_index')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('past its size limit the episodes file is left as it is and the next rows go to the next file; every reader sees every episode once', async () => {
    const dir = newDir();
    const s = await DatasetStore.open(dir, options({ episodesFileBytes: 1 }));
    for (let k = 0; k < 3; k++) s.writeEpisode(episode(4 + k, k));
    const first = join(dir, 'meta/episodes/chunk-000/file-000.parquet');
    const before = statSync(first);
    for (let k = 3; k < 5; k++) s.writeEpisode(episode(4 + k, k));
    s.close();
    const after = statSync(first);
    // The file of episode 0 was not written again by later saves.
    expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
    const files = episodesFiles(dir);
    expect(files.map((f) => relative(dir, f.path))).toEqual([0, 1, 2, 3, 4].map((f) => `meta/episodes/chunk-000/file-00${f}.parquet`));
    files.forEach((f, i) => {
      const t = readTable(f.path);
      expect(column(t, 'episode_index')).toEqual([i]);
      expect(column(t, 'meta/episodes/file_index')).toEqual([i]);
    });
    // An append starts after the last file, as LeRobot does when it resumes.
    const s2 = await DatasetStore.open(dir, options({ episodesFileBytes: 1 }));
    s2.writeEpisode(episode(3, 5));
    s2.close();
    expect(episodesFiles(dir).at(-1)!.file).toBe(5);
    const ds = await readDataset(dir);
    expect(ds.episodes.map((e) => e.episode_index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ds.info.total_frames).toBe(4 + 5 + 6 + 7 + 8 + 3);
  });

  it('an append keeps aggregating from the episodes already there', async () => {
    const dir = newDir();
    for (let run = 0; run < 2; run++) {
      const s = await DatasetStore.open(dir, options());
      for (let k = 0; k < 3; k++) s.writeEpisode(episode(5 + k, run * 3 + k));
      s.close();
    }
    const rows = await readEpisodeRows(dir, readInfo(dir));
    const want = aggregateStats(rows.map((r) => r.stats));
    const got = JSON.parse(readFileSync(join(dir, 'meta/stats.json'), 'utf8'));
    expect(got['observation.state'].mean).toEqual(want['observation.state'].mean);
    expect(got['observation.state'].count).toEqual([5 + 6 + 7 + 5 + 6 + 7]);
  });
});

describe('a data file past its size limit is closed and the next episode starts the next one (R17 F7)', () => {
  it('episodes go to file-000, file-001, ... as each passes the limit; every frame is read back, by an independent reader too', async () => {
    const dir = newDir();
    // About two of these episodes fill the limit.
    const s = await DatasetStore.open(dir, options({ dataFileBytes: 1200 }));
    const lengths = [6, 7, 8, 9, 10];
    lengths.forEach((n, k) => s.writeEpisode(episode(n, k)));
    s.close();
    const info = readInfo(dir);
    expect(info.data_files_size_in_mb).toBe(100); // LeRobot's bound when it appends: unchanged
    const rows = await readEpisodeRows(dir, info);
    const fileOf = rows.map((r) => r['data/file_index']);
    expect(new Set(fileOf).size, `data files ${fileOf}`).toBeGreaterThan(1);
    expect(fileOf).toEqual([...fileOf].sort((a, b) => a - b)); // in order, each used by consecutive episodes
    let index = 0;
    for (const f of [...new Set(fileOf)]) {
      const file = join(dir, `data/chunk-000/file-${String(f).padStart(3, '0')}.parquet`);
      const t = readTable(file);
      const eps = rows.filter((r) => r['data/file_index'] === f);
      expect(t.numRows).toBe(eps.reduce((a, r) => a + r.length, 0));
      expect(column(t, 'index')).toEqual(Array.from({ length: t.numRows }, (_, i) => index + i));
      index += t.numRows;
    }
    const ds = await readDataset(dir);
    expect(ds.info.total_frames).toBe(lengths.reduce((a, b) => a + b));
    expect(ds.warnings).toEqual([]);
  });
});

describe("an appended file's footer: the row groups before are not encoded again", () => {
  it('is byte for byte the footer hyparquet-writer encodes from every row group, past 15 row groups (the long list header) too', async () => {
    const { ParquetAppender } = await import('../../../src/dataset/ParquetAppender.ts');
    const { ByteWriter } = await import('hyparquet-writer');
    const { writeMetadata } = await import('hyparquet-writer/src/metadata.js');
    const { dataSchema } = await import('../../../src/dataset/episodesTable.ts');
    const schema = dataSchema({ x: { dtype: 'float32', shape: [2], names: null }, i: { dtype: 'int64', shape: [1], names: null } } as never);
    const kv = [{ key: 'axon', value: 'test' }];
    const file = join(mkdtempSync(join(tmpdir(), 'axon-footer-')), 'f.parquet');
    const app = new ParquetAppender(file, schema, kv);
    for (let g = 0; g < 17; g++) {
      const n = 1 + (g % 4);
      app.append([{ name: 'x', data: Array.from({ length: n }, (_, r) => [g, r]) }, { name: 'i', data: Array.from({ length: n }, (_, r) => BigInt(g * 10 + r)) }], n);
      const bytes = new Uint8Array(readFileSync(file));
      const fw = new ByteWriter(4096);
      const w = (app as unknown as { writer: { row_groups: unknown[]; num_rows: bigint } }).writer;
      writeMetadata(fw, { version: 2, created_by: 'axon (hyparquet-writer)', schema, num_rows: w.num_rows, row_groups: w.row_groups, key_value_metadata: kv, metadata_length: 0 } as never);
      fw.appendUint32(0x31524150);
      const want = fw.getBytes();
      expect(Buffer.from(bytes.subarray(bytes.length - want.length)).equals(Buffer.from(want)), `footer after row group ${g}`).toBe(true);
    }
    const t = readTable(file);
    expect(t.numRows).toBe(Array.from({ length: 17 }, (_, g) => 1 + (g % 4)).reduce((a, b) => a + b));
    expect(parquetMetadata(new Uint8Array(readFileSync(file)).buffer).row_groups.length).toBe(17);
  });
});
