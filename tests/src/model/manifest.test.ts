import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestError, validateManifest, observationSize, actionSize, loadModelFolder } from '../../../src/model/manifest.ts';
import { manifest } from '../../helpers/fakes.ts';
import { manifestErrorOf } from '../../helpers/errors.ts';

const errorOf = manifestErrorOf;

describe('model manifest', () => {
  it('reads a manifest.json saved with a byte-order mark (a Windows editor), as without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bom-'));
    const m = manifest();
    writeFileSync(join(dir, 'manifest.json'), '\uFEFF' + JSON.stringify(m, null, 2));
    writeFileSync(join(dir, 'model.onnx'), '');
    expect(loadModelFolder(dir).manifest).toEqual(m);
  });

  it('accepts a complete manifest and derives the tensor sizes', () => {
    const m = validateManifest(manifest({ observation: { terms: [{ term: 'joint_pos_rel', history: 3 }, { term: 'last_action' }, { term: 'projected_gravity' }] } }));
    expect(observationSize(m)).toBe(2 * 3 + 2 + 3);
    expect(actionSize(m)).toBe(2);
  });

  it('names the field and the expectation for each kind of bad input', () => {
    const cases: [unknown, string][] = [
      [{ ...manifest(), control_hz: -5 }, '#/control_hz'],
      [{ ...manifest(), kind: 'banana' }, '#/kind'],
      [{ ...manifest(), joints: [] }, '#/joints'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_torque_xyz' }] } }, '#/observation/terms/0/term'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_pos', history: 0 }] } }, '#/observation/terms/0/history'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel', point: 'com' }] } }, '#/observation/terms/1/point'],
      [{ ...manifest(), observation: { terms: [{ term: 'base_lin_vel', point: 'centre' }] } }, '#/observation/terms/0/point'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_vel', before_clip: true }] } }, '#/observation/terms/0/before_clip'],
      [{ ...manifest(), observation: { terms: [{ term: 'last_action', before_clip: true }, { term: 'last_action', history: 3 }] } }, '#/observation/terms/1/before_clip'],
      [{ ...manifest(), action: { type: 'joint_position', scale: [1, 2, 3] } }, '#/action/scale'],
      [{ ...manifest(), action: { type: 'joint_position', joints: ['a', 'zz'] } }, '#/action/joints/1'],
      [{ ...manifest(), action: { type: 'joint_position', target_clip: [[-1, 1]] } }, '#/action/target_clip'],
      [{ ...manifest(), action: { type: 'joint_position', target_clip: [[-1, 1], [1, -1]] } }, '#/action/target_clip/1'],
      [{ ...manifest(), joints: ['a', 'a'] }, '#/joints'],
      [{ ...manifest(), default_joint_pos: [0] }, '#/default_joint_pos'],
      [{ ...manifest(), extra_field: 1 }, '#/'],
      [(() => { const m: Record<string, unknown> = { ...manifest() }; delete m.onnx; return m; })(), '#/onnx'],
    ];
    for (const [raw, pointer] of cases) {
      const e = errorOf(() => validateManifest(raw, 'm.json'));
      expect(e.code).toBe('MANIFEST_FIELD');
      expect(e.where).toContain(`m.json${pointer}`);
      expect(e.message.length).toBeGreaterThan(20);
    }
  });

  it('a value outside a union says what the union allows, on one line (not "Expected union value")', () => {
    const cases: [unknown, string, string, string][] = [
      [{ ...manifest(), action: { type: 'joint_torque', scale: 0.5 } }, '#/action/type', 'is "joint_torque"', 'one of joint_position, joint_position_abs, joint_velocity, joint_effort'],
      [{ ...manifest(), kind: 'banana' }, '#/kind', 'is "banana"', 'one of policy, world-model'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_posn' }] } }, '#/observation/terms/0/term', 'is "joint_posn"', 'one of joint_pos, joint_pos_rel, joint_vel,'],
      [{ ...manifest(), observation: { terms: [{ term: 'joint_pos', scale: 'big' }] } }, '#/observation/terms/0/scale', 'is "big"', 'a number or a list of numbers'],
    ];
    for (const [raw, pointer, message, expected] of cases) {
      const e = errorOf(() => validateManifest(raw, 'm.json'));
      expect(e.where).toBe(`m.json${pointer}`);
      expect(e.message).toBe(`m.json${pointer}: ${message} (expected ${e.expected})`);
      expect(e.expected).toContain(expected);
      expect(e.message).not.toMatch(/union|\n/);
    }
  });

  it('refuses a missing folder, a missing ONNX file and broken JSON with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-manifest-'));
    expect(errorOf(() => loadModelFolder(join(dir, 'nope'))).code).toBe('MODEL_NOT_FOUND');
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'manifest.json'), '{ not json');
    expect(errorOf(() => loadModelFolder(join(dir, 'm'))).code).toBe('MANIFEST_JSON');
    writeFileSync(join(dir, 'm', 'manifest.json'), JSON.stringify(manifest()));
    const e = errorOf(() => loadModelFolder(join(dir, 'm')));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.message).toContain('model.onnx');
  });
});
