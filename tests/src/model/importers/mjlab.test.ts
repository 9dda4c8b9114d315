/**
 * A manifest from the metadata_props mjlab writes into its exported policies
 * (src/model/importers/mjlab.ts), on entries written as mjlab's exporter writes them
 * (tests/helpers/mjlabMetadata.ts) and on the G1 dump printed in mujocolab/mjlab PR #903.
 */
import { describe, expect, it } from 'vitest';
import { manifestFromMjlab, OnnxMetadataError, type MjlabImportOptions } from '../../../../src/model/importers/mjlab.ts';
import { observationSize } from '../../../../src/model/manifest.ts';
import type { OnnxMetadataEntry } from '../../../../src/model/onnxMetadata.ts';
import {
  G1_JOINTS,
  GO1_ACTION_SCALE,
  GO1_JOINTS,
  g1Pr903Metadata,
  go1VelocityMetadata,
  mjlabEntries,
  velocityObsWidth,
  type PyValue,
} from '../../../helpers/mjlabMetadata.ts';

const opts = (over: Partial<MjlabImportOptions> = {}): MjlabImportOptions => ({
  file: 'policy.onnx',
  name: 'go1-flat',
  onnx: { file: 'policy.onnx', input: 'obs', output: 'actions' },
  inputWidth: velocityObsWidth(12),
  outputWidth: 12,
  command: 'axon inspect policy.onnx --draft manifest.json',
  ...over,
});

/** The Go1 export with other actor terms (and per-term lists of their length, as get_base_metadata writes them). */
const withTerms = (names: string[], over: Record<string, PyValue | readonly PyValue[]> = {}) =>
  go1({
    observation_names: names,
    observation_terms_scale: names.map(() => 1),
    observation_terms_flatten_history_dim: names.map(() => true),
    observation_terms_history_length: names.map(() => 0),
    observation_terms_clip: names.map(() => [-Infinity, Infinity]),
    ...over,
  });

const go1 = (over: Record<string, PyValue | readonly PyValue[]> = {}, nested: 'str' | 'semicolon' = 'str') => mjlabEntries(go1VelocityMetadata(over), nested);

/** Runs `f`, which must throw an OnnxMetadataError, and returns it. */
function metadataErrorOf(f: () => unknown): OnnxMetadataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxMetadataError);
    return e as OnnxMetadataError;
  }
  throw new Error('expected an OnnxMetadataError');
}

describe('mjlab ONNX metadata: a Go1 flat velocity export', () => {
  it('gives every field the file holds, in the MJCF joint order, value for value as written (3 decimals)', () => {
    const entries = go1();
    // As written: 3 decimals, True as 1.000, no clip as [-inf, inf].
    const v = (k: string) => entries.find((e) => e.key === k)!.value;
    expect(v('joint_stiffness')).toBe('15.895,15.895,35.764,15.895,15.895,35.764,15.895,15.895,35.764,15.895,15.895,35.764');
    expect(v('default_joint_pos')).toBe('0.100,0.900,-1.800,-0.100,0.900,-1.800,0.100,0.900,-1.800,-0.100,0.900,-1.800');
    expect(v('observation_terms_flatten_history_dim')).toBe('1.000,1.000,1.000,1.000,1.000,1.000,1.000');
    expect(v('observation_terms_clip')).toBe('[-inf, inf],[-inf, inf],[-inf, inf],[-inf, inf],[-inf, inf],[-inf, inf],[-inf, inf]');

    const { manifest: m, unfilled, notes } = manifestFromMjlab(entries, opts());
    expect(m.joints).toEqual(GO1_JOINTS);
    expect(m.joints.slice(0, 4)).toEqual(['FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint']);
    expect(m.default_joint_pos).toEqual([0.1, 0.9, -1.8, -0.1, 0.9, -1.8, 0.1, 0.9, -1.8, -0.1, 0.9, -1.8]);
    expect(m.pd!.kp).toEqual(GO1_JOINTS.map((j) => (j.endsWith('calf_joint') ? 35.764 : 15.895)));
    expect(m.pd!.kd).toEqual(GO1_JOINTS.map((j) => (j.endsWith('calf_joint') ? 2.277 : 1.012)));
    // 0.25 · effort / stiffness, rounded to 3 decimals by the exporter: 0.37275 -> 0.373, 0.24850 -> 0.249.
    expect(m.action).toEqual({ type: 'joint_position', scale: GO1_JOINTS.map((j) => (j.endsWith('calf_joint') ? 0.249 : 0.373)) });
    expect(GO1_ACTION_SCALE[0]).toBeCloseTo(0.37275, 5);
    expect(m.observation).toEqual({
      terms: [{ term: 'base_lin_vel' }, { term: 'base_ang_vel' }, { term: 'projected_gravity' }, { term: 'joint_pos_rel' }, { term: 'joint_vel' }, { term: 'last_action' }, { term: 'velocity_commands' }],
      history_order: 'oldest_first',
      history_layout: 'per_term',
      history_fill: 'first',
    });
    expect(observationSize(m)).toBe(48);
    expect(m.control_hz).toBe(50);
    expect(m.onnx).toEqual({ file: 'policy.onnx', input: 'obs', output: 'actions' });
    expect(m.provenance).toMatchObject({ source: 'mjlab ONNX metadata_props', run_path: 'local' });
    // What the file does not say is listed, each once.
    expect(unfilled.map((u) => u.split(':')[0])).toEqual(['control_hz', 'robot', 'command_ranges', 'actuators', 'imu_link', 'noise', 'observation delay', 'action.clip', 'use_default_offset']);
    expect(notes.some((n) => n.startsWith('base_lin_vel:'))).toBe(true);
  });

  it('says what it takes on trust: joint_pos is joint_pos_rel by its key name; no observation delay, no action clip, use_default_offset true', () => {
    const { manifest: m, unfilled, notes } = manifestFromMjlab(go1(), opts());
    expect(m.observation.terms[3]).toEqual({ term: 'joint_pos_rel' });
    expect(notes.find((n) => n.startsWith('joint_pos:'))).toMatch(/by its key name.*absolute mdp\.joint_pos would see every joint off by its default pose/);
    expect(unfilled.find((u) => u.startsWith('observation delay:'))).toMatch(/delay_min_lag\/delay_max_lag.*not in the file/);
    expect(unfilled.find((u) => u.startsWith('action.clip:'))).toMatch(/clip_actions \(None by default.*action\.target_clip/);
    expect(unfilled.find((u) => u.startsWith('use_default_offset:'))).toMatch(/true assumed.*joint_position_abs/);
    expect(m.action.type).toBe('joint_position');
    // A term keyed joint_pos_rel says what it is: no note.
    const rel = manifestFromMjlab(withTerms(['base_ang_vel', 'projected_gravity', 'joint_pos_rel', 'joint_vel', 'actions', 'command']), opts({ inputWidth: 45 }));
    expect(rel.notes.find((n) => n.startsWith('joint_pos:'))).toBeUndefined();
  });

  it('names a gain or action scale that reads 0.000 or is below 0.05, where the exporter\'s 3 decimals may be more than 1 % off', () => {
    // 0.0004 written as 0.000; 0.0123 as 0.012 (±4.2 %); kd 0.0021 as 0.002 (±25 %).
    const scale = GO1_JOINTS.map((j, i) => (i === 0 ? 0.0004 : i === 1 ? 0.0123 : GO1_ACTION_SCALE[i]));
    const kd = GO1_JOINTS.map((_, i) => (i === 2 ? 0.0021 : 1.012));
    const kp = GO1_JOINTS.map((_, i) => (i === 3 ? 0.0001 : 20));
    const entries = go1({ action_scale: scale, joint_damping: kd, joint_stiffness: kp });
    expect(entries.find((e) => e.key === 'action_scale')!.value.startsWith('0.000,0.012,')).toBe(true);
    const { manifest: m, notes } = manifestFromMjlab(entries, opts());
    expect((m.action.scale as number[]).slice(0, 2)).toEqual([0, 0.012]);
    expect(notes).toContain("action_scale: reads 0.000 for FR_hip_joint: the exporter writes 3 decimals, so anything below 0.0005 reads 0 (those joints' targets never leave the default pose): check the training's value");
    expect(notes).toContain("action_scale: below 0.05 for FR_thigh_joint (0.012, ±4.2 %): the exporter's 3 decimals may be that far off the training's value: check it");
    expect(notes).toContain("joint_damping: below 0.05 for FR_calf_joint (0.002, ±25 %): the exporter's 3 decimals may be that far off the training's value: check it");
    expect(notes.find((n) => n.startsWith('joint_stiffness:'))).toMatch(/^joint_stiffness: reads 0\.000 for FL_hip_joint: .*pd\.kp 0/);
    // One scale for every joint.
    expect(manifestFromMjlab(go1({ action_scale: 0.03 }), opts()).notes).toContain("action_scale: below 0.05 for every joint (0.03, ±1.7 %): the exporter's 3 decimals may be that far off the training's value: check it");
    // The stock exports have none: Go1's smallest is 0.249, the G1's wrist 0.075 (0.67 %).
    expect(manifestFromMjlab(go1(), opts()).notes.filter((n) => /^(action_scale|joint_stiffness|joint_damping):/.test(n))).toEqual([]);
    expect(manifestFromMjlab(g1Pr903Metadata(), opts({ name: 'g1', inputWidth: 495, outputWidth: 29 })).notes.filter((n) => /^(action_scale|joint_stiffness|joint_damping):/.test(n))).toEqual([]);
  });

  it('reads a later exporter\'s ";"-joined elements: a per-element scale and a clip, clip moved after the scale', () => {
    const { manifest: m } = manifestFromMjlab(
      go1(
        {
          observation_terms_scale: [1.0, 0.25, 1.0, 1.0, 0.05, 1.0, [2.0, 2.0, 0.25]],
          observation_terms_clip: [[-Infinity, Infinity], [-100, 100], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity]],
        },
        'semicolon',
      ),
      opts(),
    );
    expect(m.observation.terms[1]).toEqual({ term: 'base_ang_vel', scale: 0.25, clip: 25 });
    expect(m.observation.terms[4]).toEqual({ term: 'joint_vel', scale: 0.05 });
    expect(m.observation.terms[6]).toEqual({ term: 'velocity_commands', scale: [2, 2, 0.25] });
  });

  it('keeps -0.000 as 0 in the manifest (a default pose, a damping)', () => {
    const pos = [...go1VelocityMetadata().default_joint_pos as number[]];
    pos[0] = -0;
    const { manifest: m } = manifestFromMjlab(go1({ default_joint_pos: pos, joint_damping: GO1_JOINTS.map((_, i) => (i === 0 ? -0 : 1)) }), opts());
    expect(Object.is(m.default_joint_pos![0], 0)).toBe(true);
    // (JSON.stringify writes -0 as 0 whatever the manifest holds: Object.is is the check.)
    expect(Object.is(m.pd!.kd[0], 0)).toBe(true);
  });

  it('writes no pd when the gains are a <motor>\'s (IdealPdActuatorCfg: 1.000 and -0.000, mjlab issue #347), and says so', () => {
    const { manifest: m, unfilled } = manifestFromMjlab(go1({ joint_stiffness: GO1_JOINTS.map(() => 1), joint_damping: GO1_JOINTS.map(() => -0) }), opts());
    expect(m.pd).toBeUndefined();
    expect(unfilled.find((u) => u.startsWith('pd:'))).toMatch(/every joint.*<motor> actuator.*#347/);
  });

  it('reads an export from before PR #903 (no per-term keys, action_scale one str(float)) as the stock velocity task, and says so', () => {
    const old = go1VelocityMetadata({ action_scale: 0.5 }) as Record<string, unknown>;
    for (const k of ['observation_terms_scale', 'observation_terms_flatten_history_dim', 'observation_terms_history_length', 'observation_terms_clip']) delete old[k];
    const entries = mjlabEntries(old as Record<string, PyValue>);
    expect(entries.find((e) => e.key === 'action_scale')!.value).toBe('0.5');
    const { manifest: m, unfilled } = manifestFromMjlab(entries, opts());
    expect(m.action.scale).toBe(0.5);
    expect(m.observation.terms.every((t) => t.scale === undefined && t.history === undefined && t.clip === undefined)).toBe(true);
    expect(unfilled.find((u) => u.startsWith('observation scale'))).toMatch(/PR #903.*PR #352/);
  });
});

describe('mjlab ONNX metadata: the G1 dump of mujocolab/mjlab PR #903 (29 joints, history 5)', () => {
  it('every term stacks 5 frames: 495 inputs; gains and scales as printed', () => {
    const { manifest: m } = manifestFromMjlab(g1Pr903Metadata(), opts({ name: 'g1', inputWidth: 495, outputWidth: 29 }));
    expect(m.joints).toEqual(G1_JOINTS);
    expect(m.observation.terms.map((t) => t.history)).toEqual([5, 5, 5, 5, 5, 5, 5]);
    expect(observationSize(m)).toBe(5 * (3 + 3 + 3 + 29 + 29 + 29 + 3));
    const at = (list: number[], j: string) => list[G1_JOINTS.indexOf(j)];
    expect(at(m.pd!.kp, 'left_hip_roll_joint')).toBe(99.098);
    expect(at(m.pd!.kp, 'waist_yaw_joint')).toBe(40.179);
    expect(at(m.pd!.kd, 'right_wrist_yaw_joint')).toBe(1.068);
    expect(at(m.action.scale as number[], 'left_wrist_pitch_joint')).toBe(0.075);
    expect(at(m.default_joint_pos!, 'right_knee_joint')).toBe(0.669);
    expect(at(m.default_joint_pos!, 'right_shoulder_roll_joint')).toBe(-0.2);
    expect(m.provenance).toMatchObject({ run_path: '2026-04-13_15-49-03_mjlab_1204_g1_lin_vel_obs_hist' });
  });
});

describe('mjlab ONNX metadata that cannot be read: a typed error naming the key', () => {
  const where = (key: string) => `policy.onnx metadata_props["${key}"]`;

  it('a list whose length disagrees with joint_names', () => {
    const e = metadataErrorOf(() => manifestFromMjlab(go1({ default_joint_pos: [0.1, 0.9, -1.8] }), opts()));
    expect(e.code).toBe('ONNX_METADATA');
    expect(e.where).toBe(where('default_joint_pos'));
    expect(e.message).toContain('has 3 values for 12 joint_names');
    const s = metadataErrorOf(() => manifestFromMjlab(go1({ joint_stiffness: GO1_JOINTS.slice(1).map(() => 20) }), opts()));
    expect(s.where).toBe(where('joint_stiffness'));
    expect(s.message).toMatch(/11 values for 12 joint_names.*passive joint/);
    const a = metadataErrorOf(() => manifestFromMjlab(go1({ action_scale: [0.25, 0.25] }), opts()));
    expect(a.where).toBe(where('action_scale'));
  });

  it('a value that is not a number, naming the element', () => {
    const entries: OnnxMetadataEntry[] = go1().map((e) => (e.key === 'joint_damping' ? { key: e.key, value: e.value.replace(/^[^,]+/, 'abc') } : e));
    const e = metadataErrorOf(() => manifestFromMjlab(entries, opts()));
    expect(e.code).toBe('ONNX_METADATA');
    expect(e.where).toBe(`${where('joint_damping')}[0]`);
    expect(e.message).toContain('is "abc"');
    const nan = go1().map((x) => (x.key === 'default_joint_pos' ? { key: x.key, value: x.value.replace(/^[^,]+/, 'nan') } : x));
    expect(metadataErrorOf(() => manifestFromMjlab(nan, opts())).where).toBe(`${where('default_joint_pos')}[0]`);
  });

  it('a per-term list of another length than observation_names, a missing key, a key twice with different values', () => {
    expect(metadataErrorOf(() => manifestFromMjlab(go1({ observation_terms_history_length: [0, 0] }), opts())).where).toBe(where('observation_terms_history_length'));
    expect(metadataErrorOf(() => manifestFromMjlab(go1().filter((e) => e.key !== 'default_joint_pos'), opts())).message).toContain('is missing');
    const twice = [...go1(), { key: 'action_scale', value: '0.250' }];
    const e = metadataErrorOf(() => manifestFromMjlab(twice, opts()));
    expect(e.where).toBe(where('action_scale'));
    expect(e.message).toContain('appears twice with different values');
    // The same value appended twice (metadata attached twice) is one value.
    expect(() => manifestFromMjlab([...go1(), go1().find((x) => x.key === 'action_scale')!], opts())).not.toThrow();
  });

  it('an unflattened history, an asymmetric clip', () => {
    const flat = metadataErrorOf(() => manifestFromMjlab(go1({ observation_terms_history_length: [3, 3, 3, 3, 3, 3, 3], observation_terms_flatten_history_dim: [true, false, true, true, true, true, true] }), opts({ inputWidth: 144 })));
    expect(flat.where).toBe(`${where('observation_terms_flatten_history_dim')}[1]`);
    const clip = metadataErrorOf(() => manifestFromMjlab(go1({ observation_terms_clip: [[-1, 2], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity], [-Infinity, Infinity]] }), opts()));
    expect(clip.where).toBe(`${where('observation_terms_clip')}[0]`);
  });

  it('terms whose widths do not add up to the ONNX input, or joints that are not its output', () => {
    const e = metadataErrorOf(() => manifestFromMjlab(go1(), opts({ inputWidth: 45 })));
    expect(e.where).toBe(where('observation_names'));
    expect(e.message).toContain('gives 48 values');
    expect(metadataErrorOf(() => manifestFromMjlab(go1(), opts({ outputWidth: 29 }))).where).toBe(where('joint_names'));
  });
});

describe('mjlab terms axon cannot compute: a typed error naming the term', () => {
  it('the rough task\'s height_scan', () => {
    const e = metadataErrorOf(() => manifestFromMjlab(withTerms(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'joint_pos', 'joint_vel', 'actions', 'command', 'height_scan']), opts()));
    expect(e.code).toBe('ONNX_METADATA_TERM');
    expect(e.where).toBe('policy.onnx metadata_props["observation_names"][7]');
    expect(e.message).toContain('"height_scan", a terrain height scan');
  });

  it('a motion-tracking export: command reads the reference motion, motion_anchor_* its anchor', () => {
    const tracking = withTerms(['command', 'motion_anchor_pos_b', 'motion_anchor_ori_b', 'base_lin_vel', 'base_ang_vel', 'joint_pos', 'joint_vel', 'actions'], { command_names: ['motion'] });
    const e = metadataErrorOf(() => manifestFromMjlab([...tracking, { key: 'anchor_body_name', value: 'torso_link' }], opts()));
    expect(e.code).toBe('ONNX_METADATA_TERM');
    expect(e.where).toBe('policy.onnx metadata_props["observation_names"][0]');
    expect(e.message).toContain("motion-tracking task's reference motion");
    const anchor = metadataErrorOf(() => manifestFromMjlab(withTerms(['motion_anchor_ori_b', 'joint_pos']), opts()));
    expect(anchor.message).toContain('"motion_anchor_ori_b"');
  });

  it('unitree_rl_mjlab\'s phase: a gait clock whose period the file does not record, pointing to its deploy.yaml', () => {
    // unitreerobotics/unitree_rl_mjlab's velocity task puts `phase` (period 0.6, zero while ‖command‖ < 0.1) between the command and the joints.
    const e = metadataErrorOf(() => manifestFromMjlab(withTerms(['base_ang_vel', 'projected_gravity', 'command', 'phase', 'joint_pos', 'joint_vel', 'actions']), opts()));
    expect(e.code).toBe('ONNX_METADATA_TERM');
    expect(e.where).toBe('policy.onnx metadata_props["observation_names"][3]');
    expect(e.message).toContain('"phase", unitree_rl_mjlab\'s gait clock');
    expect(e.message).toContain('whose period the file does not record');
    expect(e.expected).toContain('axon manifest from-deploy deploy.yaml --onnx <this file>');
  });

  it('a command of a name axon cannot tell is a velocity, and a term of no known name', () => {
    const e = metadataErrorOf(() => manifestFromMjlab(go1({ command_names: ['ee_pose'] }), opts()));
    expect(e.where).toBe('policy.onnx metadata_props["command_names"]');
    const f = metadataErrorOf(() => manifestFromMjlab(withTerms(['base_lin_vel', 'foot_contact']), opts()));
    expect(f.where).toBe('policy.onnx metadata_props["observation_names"][1]');
    expect(f.message).toContain('"foot_contact", a term axon cannot compute');
  });
});
