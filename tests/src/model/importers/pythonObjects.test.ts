import { describe, expect, it } from 'vitest';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';
import { AxonError } from '../../../../src/core/errors.ts';
import { numpyScalarYaml, orderedDictYaml } from '../../../helpers/pyyamlNumpy.ts';

const parse = (text: string) => parsePythonYaml(text, 'env.yaml', 'a mapping');
const refused = (text: string): AxonError => {
  try {
    parse(text);
  } catch (e) {
    return e as AxonError;
  }
  throw new Error('not refused');
};

describe('parsePythonYaml: numpy scalars as PyYAML dumps them', () => {
  it('reads each dtype (f8, f4, i8, i4, i2, u1, bool), little- and big-endian, numpy 1 and 2 module names', () => {
    const cases: [string, number | boolean, Parameters<typeof numpyScalarYaml>[2]][] = [
      ['a', 0.25, {}],
      ['b', 0.800000011920929, { dtype: 'f4' }],
      ['c', -3, { dtype: 'i8' }],
      ['d', 123456, { dtype: 'i4', order: '>' }],
      ['e', -2, { dtype: 'i2' }],
      ['f', 200, { dtype: 'u1' }],
      ['g', true, { dtype: 'b1' }],
      ['h', 1.5, { order: '>', module: 'numpy._core' }],
      ['i', Math.PI / 6, { module: 'numpy._core' }],
    ];
    const text = cases.map(([k, v, o]) => `${k}:${numpyScalarYaml(2, v, o)}`).join('\n') + '\n';
    const { cfg, notes } = parse(text);
    expect(cfg).toEqual(Object.fromEntries(cases.map(([k, v]) => [k, v])));
    expect(notes.join('\n')).toContain('env.yaml: numpy scalars read as their values: a = 0.25 (f8), b = 0.800000011920929 (f4), c = -3 (i8), d = 123456 (>i4)');
  });

  it('follows a dtype anchored in one scalar and aliased in the next, and an alias of the scalar itself', () => {
    const text = `obs:\n  scale: &id003${numpyScalarYaml(2, 0.25, { anchor: 'id001' })}\n  other:${numpyScalarYaml(2, 0.05, { alias: 'id001' })}\n  again: *id003\n`;
    expect(parse(text).cfg).toEqual({ obs: { scale: 0.25, other: 0.05, again: 0.25 } });
  });

  it('refuses a numpy scalar it cannot decode, naming the env.yaml key and saying numpy scalar', () => {
    const c16 = refused(`observations:\n  policy:\n    base_ang_vel:\n      scale:${numpyScalarYaml(6, 0, { dtype: 'c16', bytes: new Uint8Array(16) })}\n`);
    expect(c16.code).toBe('IMPORT_CONFIG');
    expect(c16.message).toContain('env.yaml: observations.policy.base_ang_vel.scale: is a numpy scalar of dtype "c16", which axon does not decode');
    const short = refused(`a:\n  b:\n  - 1\n  -${numpyScalarYaml(4, 0, { bytes: new Uint8Array(4) })}\n`);
    expect(short.message).toContain('env.yaml: a.b[1]: is a numpy scalar of dtype f8 holding 4 bytes, not 8');
  });
});

describe('parsePythonYaml: OrderedDict as PyYAML dumps it', () => {
  it('reads the [key, value] pairs as a mapping in their order, numpy values inside decoded', () => {
    const text = `joint_pos:${orderedDictYaml(0, [['.*L_hip_joint', 0.1], ['.*R_hip_joint', -0.1], ['.*_calf_joint', -1.5]])}\n`;
    const { cfg } = parse(text);
    expect(cfg).toEqual({ joint_pos: { '.*L_hip_joint': 0.1, '.*R_hip_joint': -0.1, '.*_calf_joint': -1.5 } });
    expect(Object.keys(cfg.joint_pos as object)).toEqual(['.*L_hip_joint', '.*R_hip_joint', '.*_calf_joint']);
    const np = parse(`m: !!python/object/apply:collections.OrderedDict\n- - - k\n    -${numpyScalarYaml(6, 0.8)}\n`);
    expect(np.cfg).toEqual({ m: { k: 0.8 } });
  });

  it('refuses an OrderedDict whose items are not pairs, naming the key', () => {
    const e = refused('scene:\n  joint_pos: !!python/object/apply:collections.OrderedDict\n  - - [a, 1, 2]\n');
    expect(e.code).toBe('IMPORT_CONFIG');
    expect(e.message).toContain('env.yaml: scene.joint_pos[0]: is not a [key, value] pair');
  });
});
