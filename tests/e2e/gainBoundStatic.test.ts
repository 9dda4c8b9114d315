/**
 * A manifest's pd on a shipped robot and on the URDF of the same robot gets the same answer
 * (docs/safety.md, "Gain bounds"): a realistic pd runs without gain_clamp on both (it used to be
 * clamped on every tick on --robot humanoid, 1 event per joint per tick, and not on --urdf, where
 * the pd became the joint's default and raised the bound), and an absurd one is refused before
 * arming on both, naming the joint, the gain and the bound (it used to be clamped per tick on one
 * and run unclamped on the other).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axon } from '../helpers/cli.ts';

/** models/humanoid-balance with a pd over its 12 joints, in a fresh folder. */
function withPd(kp: number, kd: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'axon-gainbound-'));
  const m = JSON.parse(readFileSync('models/humanoid-balance/manifest.json', 'utf8'));
  const n = m.joints.length;
  m.pd = { kp: Array(n).fill(kp), kd: Array(n).fill(kd) };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  copyFileSync('models/humanoid-balance/model.onnx', join(dir, 'model.onnx'));
  return dir;
}

const robots = [
  ['--robot', 'humanoid'],
  ['--urdf', 'sim/robots/humanoid.urdf'],
] as const;

describe('static gains against the gain bound, shipped robot vs its URDF', () => {
  it('pd kp 4000 / kd 5 runs on both with no gain_clamp', () => {
    const dir = withPd(4000, 5);
    for (const r of robots) {
      const run = axon('sim', ...r, '--policy', dir, '--duration', '0.5', '--fast', '--json');
      expect(run.code, `${r.join(' ')}: ${run.stderr}`).toBe(0);
      const events = JSON.parse(run.lastLine).safety.events;
      expect(events.gain_clamp, `${r.join(' ')}: ${JSON.stringify(events)}`).toBeUndefined();
    }
  }, 120_000);

  it('pd kp 1e6 is refused on both before arming, naming the joint, the gain and the bound', () => {
    const dir = withPd(1e6, 5);
    for (const r of robots) {
      const run = axon('sim', ...r, '--policy', dir, '--duration', '0.5', '--fast', '--json');
      expect(run.code, `${r.join(' ')}: ${run.stdout}`).not.toBe(0);
      expect(run.stderr).toContain('SAFETY_GAIN_BOUND');
      expect(run.stderr).toMatch(/left_hip_pitch kp 1000000 > kpMax \d+/);
    }
  }, 120_000);
});
