/**
 * `eval --shard K/N --out FILE`'s whole-file write (R9 #3): it makes a temporary file beside the
 * target and renames it over. Before, a symlinked FILE was replaced by a plain file (the link's
 * target never written), an existing file lost its mode, and a writable FILE in a folder the job
 * cannot create files in passed the preflight and failed after every episode.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkShardOut, writeShard, type ShardFile } from '../../../src/eval/shards.ts';

const shard: ShardFile = {
  format: 'axon.eval-shard/1',
  spec: { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: false, durationS: 1, seed: 1, episodes: 1 },
  shard: { k: 0, n: 1 },
  outcomes: [{ index: 0, seed: 1, success: true, return: 1, steps: 10, events: {} }],
};

describe('checkShardOut', () => {
  it("passes a rerun whose killed attempt left its temporary file (a container's rerun has the same pid)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardw-'));
    const out = join(dir, 'shard-0.json');
    writeFileSync(`${out}.${process.pid}.tmp`, '{"half": '); // what a SIGKILLed attempt of the same pid leaves
    expect(() => checkShardOut(out)).not.toThrow();
  });
});

describe('writeShard', () => {
  it('writes a dangling --out symlink (its target not made yet) through to the target; the link stays a link', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardw-'));
    mkdirSync(join(dir, 'store'));
    const link = join(dir, 'out.json');
    symlinkSync('store/shard-3.json', link); // relative, made before the shard ran
    writeShard(link, shard);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'store', 'shard-3.json'), 'utf8')).shard).toEqual({ k: 0, n: 1 });
  });

  it('writes a symlinked --out through to its target; the link stays a link', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardw-'));
    mkdirSync(join(dir, 'store'));
    const target = join(dir, 'store', 'shard-0.json');
    writeFileSync(target, '');
    const link = join(dir, 'out.json');
    symlinkSync(target, link);
    writeShard(link, shard);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, 'utf8')).outcomes).toHaveLength(1);
  });

  it('keeps an existing file its mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardw-'));
    const out = join(dir, 'out.json');
    writeFileSync(out, '');
    chmodSync(out, 0o664);
    writeShard(out, shard);
    expect((statSync(out).mode & 0o777).toString(8)).toBe('664');
    expect(JSON.parse(readFileSync(out, 'utf8')).shard).toEqual({ k: 0, n: 1 });
  });

  // Root may create files in a 0555 folder: only meaningful for another user.
  it.skipIf(process.getuid?.() === 0)('eval --shard refuses, before any episode, a writable --out in a folder it cannot create files in (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-shardw-'));
    const out = join(dir, 'out.json');
    writeFileSync(out, '');
    chmodSync(out, 0o666);
    chmodSync(dir, 0o555);
    try {
      const r = spawnSync(process.execPath, ['bin/axon.js', 'eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '1', '--duration', '0.1', '--shard', '0/1', '--out', out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('--out');
      expect(r.stderr).toContain('no file can be made in its folder');
    } finally {
      chmodSync(dir, 0o755);
    }
  }, 60_000);
});
