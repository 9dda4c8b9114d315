/**
 * `--randomize` with a user's robot file (R21 F8): a URDF robot has no randomiser (sim/robots/index.ts
 * `randomize` knows only the shipped robots' draws), so `sim2sim --urdf --randomize` ran unrandomised
 * while its JSON said `"randomize": true`, and `sim --urdf --randomize` failed blaming the robot
 * (UNKNOWN_ROBOT "is not a shipped robot"). Both now refuse the flag up front, naming it and what has
 * a randomiser (docs/cli.md, "Flags that need another"): exit 2, one line, nothing run.
 */
import { describe, expect, it } from 'vitest';
import { runAxon } from '../helpers/cli.ts';

const URDF = 'sim/robots/humanoid.urdf';
const P = 'models/humanoid-balance';

function expectRefused(args: string[]) {
  const r = runAxon(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('[CLI_USAGE]: --randomize:');
  expect(r.stderr).toContain('shipped robot (--robot cartpole, pendulum, humanoid or arm)');
  expect(r.stderr).toContain('the robot of --urdf has no randomisation yet');
  expect(r.stderr).not.toContain('UNKNOWN_ROBOT');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe(''); // no run, no JSON claiming a randomised episode
}

describe('--randomize with --urdf is refused, naming the flag (exit 2)', () => {
  it('sim --urdf --randomize', () => expectRefused(['sim', '--urdf', URDF, '--policy', P, '--duration', '0.2', '--fast', '--randomize', '--seed', '3', '--json']));
  it('sim2sim --urdf --randomize (it ran, drew nothing and said "randomize": true)', () => expectRefused(['sim2sim', '--urdf', URDF, '--policy', P, '--duration', '0.2', '--randomize', '--seed', '3', '--json']));
  it('a shipped robot still randomises (the draws are in the summary)', () => {
    const r = runAxon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--duration', '0.1', '--fast', '--randomize', '--seed', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine) as { randomization?: Record<string, number> };
    expect(Object.keys(s.randomization ?? {}).length).toBeGreaterThan(0);
  });
});
