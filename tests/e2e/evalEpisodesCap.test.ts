/**
 * `eval --episodes` has an upper bound (review R29 F8): 10^9 episodes died in V8 after 20-30 s and
 * about 2 GB (SIGABRT with --workers, "invalid size" with --shard, "Invalid typed array length"
 * locally) instead of a usage error.
 */
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';

describe('eval --episodes', () => {
  it('more than 10,000,000 is a usage error naming the flag, exit 2, in every mode', () => {
    for (const extra of [[], ['--workers', '2'], ['--shard', '0/1', '--out', '/tmp/axon-never-written.json']]) {
      const r = runAxon(['eval', '--robot', 'cartpole', '--zero-policy', '--policy', 'models/cartpole-balance', '--episodes', '1000000000', ...extra], 30_000);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--episodes');
      expect(r.stderr).toContain('up to 10000000');
    }
  }, 120_000);
});
