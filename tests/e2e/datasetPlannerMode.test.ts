/**
 * A planner without a policy (`--world-model DIR --wm-mode plan`) sends its world model's control
 * mode (cartpole-wm: joint_effort). Appending it to a dataset of another mode is refused when the
 * dataset is opened, before the run: exit 2, DATASET_MISMATCH naming both modes, stdout empty,
 * nothing written (docs/dataset.md, "What an append requires"; docs/cli.md). Before, sim and eval
 * passed no mode for such a run: it ran, and every episode was dropped at its first save (exit 4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon } from '../helpers/cli.ts';

const axon = (...args: string[]) => runAxon(args, 180_000);
const info = (ds: string) => JSON.parse(readFileSync(join(ds, 'meta/info.json'), 'utf8'));

/** models/cartpole-balance with its action read as position targets (a position-mode policy on the cartpole). */
function positionPolicy(dir: string): string {
  const p = join(dir, 'pos-policy');
  cpSync('models/cartpole-balance', p, { recursive: true });
  const m = JSON.parse(readFileSync(join(p, 'manifest.json'), 'utf8'));
  m.action.type = 'joint_position';
  writeFileSync(join(p, 'manifest.json'), JSON.stringify(m, null, 1));
  return p;
}

describe('a planner without a policy appending to a dataset of another control mode', () => {
  let ds = '';
  let before = '';
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-ds-plan-'));
    ds = join(dir, 'ds');
    const made = axon('sim', '--robot', 'cartpole', '--policy', positionPolicy(dir), '--duration', '0.2', '--fast', '--json', '--dataset', ds);
    expect(made.code, made.stderr).toBe(0);
    before = readFileSync(join(ds, 'meta/info.json'), 'utf8');
    expect(info(ds).axon.sessions.map((s: { control_mode?: string }) => s.control_mode)).toEqual(['position']);
  }, 180_000);

  it.each([
    ['sim', '--duration', '0.2', '--fast'],
    ['eval', '--episodes', '1', '--duration', '0.2'],
  ])('%s refuses it when the dataset is opened (exit 2, both modes named), nothing run or written', (...cmd) => {
    const r = axon(...cmd, '--robot', 'cartpole', '--world-model', 'models/cartpole-wm', '--wm-mode', 'plan', '--json', '--dataset', ds);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe(''); // refused before the run: no summary
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('DATASET_MISMATCH');
    expect(r.stderr).toContain('control mode "position" in the dataset (its action column holds position commands), "effort" in this run');
    expect(readFileSync(join(ds, 'meta/info.json'), 'utf8')).toBe(before);
  });

  it("into a new dataset its mode is recorded from the start, the world model's", () => {
    const ds = join(mkdtempSync(join(tmpdir(), 'axon-ds-plan-')), 'ds');
    const r = axon('sim', '--robot', 'cartpole', '--world-model', 'models/cartpole-wm', '--wm-mode', 'plan', '--duration', '0.2', '--fast', '--json', '--dataset', ds);
    expect([0, 5], r.stderr).toContain(r.code); // the planner may safe-stop; the dataset is what is checked
    const i = info(ds);
    expect(i.axon.control_mode).toBe('effort');
    expect(i.axon.model).toBeUndefined(); // the world model is no policy: the provenance names none
    expect(i.axon.sessions.map((s: { control_mode?: string }) => s.control_mode)).toEqual(['effort']);
  });
});
