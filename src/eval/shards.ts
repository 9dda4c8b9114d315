import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import { summarize } from './episodes.ts';
import type { EpisodeOutcome, EvalSpec, EvalSummary } from './types.ts';

/** What `eval --shard K/N --out FILE` writes: enough for `eval merge` to check and combine shards. */
export interface ShardFile {
  readonly format: 'axon.eval-shard/1';
  readonly spec: EvalSpec;
  readonly shard: { readonly k: number; readonly n: number };
  readonly outcomes: readonly EpisodeOutcome[];
}

/** Parses `K/N` (0 <= K < N), as Kubernetes indexed jobs number them (JOB_COMPLETION_INDEX). */
export function parseShard(v: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const k = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k >= n) throw new UsageError('--shard', `"${v}" is not a shard`, 'K/N with 0 <= K < N, e.g. 3/8');
  return { k, n };
}

export function writeShard(file: string, s: ShardFile): void {
  writeFileSync(file, JSON.stringify(s) + '\n');
}

/** Combines shard files into the summary one run would give; refuses mixed runs, gaps and overlaps. */
export function mergeShards(files: readonly string[]): { summary: EvalSummary; shards: number } {
  if (files.length === 0) throw new UsageError('<files>', 'no shard files given', 'the files written by eval --shard K/N --out FILE');
  const shards = files.map((f) => {
    let s: ShardFile;
    try {
      s = JSON.parse(readFileSync(f, 'utf8')) as ShardFile;
    } catch (e) {
      throw new UsageError('<files>', `${f} is not readable JSON (${(e as Error).message})`);
    }
    if (s.format !== 'axon.eval-shard/1') throw new UsageError('<files>', `${f} is not an eval shard (format ${JSON.stringify(s.format)})`, 'axon.eval-shard/1');
    return { f, s };
  });
  const spec = shards[0].s.spec;
  for (const { f, s } of shards)
    if (JSON.stringify(s.spec) !== JSON.stringify(spec)) throw new UsageError('<files>', `${f} is from another run than ${shards[0].f} (robot, policy, seed, episodes or options differ)`);
  // A split K/N given whole, each shard once: a missing or repeated file is named by its shard,
  // before the episodes are (a shard's episodes are K, K+N, ...: "episode 2 has no result" does not
  // say which file to add).
  const n = shards[0].s.shard.n;
  if (shards.every(({ s }) => s.shard.n === n)) {
    const byK = new Map<number, string>();
    for (const { f, s } of shards) {
      const other = byK.get(s.shard.k);
      if (other !== undefined) throw new UsageError('<files>', other === f ? `${f} is given twice` : `${f} and ${other} are both shard ${s.shard.k}/${n}`, 'each shard once');
      byK.set(s.shard.k, f);
    }
    const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byK.has(k));
    if (missing.length > 0)
      throw new UsageError('<files>', `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} of this run ${missing.length > 1 ? 'are' : 'is'} missing (${shards.length} of ${n} given)`, `the files of all ${n} shards K/${n}, K = 0..${n - 1}`);
  }
  return { summary: summarize(spec, shards.flatMap(({ s }) => s.outcomes)), shards: shards.length };
}
