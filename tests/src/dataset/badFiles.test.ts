/**
 * Dataset files a disk or an interrupted copy broke: every one is an AxonError (exit 2) naming the
 * file and what was expected, never the JSON parser's or a TypeError's message on its own.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axonErrorOf } from '../../helpers/errors.ts';
import { DatasetStore, DatasetWriter, datasetInfoSummary, featureSource, provenance, readDataset, runFeatures } from '../../../src/dataset/index.ts';
import type { RobotSpec } from '../../../src/core/robot.ts';
import { runAxon } from '../../helpers/cli.ts';

const spec = {
  name: 'twojoint',
  joints: [{ name: 'a' }, { name: 'b' }],
  sensors: { imu: false, contacts: [] },
  controlModes: ['position'],
} as unknown as RobotSpec;
const storeOptions = { robotType: 'twojoint', fps: 50, features: runFeatures(featureSource(spec, true)), provenance: provenance({ spec, period: 0.02, source: 'test' }) };
const episode = (n: number) => ({ length: n, task: 't', columns: { 'observation.state': new Float32Array(4 * n).fill(1), action: new Float32Array(2 * n), 'next.reward': new Float32Array(n), 'next.done': new Uint8Array(n), 'next.success': new Uint8Array(n), 'axon.held': new Uint8Array(n) } });

/** A whole dataset of `episodes` episodes of 10 frames, written as axon writes one. */
async function goodDataset(episodes = 1): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'axon-dsbad-')), 'ds');
  const store = await DatasetStore.open(dir, storeOptions);
  for (let k = 0; k < episodes; k++) store.writeEpisode(episode(10));
  store.close();
  return dir;
}

const axon = (...args: string[]) => runAxon(args, 60_000);

describe('corrupt dataset metadata: DATASET_READ naming the file', () => {
  it('an empty or cut meta/info.json, read, appended to and written into by a run', async () => {
    for (const text of ['', '{"codebase_version": "v3.0", "fps": 5']) {
      const dir = await goodDataset();
      const file = join(dir, 'meta/info.json');
      writeFileSync(file, text);
      for (const e of [await axonErrorOf(readDataset(dir)), await axonErrorOf(DatasetStore.open(dir, storeOptions))]) {
        expect(e.code).toBe('DATASET_READ');
        expect(e.where).toBe(file);
        expect(e.expected).toContain('meta/info.json');
        expect(e.message).not.toContain('\n');
      }
      // --dataset on sim/eval/run opens the store in the writer thread: the same error comes back, naming info.json.
      const w = await axonErrorOf(DatasetWriter.open({ dir, spec, fps: 50, task: 't', scored: true, provenance: storeOptions.provenance }));
      expect(w).toMatchObject({ code: 'DATASET_READ', where: file });
      expect(w.expected).toContain('meta/info.json');
    }
  });

  it('a garbage meta/stats.json (or one of the wrong shape) on one line', async () => {
    const dir = await goodDataset();
    const file = join(dir, 'meta/stats.json');
    writeFileSync(file, 'nope\nnope\n');
    const e = await axonErrorOf(readDataset(dir));
    expect(e).toMatchObject({ code: 'DATASET_READ', where: file });
    expect(e.message).not.toContain('\n');
    writeFileSync(file, JSON.stringify({ action: { mean: 'x' } }));
    expect(await axonErrorOf(readDataset(dir))).toMatchObject({ code: 'DATASET_READ', where: `${file}#/action/min` });
  });

  it('a garbage journal, or one that is JSON of another shape, is refused before anything is undone from it', async () => {
    const dir = await goodDataset();
    const file = join(dir, '.axon-journal.json');
    writeFileSync(file, 'garbage{\n');
    expect(await axonErrorOf(DatasetStore.open(dir, storeOptions))).toMatchObject({ code: 'DATASET_READ', where: file });
    const cases: [unknown, string][] = [
      [{ x: 1 }, 'episodesBefore'],
      [[], ''],
      [{ episodesBefore: 1, dataFile: 7, undo: { at: 0, footer: null } }, 'dataFile'],
      [{ episodesBefore: 1, dataFile: '/etc/hostname', undo: { at: 0, footer: null } }, 'dataFile'],
      [{ episodesBefore: 1, dataFile: join(dir, 'data/chunk-000/file-000.parquet') }, 'undo'],
      [{ episodesBefore: 1, dataFile: join(dir, 'data/chunk-000/file-000.parquet'), undo: { at: -1, footer: null } }, 'undo/at'],
    ];
    for (const [j, field] of cases) {
      writeFileSync(file, JSON.stringify(j));
      const e = await axonErrorOf(DatasetStore.open(dir, storeOptions));
      expect(e.code).toBe('DATASET_READ');
      expect(e.where).toBe(`${file}#/${field}`);
      expect(e.expected).toContain('journal');
    }
  });

  it('the CLI says it on one line and exits 2 (dataset info on an empty info.json)', async () => {
    const dir = await goodDataset();
    writeFileSync(join(dir, 'meta/info.json'), '');
    const r = axon('dataset', 'info', dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^axon: error \[DATASET_READ\]: .*meta\/info\.json: is empty/)]);
  });
});

describe('a broken dataset is not printed as a dataset: DATASET_READ naming the file', () => {
  const data = (dir: string) => join(dir, 'data/chunk-000/file-000.parquet');
  const breaks: [string, (dir: string) => void, (dir: string) => string][] = [
    ['its data file missing', (d) => rmSync(data(d)), data],
    ['its data file cut short', (d) => truncateSync(data(d), 500), data],
    ['its data file zero bytes', (d) => writeFileSync(data(d), ''), data],
    ['its data file three bytes', (d) => writeFileSync(data(d), 'PAR'), data],
    ['its data file garbage', (d) => writeFileSync(data(d), 'this is not a parquet file at all, PAR1'), data],
    ['its data file zeroed at the start', (d) => { const b = readFileSync(data(d)); b.fill(0, 0, 64); writeFileSync(data(d), b); }, data],
    ['its episodes table missing', (d) => rmSync(join(d, 'meta/episodes'), { recursive: true }), (d) => join(d, 'meta/episodes')],
    ['its tasks table missing', (d) => rmSync(join(d, 'meta/tasks.parquet')), (d) => join(d, 'meta/tasks.parquet')],
    ['totals counting 5 episodes where the table has 2', (d) => setInfo(d, { total_episodes: 5 }), (d) => `${join(d, 'meta/info.json')}#/total_episodes`],
    ['totals counting 99999 frames where the episodes hold 20', (d) => setInfo(d, { total_frames: 99999 }), (d) => `${join(d, 'meta/info.json')}#/total_frames`],
  ];
  for (const [what, breakIt, where] of breaks)
    it(what, async () => {
      const dir = await goodDataset(2);
      breakIt(dir);
      const e = await axonErrorOf(readDataset(dir).then(datasetInfoSummary));
      expect(e.code).toBe('DATASET_READ');
      expect(e.where).toBe(where(dir));
      expect(e.message).not.toContain('\n');
    });

  it('is not appended to either (export --out, --dataset): the damage would stay under new episodes', async () => {
    for (const [breakIt, where] of breaks.filter(([w]) => /cut short|missing|totals/.test(w)).map(([, b, w]) => [b, w] as const)) {
      const dir = await goodDataset(2);
      breakIt(dir);
      const e = await axonErrorOf(DatasetStore.open(dir, storeOptions));
      expect(e.code).toBe('DATASET_READ');
      expect(e.where).toBe(where(dir));
    }
  });

  it('dataset info exits 2 on one (a truncated data file), 0 on the whole dataset', async () => {
    const dir = await goodDataset();
    expect(axon('dataset', 'info', dir).code).toBe(0);
    truncateSync(data(dir), 500);
    const r = axon('dataset', 'info', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^axon: error \[DATASET_READ\]: .*data\/chunk-000\/file-000\.parquet: does not end with PAR1/);
  });

  it('a data file whose end a killed save left (a journal beside it) is a warning: the committed episodes still read', async () => {
    const dir = await goodDataset(2);
    const b = readFileSync(data(dir));
    writeFileSync(data(dir), b.subarray(0, b.length - 100));
    writeFileSync(join(dir, '.axon-journal.json'), JSON.stringify({ episodesBefore: 2, dataFile: data(dir), undo: { at: 100, footer: null } }));
    const ds = await readDataset(dir);
    expect(ds.episodes).toHaveLength(2);
    expect(ds.warnings.join('\n')).toContain('does not end with PAR1');
  });
});

function setInfo(dir: string, patch: Record<string, unknown>): void {
  const file = join(dir, 'meta/info.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...patch }));
}
