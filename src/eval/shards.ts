import { chmodSync, chownSync, closeSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.ts';
import { summarize } from './episodes.ts';
import type { EpisodeOutcome, EvalSpec, EvalSummary } from './types.ts';

/** What `eval --shard K/N --out FILE` writes: enough for `eval merge` to check and combine shards. */
export interface ShardFile {
  readonly format: 'axon.eval-shard/1';
  readonly spec: EvalSpec;
  readonly shard: { readonly k: number; readonly n: number };
  readonly outcomes: readonly EpisodeOutcome[];
  /**
   * Content hashes (src/eval/modelHash.ts) of the policy and the world model the shard ran: `eval
   * merge` compares these, not the folders' paths (pods of one split may mount them anywhere, and
   * the same path may hold other weights on another image).
   */
  readonly model_hash?: string;
  readonly world_model_hash?: string;
  /**
   * Present when a signal ended the shard before its last episode: the signal, the episodes of the
   * shard that ran to their end (in `outcomes`) and the one stopped. `eval merge` refuses the file.
   */
  readonly interrupted?: { readonly signal: string; readonly episodes_completed: number; readonly episodes: number; readonly episode_interrupted?: number };
}

/** Parses `K/N` (0 <= K < N), as Kubernetes indexed jobs number them (JOB_COMPLETION_INDEX). */
export function parseShard(v: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const k = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || k >= n) throw new UsageError('--shard', `"${v}" is not a shard`, 'K/N with 0 <= K < N, e.g. 3/8');
  return { k, n };
}

/**
 * Where the shard file really goes: an `--out` that is a symlink is written through to its target
 * (a scheduler's link into a results store stays a link), also when that target does not exist yet
 * (the link followed, chains too, relative to each link's folder); else the path itself.
 */
export function shardTarget(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    let p = file;
    for (let hops = 0; hops < 32; hops++) {
      let link: string;
      try {
        if (!lstatSync(p).isSymbolicLink()) return p;
        link = readlinkSync(p);
      } catch {
        return p; // nothing there: the path itself (a dangling link's last hop)
      }
      p = resolve(dirname(p), link);
    }
    return file;
  }
}

const tmpOf = (target: string) => `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`; // not the pid alone: a container's rerun has the same pid, and a killed attempt's file may be left

/**
 * Preflight for `--out` beyond checkOutputFile (src/cli/preflight.ts): the whole-file write needs to
 * make a temporary file beside the target, so a writable `--out` in a folder the job cannot create
 * files in (a read-only results folder holding one writable file per index) is refused now, not
 * after every episode ran.
 */
export function checkShardOut(file: string, flag = '--out'): void {
  const target = shardTarget(file);
  const tmp = tmpOf(target);
  try {
    closeSync(openSync(tmp, 'wx'));
    unlinkSync(tmp);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UsageError(flag, `${file}: no file can be made in its folder ${dirname(target)} (${code}), and the shard is written to a temporary file there, then renamed over it`, 'a file in a folder this job can write');
  }
}

/**
 * Writes the shard file whole or not at all: to a temporary file beside it, then renamed over it
 * (rename is atomic on one file system), so a signal, a full disk or a killed pod never leaves a
 * half-written file that a scheduler would take for the shard's result. A symlinked file is written
 * through to its target; an existing file keeps its mode (and owner, where this process may set it).
 */
export function writeShard(file: string, s: ShardFile): void {
  const target = shardTarget(file);
  const tmp = tmpOf(target);
  const before = statIfAny(target);
  try {
    writeFileSync(tmp, JSON.stringify(s) + '\n');
    if (before) {
      chmodSync(tmp, before.mode & 0o7777);
      try {
        chownSync(tmp, before.uid, before.gid);
      } catch {
        // not ours to give away: the new file is owned by this process's user
      }
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function statIfAny(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/**
 * What must be equal across the shards of one run: the spec, with the model folders' paths left out
 * where the files carry their content hashes (compared on their own): `./models/x` and `models/x`,
 * or two pods' mounts, are one model when their contents are.
 */
function runOf(s: ShardFile): EvalSpec {
  if (s.model_hash === undefined && s.world_model_hash === undefined) return s.spec;
  const session = s.spec.session;
  return {
    ...s.spec,
    session: {
      ...session,
      ...(s.model_hash !== undefined ? { policy: '' } : {}),
      ...(session.worldModel && s.world_model_hash !== undefined ? { worldModel: { ...session.worldModel, dir: '' } } : {}),
    },
  };
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
    // A shard a signal ended holds only part of its episodes: never merged as if it were whole.
    const i = s.interrupted;
    if (i)
      throw new UsageError(
        '<files>',
        `${f} is shard ${s.shard.k}/${s.shard.n} interrupted by ${i.signal} after ${i.episodes_completed} of its ${i.episodes} episodes`,
        `the shard run to its end (rerun axon eval --shard ${s.shard.k}/${s.shard.n})`,
      );
    return { f, s };
  });
  const spec = shards[0].s.spec;
  const first = shards[0];
  const hashes = (s: (typeof shards)[number]['s']) => [['model_hash', 'policy', s.spec.session.policy], ['world_model_hash', 'world model', s.spec.session.worldModel?.dir]] as const;
  for (const { f, s } of shards) {
    // A shard of an older axon (no hash) first: its spec compares unlike a hashed one's (runOf), so "another run" would hide why.
    for (const [key, what] of hashes(s))
      if ((first.s[key] === undefined) !== (s[key] === undefined))
        throw new UsageError('<files>', `${first.s[key] === undefined ? first.f : f} carries no ${what} hash (written by an older axon eval --shard) and ${first.s[key] === undefined ? f : first.f} does: their ${what} contents cannot be compared`, 'shards all written by this axon (rerun the older ones)');
    if (JSON.stringify(runOf(s)) !== JSON.stringify(runOf(first.s))) throw new UsageError('<files>', `${f} is from another run than ${first.f} (robot, policy, seed, episodes or options differ)`);
    // The same folder path may hold other weights on another pod (another image or checkout).
    for (const [key, what, dir] of hashes(s)) {
      const a = first.s[key], b = s[key];
      if (a === b || a === undefined || b === undefined) continue;
      throw new UsageError('<files>', `${f} ran ${what} ${dir} with sha256 ${b.slice(0, 12)}, ${first.f} with sha256 ${a.slice(0, 12)}: not the same ${what}`, `shards of one run, all with the same ${what} contents`);
    }
  }
  // A split K/N given whole, each shard once: a missing or repeated file is named by its shard,
  // before the episodes are (a shard's episodes are K, K+N, ...: "episode 2 has no result" does not
  // say which file to add).
  const n = shards[0].s.shard.n;
  // Shards of one split share N: a file of another split is named, not found later as "episode 0
  // was reported twice" (review R29 F9).
  const otherSplit = shards.find(({ s }) => s.shard.n !== n);
  if (otherSplit)
    throw new UsageError('<files>', `${otherSplit.f} is shard ${otherSplit.s.shard.k}/${otherSplit.s.shard.n}, ${shards[0].f} is shard ${shards[0].s.shard.k}/${n}: shards of one split share N`, `the files of one split K/${n}`);
  const byK = new Map<number, string>();
  for (const { f, s } of shards) {
    const other = byK.get(s.shard.k);
    if (other !== undefined) throw new UsageError('<files>', other === f ? `${f} is given twice` : `${f} and ${other} are both shard ${s.shard.k}/${n}`, 'each shard once');
    byK.set(s.shard.k, f);
  }
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byK.has(k));
  if (missing.length > 0)
    throw new UsageError('<files>', `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} of this run ${missing.length > 1 ? 'are' : 'is'} missing (${shards.length} of ${n} given)`, `the files of all ${n} shards K/${n}, K = 0..${n - 1}`);
  return { summary: summarize(spec, shards.flatMap(({ s }) => s.outcomes)), shards: shards.length };
}
