/**
 * `sim --fast --view` ran the episode in lockstep with almost no event-loop turn for the page (3
 * frames of 3000) and ended before its E-STOP could act: refused as a usage error naming both
 * flags, before any work (review R18 finding 9).
 */
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';

describe('sim --fast --view', () => {
  it('is refused, naming --view and --fast (exit 2, nothing run)', () => {
    const r = runAxon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '60', '--fast', '--view', '--view-port', '0'], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('[CLI_USAGE]');
    expect(r.stderr).toContain('--view: cannot watch a --fast run');
    expect(r.stdout).toBe('');
  }, 90_000);
});
