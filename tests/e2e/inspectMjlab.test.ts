/**
 * `axon inspect policy.onnx --draft manifest.json` on a policy mjlab exported: the file's own
 * metadata_props give a complete manifest, which `axon inspect DIR --urdf` accepts and `axon sim`
 * runs; an ONNX file without metadata gets today's draft; metadata that cannot be read is refused
 * naming the key, a term axon cannot compute naming the term.
 */
import { describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axon } from '../helpers/cli.ts';
import { exportedPolicyOnnx } from '../helpers/onnxFixtures.ts';
import { GO1_JOINTS, go1VelocityMetadata, mjlabEntries, velocityObsWidth } from '../helpers/mjlabMetadata.ts';
import { vendorQuadrupedUrdf } from '../helpers/vendorQuadruped.ts';
import { parseUrdf } from '../../sim/index.ts';

const root = mkdtempSync(join(tmpdir(), 'axon-mjlab-'));
const urdf = join(root, 'go2_description.urdf');
writeFileSync(urdf, vendorQuadrupedUrdf());

/** A model folder holding only the exported policy.onnx, with these metadata_props. */
function exported(name: string, entries = mjlabEntries(go1VelocityMetadata()), inDim = velocityObsWidth(12), outDim = 12): string {
  const dir = join(root, name);
  mkdirSync(dir);
  exportedPolicyOnnx(join(dir, 'policy.onnx'), { inDim, outDim }, entries);
  return dir;
}

describe('axon inspect on an mjlab export', () => {
  it('writes a complete manifest from its metadata, which inspect --urdf accepts and sim runs (exit 0)', () => {
    const dir = exported('go1');
    // The URDF lists the legs FL, FR, RL, RR; mjlab's go1.xml (and so the file) FR, FL, RR, RL.
    const urdfJoints = parseUrdf(vendorQuadrupedUrdf(), { source: urdf }).joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
    expect(urdfJoints.slice(0, 4)).toEqual(['FL_hip_joint', 'FL_thigh_joint', 'FL_calf_joint', 'FR_hip_joint']);
    expect(GO1_JOINTS.slice(0, 4)).toEqual(['FR_hip_joint', 'FR_thigh_joint', 'FR_calf_joint', 'FL_hip_joint']);

    const draft = axon('inspect', join(dir, 'policy.onnx'), '--draft', join(dir, 'manifest.json'), '--json');
    expect(draft.code, draft.stderr).toBe(0);
    const summary = JSON.parse(draft.lastLine);
    expect(summary.metadata.source).toBe('mjlab');
    expect(summary.complete).toBe(true);
    expect(summary.unfilled.map((u: string) => u.split(':')[0])).toEqual(['control_hz', 'robot', 'command_ranges', 'actuators', 'imu_link', 'noise', 'observation delay', 'action.clip', 'use_default_offset']);
    expect(summary.notes.find((n: string) => n.startsWith('joint_pos:'))).toContain('by its key name');
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.joints).toEqual(GO1_JOINTS);
    expect(m.observation.terms.map((t: { term: string }) => t.term)).toEqual(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'joint_pos_rel', 'joint_vel', 'last_action', 'velocity_commands']);
    expect(m.pd.kp[2]).toBe(35.764);
    expect(m.onnx).toEqual({ file: 'policy.onnx', input: 'obs', output: 'actions' });

    const text = axon('inspect', join(dir, 'policy.onnx'), '--draft', join(dir, 'manifest.json'));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("metadata_props (12): run_path, joint_names, joint_stiffness, joint_damping, default_joint_pos, command_names, observation_names, observation_terms_scale, observation_terms_flatten_history_dim, observation_terms_history_length, observation_terms_clip, action_scale — mjlab's");
    expect(text.stdout).toContain('12 joints, 7 observation terms');
    expect(text.stdout).toContain("  not in the file: control_hz: 50 Hz written: mjlab's velocity and tracking tasks step MuJoCo at 0.005 s with decimation 4");
    expect(text.stdout).toContain('  not in the file: use_default_offset: true assumed');
    expect(text.stdout).toContain('  note: joint_pos: read as joint_pos_rel');

    const check = axon('inspect', dir, '--urdf', urdf);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PD gains for position actions: from the manifest (pd)');
    expect(check.stdout).toContain('FR_calf_joint: [-2.7227, -0.8378] effort 35.55 velocity 20.07, default -1.8, kp 35.764 kd 2.277');

    const run = axon('sim', '--urdf', urdf, '--policy', dir, '--duration', '1', '--fast', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.lastLine)).toMatchObject({ ticks: 50, policy: dir, robot_setup: { gains: 'manifest' } });
  });

  it('an ONNX file without metadata keeps the draft to fill in', () => {
    const dir = exported('bare', [], 10, 3);
    const r = axon('inspect', join(dir, 'policy.onnx'), '--draft', join(dir, 'manifest.json'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.lastLine);
    expect(summary.metadata).toBeNull();
    expect(summary.complete).toBeUndefined();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(m.joints).toEqual(['TODO_joint_0', 'TODO_joint_1', 'TODO_joint_2']);
    expect(m.robot).toBe('TODO: robot name');
  });

  it('a file onnxruntime loads but whose metadata_props axon cannot read (a protobuf group field): listed without --draft with a note (exit 0), refused with it (exit 2)', () => {
    const dir = exported('group-field');
    // Field 99 as an empty group (wire types 3 and 4): protobuf skips it, axon's reader does not take it.
    const onnx = join(dir, 'policy.onnx');
    appendFileSync(onnx, Uint8Array.from([0x9b, 0x06, 0x9c, 0x06]));
    const r = axon('inspect', onnx);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  input  obs float32 [1, 48]');
    expect(r.stdout).toContain(`note: metadata_props not read: ${onnx}: has wire type 3 at byte `);
    const j = axon('inspect', onnx, '--json');
    expect(j.code, j.stderr).toBe(0);
    const summary = JSON.parse(j.lastLine);
    expect(summary.metadata).toBeNull();
    expect(summary.notes).toEqual([expect.stringMatching(/^metadata_props not read: .*has wire type 3/)]);
    // With --draft the manifest depends on it: refused, no file written.
    const d = axon('inspect', onnx, '--draft', join(dir, 'manifest.json'));
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('[ONNX_READ]');
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
  });

  it('malformed metadata is refused naming the key (exit 2), and no manifest is written', () => {
    const entries = mjlabEntries(go1VelocityMetadata({ joint_damping: [0.5, 0.5, 0.5] }));
    const dir = exported('short', entries);
    const r = axon('inspect', join(dir, 'policy.onnx'), '--draft', join(dir, 'manifest.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('axon: error [ONNX_METADATA]: policy.onnx metadata_props["joint_damping"]: has 3 values for 12 joint_names');
    expect(() => readFileSync(join(dir, 'manifest.json'))).toThrow();
  });

  it('a motion-tracking export is refused naming the term it cannot compute (exit 2)', () => {
    const names = ['command', 'motion_anchor_pos_b', 'motion_anchor_ori_b', 'base_lin_vel', 'base_ang_vel', 'joint_pos', 'joint_vel', 'actions'];
    const meta = go1VelocityMetadata({
      command_names: ['motion'],
      observation_names: names,
      observation_terms_scale: names.map(() => 1),
      observation_terms_flatten_history_dim: names.map(() => true),
      observation_terms_history_length: names.map(() => 0),
      observation_terms_clip: names.map(() => [-Infinity, Infinity]),
    });
    const dir = exported('tracking', [...mjlabEntries(meta), { key: 'anchor_body_name', value: 'torso_link' }]);
    const r = axon('inspect', join(dir, 'policy.onnx'), '--draft', join(dir, 'manifest.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[ONNX_METADATA_TERM]: policy.onnx metadata_props["observation_names"][0]: is "command" and command_names holds "motion"');
  });
});
