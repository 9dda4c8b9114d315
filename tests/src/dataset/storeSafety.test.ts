/**
 * What keeps a dataset whole when two writers, a kill or another writer's layout meet it (review
 * R13 F5, F8, F10, F1, F11): the writer lock, atomic saves with `dataset info` refusing what an
 * interrupted save left and `dataset repair` mending it, appending to a multi-file episodes table,
 * and appends that would change what the episodes mean.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { axonErrorOf } from '../../helpers/errors.ts';
import { DatasetStore, featureSource, provenance, readDataset, runFeatures } from '../../../src/dataset/index.ts';
import { readEpisodeFiles, writeEpisodesTable } from '../../../src/dataset/episodesTable.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { runAxon } from '../../helpers/cli.ts';
import { readTable, column } from './independentReader.ts';

// Joints named as two vendors' arms name them: the same names on another robot type.
const spec = { name: 'so101-follower', joints: [{ name: 'shoulder_pan' }, { name: 'gripper' }], sensors: { imu: false, contacts: [] }, controlModes: ['position'] } as unknown as RobotSpec;
const koch = { ...spec, name: 'koch-follower' } as unknown as RobotSpec;
const features = runFeatures(featureSource(spec, true));
const manifest = (type: string) => ({ name: 'm', action: { type } });
const options = (o: { spec?: RobotSpec; model?: string; type?: string; command?: string } = {}) => ({
  robotType: (o.spec ?? spec).name,
  fps: 50,
  features,
  provenance: provenance({ spec: o.spec ?? spec, period: 0.02, source: 'test', ...(o.type ? { model: o.model ?? 'models/a', manifest: manifest(o.type) } : {}), ...(o.command ? { command: o.command } : {}) }),
});
const episode = (n: number, v = 1) => ({ length: n, task: 't', columns: { 'observation.state': new Float32Array(4 * n).fill(v), action: new Float32Array(2 * n).fill(v), 'next.reward': new Float32Array(n), 'next.done': new Uint8Array(n), 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } });
const newDir = () => join(mkdtempSync(join(tmpdir(), 'axon-dssafe-')), 'ds');
const axon = (...args: string[]) => runAxon(args, 120_000);

async function dataset(episodes: number, o: Parameters<typeof options>[0] = {}): Promise<string> {
  const dir = newDir();
  const s = await DatasetStore.open(dir, options(o));
  for (let k = 0; k < episodes; k++) s.writeEpisode(episode(10, k));
  s.close();
  return dir;
}

describe('one writer at a time (R13 F5)', () => {
  it('a second writer is refused, DATASET_BUSY naming the dataset and the holder, until the first closes', async () => {
    const dir = await dataset(1);
    const first = await DatasetStore.open(dir, options());
    const e = await axonErrorOf(DatasetStore.open(dir, options()));
    expect(e.code).toBe('DATASET_BUSY');
    expect(e.message).toContain(dir);
    expect(e.message).toContain(`pid ${process.pid} on ${hostname()}`);
    first.writeEpisode(episode(10));
    first.close();
    const again = await DatasetStore.open(dir, options());
    again.writeEpisode(episode(5));
    again.close();
    const ds = await readDataset(dir);
    expect(ds.episodes.map((x) => x.length)).toEqual([10, 10, 5]);
    expect(ds.problems).toEqual([]);
  });

  it('a lock whose writer is gone (killed) is reclaimed, with a note', async () => {
    const dir = await dataset(1);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: Number(dead), host: hostname(), since: '2026-01-01T00:00:00Z', command: 'axon sim --dataset ds' }));
    const s = await DatasetStore.open(dir, options());
    expect(s.notes.join('\n')).toMatch(new RegExp(`reclaimed the lock of pid ${dead} \\(axon sim --dataset ds`));
    s.close();
    expect(existsSync(join(dir, '.axon-lock'))).toBe(false);
    // Another host's lock is never taken over: its pid cannot be checked from here.
    writeFileSync(join(dir, '.axon-lock'), JSON.stringify({ pid: Number(dead), host: 'elsewhere', since: '2026-01-01T00:00:00Z', command: 'axon teleop' }));
    expect((await axonErrorOf(DatasetStore.open(dir, options()))).message).toContain(`pid ${dead} on elsewhere`);
  });
});

describe('saves are atomic; dataset info refuses what a killed save left; dataset repair mends it (R13 F8)', () => {
  it('the data file is replaced by a rename (a new inode), never written in place; nothing before its first row group', async () => {
    const dir = newDir();
    const s = await DatasetStore.open(dir, options());
    const data = join(dir, 'data/chunk-000/file-000.parquet');
    expect(existsSync(data)).toBe(false);
    s.writeEpisode(episode(10));
    const ino = statSync(data).ino;
    s.writeEpisode(episode(7));
    expect(statSync(data).ino).not.toBe(ino);
    s.close();
    expect(readTable(data).numRows).toBe(17);
  });

  it('what the old writer left when killed in a save (a 4-byte data file, its journal): info exits 2 naming it, repair leaves the whole episodes', async () => {
    const dir = await dataset(2);
    // As review R13's killjournal2.sh found it: "PAR1" only, named by no episode, and the journal.
    writeFileSync(join(dir, 'data/chunk-000/file-001.parquet'), 'PAR1');
    writeFileSync(join(dir, '.axon-journal.json'), JSON.stringify({ episodesBefore: 2, dataFile: 'data/chunk-000/file-001.parquet', undo: { at: 4, footer: null } }));
    const info = axon('dataset', 'info', dir);
    expect(info.code).toBe(2);
    expect(info.stderr).toMatch(/DATASET_REPAIR.*data\/chunk-000\/file-001\.parquet: no committed episode is in it.*axon dataset repair/);
    const r = axon('dataset', 'repair', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ total_episodes: 2, total_frames: 20 });
    expect(out.repaired.join('\n')).toContain('episode 2 was being saved');
    expect(existsSync(join(dir, 'data/chunk-000/file-001.parquet'))).toBe(false);
    expect((await readDataset(dir)).problems).toEqual([]);
  }, 240_000);

  it('an uncommitted row group and episodes row (killed after the data, before info.json): info exits 2, repair cuts them', async () => {
    const dir = await dataset(1);
    const info = readFileSync(join(dir, 'meta/info.json'));
    const data = join(dir, 'data/chunk-000/file-001.parquet');
    const s = await DatasetStore.open(dir, options());
    s.writeEpisode(episode(6));
    s.writeEpisode(episode(4));
    s.close();
    writeFileSync(join(dir, 'meta/info.json'), info); // the commit of both never happened
    const ds = await readDataset(dir);
    expect(ds.problems.join('\n')).toMatch(/2 row\(s\) of episodes meta\/info.json does not count[^]*file-001.parquet: no committed episode/);
    expect(axon('dataset', 'info', dir).code).toBe(2);
    expect(axon('dataset', 'repair', dir).code).toBe(0);
    expect(existsSync(data)).toBe(false);
    expect(existsSync(join(dir, 'meta/episodes/chunk-000/file-001.parquet'))).toBe(false);
    const after = await readDataset(dir);
    expect([after.episodes.length, after.problems]).toEqual([1, []]);
  }, 240_000);
});

describe('an episodes table in several files, as LeRobot leaves it (R13 F10)', () => {
  it('an append writes its rows to the next episodes file and leaves the others: every episode once', async () => {
    const dir = await dataset(3);
    // As LeRobot's resumed recording writes it: episode 2's row in a second episodes file.
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
    const [f0] = await readEpisodeFiles(dir, info);
    writeEpisodesTable(f0.path, info.features, f0.rows.slice(0, 2));
    writeEpisodesTable(join(dir, 'meta/episodes/chunk-000/file-001.parquet'), info.features, [{ ...f0.rows[2], 'meta/episodes/file_index': 1 }]);
    const s = await DatasetStore.open(dir, options());
    s.writeEpisode(episode(8));
    s.close();
    const files = await readEpisodeFiles(dir, info);
    expect(files.map((f) => [f.file, f.rows.map((r) => r.episode_index)])).toEqual([[0, [0, 1]], [1, [2]], [2, [3]]]);
    expect(column(readTable(join(dir, 'meta/episodes/chunk-000/file-002.parquet')), 'meta/episodes/file_index')).toEqual([2]);
    const ds = await readDataset(dir);
    expect(ds.episodes.map((e) => e.episode_index)).toEqual([0, 1, 2, 3]);
    expect(ds.problems).toEqual([]);
  });
});

describe('an append that would change what the episodes mean is refused; each run is recorded (R13 F1, F11)', () => {
  it('another robot type with the same joint names (Koch into SO-101): DATASET_MISMATCH naming both', async () => {
    const dir = await dataset(1);
    const e = await axonErrorOf(DatasetStore.open(dir, options({ spec: koch })));
    expect(e.code).toBe('DATASET_MISMATCH');
    expect(e.message).toContain('robot_type "so101-follower" in the dataset, "koch-follower" in this run');
  });

  it('another control mode (efforts into position targets): DATASET_MISMATCH naming both', async () => {
    const dir = await dataset(1, { type: 'joint_position' });
    const e = await axonErrorOf(DatasetStore.open(dir, options({ type: 'joint_effort' })));
    expect(e.code).toBe('DATASET_MISMATCH');
    expect(e.message).toContain('control mode "position" in the dataset (its action column holds position commands), "effort" in this run');
  });

  it('another model, or a zero policy, in the same mode is appended and recorded per session (model, command line)', async () => {
    const dir = await dataset(2, { type: 'joint_position', model: 'models/a', command: 'axon eval --robot so101 --policy models/a' });
    const s = await DatasetStore.open(dir, options({ type: 'joint_position_abs', model: 'models/b', command: 'axon eval --robot so101 --policy models/b --zero-policy' }));
    s.writeEpisode(episode(3));
    s.close();
    const ds = await readDataset(dir);
    expect(ds.info.axon?.sessions?.map((x) => [x.first_episode, x.episodes, x.model, x.control_mode, x.command])).toEqual([
      [0, 2, 'models/a', 'position', 'axon eval --robot so101 --policy models/a'],
      [2, 1, 'models/b', 'position', 'axon eval --robot so101 --policy models/b --zero-policy'],
    ]);
    const r = axon('dataset', 'info', dir, '--json');
    const info = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(info.episodes.map((e: { model: string; command: string }) => [e.model, e.command.endsWith('--zero-policy')])).toEqual([['models/a', false], ['models/a', false], ['models/b', true]]);
  }, 240_000);
});
