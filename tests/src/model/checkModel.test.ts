import { describe, expect, it } from 'vitest';
import { checkModel, assertModelFits } from '../../../src/model/checkModel.ts';
import { validateManifest } from '../../../src/model/manifest.ts';
import { createObservation } from '../../../src/core/robot.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { joint, manifest, spec } from '../../helpers/fakes.ts';

const robot = spec([joint('a', { lower: -1, upper: 1 }), joint('b', { lower: 0, upper: 2, defaultPosition: 1 })]);

describe('checking a model against a robot before arming', () => {
  it('passes a model that fits', () => {
    expect(checkModel(validateManifest(manifest({ action: { type: 'joint_position', scale: 0.5, clip: 1 } })), robot, { robotHz: 500 })).toEqual([]);
  });

  it('lists every difference: missing joint, default outside limits, unreachable range, IMU, rates', () => {
    const m = validateManifest(
      manifest({
        joints: ['a', 'b', 'knee'],
        default_joint_pos: [3, 1, 0],
        observation: { terms: [{ term: 'projected_gravity' }] },
        action: { type: 'joint_position', joints: ['a', 'b'], scale: [0.1, 0.1], clip: 1 },
        control_hz: 60,
      }),
    );
    const issues = checkModel(m, robot, { robotHz: 500 });
    const where = issues.map((i) => i.where);
    expect(where).toEqual(['/joints/2', '/default_joint_pos/0', '/action/scale/0', '/observation/terms/0', '/control_hz']);
    expect(() => assertModelFits(m, robot, { robotHz: 500 }, 'x/manifest.json')).toThrow(/5 differences[\s\S]*x\/manifest.json#\/joints\/2: model knee \| robot no such joint/);
  });

  it('refuses a trained decimation that differs from the robot rates', () => {
    const m = validateManifest(manifest({ decimation: 4 }));
    expect(checkModel(m, robot, { robotHz: 500 }).map((i) => i.where)).toEqual(['/decimation']);
    expect(checkModel(m, robot, { robotHz: 200 })).toEqual([]);
  });
});

describe('per_frame history layout (legged_gym frame stacking)', () => {
  it('stacks whole frames oldest first', () => {
    const m = validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos', history: 2 }, { term: 'joint_vel', history: 2 }], history_layout: 'per_frame' } }));
    const b = new ObservationBuilder(m, robot);
    const obs = createObservation(robot);
    const last = new Float32Array(2);
    obs.jointPosition.set([1, 2]);
    obs.jointVelocity.set([3, 4]);
    b.build(obs, last);
    obs.jointPosition.set([5, 6]);
    obs.jointVelocity.set([7, 8]);
    expect(Array.from(b.build(obs, last))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('refuses per_frame with unequal histories, naming the term', () => {
    expect(() => validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos', history: 2 }, { term: 'joint_vel' }], history_layout: 'per_frame' } }))).toThrow(/terms\/1\/history/);
  });
});
