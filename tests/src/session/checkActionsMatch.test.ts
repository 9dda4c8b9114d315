import { describe, expect, it } from 'vitest';
import { validateManifest } from '../../../src/model/manifest.ts';
import { checkActionsMatch } from '../../../src/session/worldModel.ts';
import { manifest } from '../../helpers/fakes.ts';

/** A world model predicts under the policy's raw action space: any difference in it is refused before a run. */
describe("a world model's action space against the policy's", () => {
  const m = (action: Record<string, unknown>) => validateManifest(manifest({ action: { type: 'joint_position', scale: 0.25, ...action } }));

  it('the same space passes', () => {
    expect(() => checkActionsMatch(m({ clip: 1 }), m({ clip: 1 }), 'p', 'w')).not.toThrow();
    expect(() => checkActionsMatch(m({ target_clip: [[-100, 100], [-100, 100]] }), m({ target_clip: [[-100, 100], [-100, 100]] }), 'p', 'w')).not.toThrow();
  });

  it('a different clip or target bound is refused, naming both', () => {
    expect(() => checkActionsMatch(m({ clip: 1 }), m({ clip: 2 }), 'p', 'w')).toThrow(/w\/manifest.json#\/action: does not match the policy p: clip 1 vs 2/);
    // unitree_rl_lab's Go2 bounds each target to ±100 around the default; a model trained without them is another action space
    expect(() => checkActionsMatch(m({ target_clip: [[-100, 100], [-100, 100]] }), m({}), 'p', 'w')).toThrow(/target_clip \[\[-100,100\],\[-100,100\]\] vs null/);
  });
});
