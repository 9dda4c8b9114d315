import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestFromDeploy, parseDeployYaml, type DeployImportOptions } from '../../../../src/model/importers/deploy.ts';
import { ImportError } from '../../../../src/model/importers/common.ts';
import { observationSize } from '../../../../src/model/manifest.ts';
import { parseUrdf } from '../../../../sim/urdf/parseUrdf.ts';
import { ActionMapper } from '../../../../src/model/ActionMapper.ts';
import { joint, spec } from '../../../helpers/fakes.ts';
import { JOINT_IDS_MAP, VENDOR_MODEL_JOINTS, VENDOR_SDK_JOINTS } from '../../../helpers/vendorJoints.ts';
import { writeVendorDeploy, writeVendorUrdf, type VendorDeployOptions } from '../../../helpers/vendorDeploy.ts';

const opts: DeployImportOptions = { sdkJoints: VENDOR_SDK_JOINTS, sdkSource: '--sdk-joints', name: 'g1-walk', robot: 'vendor_humanoid', onnx: { file: 'policy.onnx', input: 'obs', output: 'actions' } };

function load(o: VendorDeployOptions = {}) {
  const d = writeVendorDeploy(mkdtempSync(join(tmpdir(), 'axon-deploy-')), o);
  return { d, ...parseDeployYaml(readFileSync(d.path, 'utf8'), 'deploy.yaml') };
}

describe('manifest from a deploy.yaml (unitree_rl_lab export)', () => {
  it('matches the file value by value: model joint order, kp/kd permuted from SDK order, defaults, scales, history, clip, command ranges', () => {
    const { d, cfg } = load();
    const { manifest: m, notes } = manifestFromDeploy(cfg, opts);
    expect(m.joints).toEqual(VENDOR_MODEL_JOINTS);
    expect(m.joints.slice(0, 3)).toEqual(['left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint']);
    expect(m.control_hz).toBe(50);
    expect(m.default_joint_pos).toEqual(d.defaultJointPos);
    expect(m.default_joint_pos![m.joints.indexOf('left_knee_joint')]).toBe(0.669);
    expect(m.default_joint_pos![m.joints.indexOf('right_hip_pitch_joint')]).toBe(-0.312);
    // stiffness/damping are in SDK order in the file: model joint i takes motor JOINT_IDS_MAP[i]
    for (const [i, j] of m.joints.entries()) {
      const s = VENDOR_SDK_JOINTS.indexOf(j);
      expect(s).toBe(JOINT_IDS_MAP[i]);
      expect(m.pd!.kp[i]).toBe(d.stiffness[s]);
      expect(m.pd!.kd[i]).toBe(d.damping[s]);
    }
    const kp = (j: string) => m.pd!.kp[m.joints.indexOf(j)];
    expect([kp('waist_yaw_joint'), kp('left_knee_joint'), kp('right_hip_roll_joint'), kp('left_wrist_yaw_joint'), kp('right_ankle_roll_joint')]).toEqual([200, 200, 150, 20, 40]);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25 });
    expect(m.observation.history_layout).toBe('per_term');
    expect(m.observation.history_order).toBe('oldest_first');
    // unitree's controller fills each history with the term as its reset evaluates it.
    expect(m.observation.history_fill).toBe('reset');
    expect(m.observation.terms).toEqual([
      { term: 'base_ang_vel', scale: 0.2, history: 5 },
      { term: 'projected_gravity', scale: 1, history: 5 },
      { term: 'velocity_commands', scale: 1, history: 5 },
      { term: 'joint_pos_rel', scale: 1, history: 5 },
      { term: 'joint_vel_rel', scale: 0.05, history: 5 },
      { term: 'last_action', scale: 1, history: 5 },
    ]);
    expect(observationSize(m)).toBe(480);
    expect(observationSize(m)).toBe(d.obsSize);
    expect(m.command_ranges).toEqual(d.commandRanges);
    // heading (a tuple) and joint_names are said, not silently dropped
    expect(notes.join('\n')).toMatch(/ranges\.heading: ignored/);
    expect(notes.join('\n')).toMatch(/joint_names: informational/);
  });

  it('reads Python tags: tuples as lists, objects as their mapping, a slice as "all joints", callables as null', () => {
    const { cfg, notes } = parseDeployYaml(
      [
        'a: !!python/tuple [-1.0, 1.0]',
        'b: !!python/tuple',
        '- 2',
        '- 3',
        'c: !!python/object:isaaclab.managers.SceneEntityCfg {name: robot, joint_ids: !!python/object/apply:builtins.slice [null, null, null]}',
        "d: !!python/name:isaaclab.envs.mdp.observations.base_ang_vel ''",
        'e: !!python/object/new:foo.Bar {x: 1}',
      ].join('\n'),
    );
    expect(cfg).toEqual({ a: [-1, 1], b: [2, 3], c: { name: 'robot', joint_ids: [null, null, null] }, d: null, e: { x: 1 } });
    expect(notes[0]).toMatch(/!!python\/object/);
    expect(notes[0]).toMatch(/!!python\/name/);
    // the fixture's own tags (a tuple range, a SceneEntityCfg with a slice) import
    const { cfg: full, notes: fileNotes } = load();
    expect((full.commands as any).base_velocity.ranges.lin_vel_y).toEqual([-0.3, 0.3]);
    expect(fileNotes.join()).toMatch(/!!python\/object/);
    expect(manifestFromDeploy(full, opts).manifest.command_ranges!.lin_vel_y).toEqual([-0.3, 0.3]);
    expect(() => parseDeployYaml('a: [1, 2', 'bad.yaml')).toThrow(/bad\.yaml: is not valid YAML/);
  });

  it('takes the SDK order from a URDF: actuated joints in document order, fixed joints skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-urdf-'));
    const model = parseUrdf(readFileSync(writeVendorUrdf(join(dir, 'robot.urdf')), 'utf8'));
    const names = model.joints.filter((j) => j.type !== 'fixed').map((j) => j.name);
    expect(names).toEqual(VENDOR_SDK_JOINTS);
    expect(model.joints.length).toBeGreaterThan(names.length);
  });

  it('refuses an SDK list whose count differs from joint_ids_map, naming both counts', () => {
    const { cfg } = load();
    expect(() => manifestFromDeploy(cfg, { ...opts, sdkJoints: VENDOR_SDK_JOINTS.slice(0, 28), sdkSource: '--urdf g1.urdf' })).toThrow(
      /--urdf g1\.urdf: names 28 SDK slots, but deploy\.yaml's joint_ids_map reaches motor 28 and its stiffness has 29 motor slots \(expected 29 joint names/,
    );
  });

  // A model variant on a robot with more motor slots than joints (Isaac Lab's joint_sdk_names has '' for them).
  const slotted = (ids: number[]) => ({
    joint_ids_map: ids,
    step_dt: 0.02,
    stiffness: [10, 20, 0, 30],
    damping: [1, 2, 0, 3],
    default_joint_pos: [0.1, 0.2, 0.3],
    actions: { JointPositionAction: { scale: [0.25, 0.25, 0.25], offset: [0.1, 0.2, 0.3], clip: null, joint_ids: null } },
    observations: { joint_pos_rel: { params: {}, clip: null, scale: [1, 1, 1], history_length: 1 } },
  });
  const slots = ['a', 'b', '', 'c'];

  it('keeps SDK slots without a joint, so that the motor indices after them hold', () => {
    const { manifest, notes } = manifestFromDeploy(slotted([0, 3, 1]), { ...opts, sdkJoints: slots });
    expect(manifest.joints).toEqual(['a', 'c', 'b']);
    expect(manifest.pd).toEqual({ kp: [10, 30, 20], kd: [1, 3, 2] });
    expect(notes).toContain('--sdk-joints: 1 SDK slot(s) no model joint maps to (slot 2 (no joint)): not driven by the policy');
    // the same list with the empty slot dropped would shift motor 3 onto nothing
    expect(() => manifestFromDeploy(slotted([0, 3, 1]), { ...opts, sdkJoints: ['a', 'b', 'c'] })).toThrow(/names 3 SDK slots, but deploy\.yaml's joint_ids_map reaches motor 3/);
  });

  it('refuses a joint mapped to a slot without a joint name', () => {
    expect(() => manifestFromDeploy(slotted([0, 2, 1]), { ...opts, sdkJoints: slots })).toThrow(
      "deploy.yaml: joint_ids_map[1]: is motor 2, a slot --sdk-joints leaves without a joint name (expected a motor slot with a joint name)",
    );
  });

  it('refuses gains that are not one value per motor slot, before asking for other joint names', () => {
    // unitree_rl_lab's g1_23dof velocity/v0 deploy.yaml: 23 gains, motors up to 26
    const cfg = { ...slotted([0, 3, 1]), stiffness: [10, 20, 30], damping: [1, 2, 3] };
    for (const sdkJoints of [slots, ['a', 'b', 'c'], ['a', 'b', 'x', 'c', 'd', 'e']])
      expect(() => manifestFromDeploy(cfg, { ...opts, sdkJoints })).toThrow(
        /^deploy\.yaml: stiffness: has 3 values but joint_ids_map\[1\] is motor 3: the lists are not one value per SDK \(motor\) slot/,
      );
    // without gains, the robot's own are used and any SDK list reaching motor 3 will do
    const { stiffness: _s, damping: _d, ...noGains } = cfg;
    expect(manifestFromDeploy(noGains, { ...opts, sdkJoints: ['a', 'b', 'x', 'c', 'd', 'e'] }).manifest.joints).toEqual(['a', 'c', 'b']);
  });

  it('refuses a term whose settings are nested under it (a fork\'s layout), instead of reading scale 1 and no history', () => {
    const cfg = slotted([0, 3, 1]);
    cfg.observations = { joint_pos_rel: { use_gym_history: true, joint_pos_rel: { scale: 0.5, history_length: 6 } } } as never;
    expect(() => manifestFromDeploy(cfg, { ...opts, sdkJoints: slots })).toThrow(/deploy\.yaml: observations\.joint_pos_rel\.joint_pos_rel: is a mapping inside the term/);
    // A mapping that holds no term settings (a fork's noise settings) is only noted.
    cfg.observations = { joint_pos_rel: { params: {}, clip: null, scale: [1, 1, 1], history_length: 1, noise: { std: 0.01 } } } as never;
    expect(manifestFromDeploy(cfg, { ...opts, sdkJoints: slots }).notes).toContain('deploy.yaml: observations.joint_pos_rel.noise: ignored');
  });

  it("reads the group switches newer unitree_rl_lab controllers keep beside the terms: use_gym_history (frames interleaved) and scale_first (clip the scaled value)", () => {
    const gym: [string, string][] = [
      ['observations:\n', 'observations:\n  use_gym_history: true\n  scale_first: true\n'],
      ['  joint_vel_rel:\n    params: {}\n    clip: null', '  joint_vel_rel:\n    params: {}\n    clip: [-5.0, 5.0]'],
    ];
    const { cfg } = load({ edits: gym });
    const { manifest: m, notes } = manifestFromDeploy(cfg, opts);
    expect(m.observation.history_layout).toBe('per_frame');
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos_rel', 'joint_vel_rel', 'last_action']);
    // scale then clip: the bound is on the scaled value as written (clip-first would have made it 5 · 0.05 = 0.25)
    expect(m.observation.terms[4]).toMatchObject({ term: 'joint_vel_rel', scale: 0.05, clip: 5 });
    expect(notes).toContain('deploy.yaml: observations.use_gym_history: true: the 5 frames interleaved across terms, oldest first (history_layout "per_frame")');
    // without the switches: per term, and Isaac Lab's clip before scale
    const plain = manifestFromDeploy(load({ edits: gym.slice(1) }).cfg, opts).manifest;
    expect(plain.observation.history_layout).toBe('per_term');
    expect(plain.observation.terms[4]).toMatchObject({ term: 'joint_vel_rel', clip: 0.25 });
    // the controller interleaves the first term's history length for every term: a shorter one is refused
    const uneven = load({ edits: [gym[0]] });
    const lastAction = uneven.cfg.observations as Record<string, Record<string, unknown>>;
    lastAction.last_action.history_length = 1;
    expect(() => manifestFromDeploy(uneven.cfg, opts)).toThrow(/^deploy\.yaml: observations\.last_action\.history_length: is 1 beside use_gym_history: true \(expected 5, the first term's/);
    // the multi-input layout: one group of terms per ONNX input
    const grouped = load();
    grouped.cfg.observations = { policy: { use_gym_history: true, ...(grouped.cfg.observations as object) } } as never;
    expect(() => manifestFromDeploy(grouped.cfg, opts)).toThrow(/^deploy\.yaml: observations\.policy: is a group of terms/);
    const notBool = load({ edits: [['observations:\n', 'observations:\n  use_gym_history: "yes"\n']] });
    expect(() => manifestFromDeploy(notBool.cfg, opts)).toThrow(/^deploy\.yaml: observations\.use_gym_history: is "yes" \(expected true or false\)/);
  });

  it('reads base_lin_vel at the centre of mass, as Isaac Lab trained it (root_lin_vel_b)', () => {
    const { cfg } = load({ edits: [['observations:\n', 'observations:\n  base_lin_vel:\n    params: {}\n    clip: null\n    scale: [2.0, 2.0, 2.0]\n    history_length: 1\n']] });
    const { manifest: m } = manifestFromDeploy(cfg, opts);
    expect(m.observation.terms[0]).toEqual({ term: 'base_lin_vel', scale: 2, point: 'com' });
    expect(m.observation.terms.slice(1).every((t) => t.point === undefined)).toBe(true);
  });

  it('refuses a term axon cannot compute, naming it', () => {
    const { cfg } = load({ edits: [['observations:\n', 'observations:\n  height_scan:\n    params: {sensor_cfg: {name: height_scanner}}\n    clip: [-1.0, 1.0]\n    scale: [1.0]\n    history_length: 1\n']] });
    const e = (() => {
      try {
        manifestFromDeploy(cfg, opts);
      } catch (err) {
        return err as ImportError;
      }
    })();
    expect(e).toBeInstanceOf(ImportError);
    expect(e!.code).toBe('IMPORT_CONFIG');
    expect(e!.message).toMatch(/observations\.height_scan: is a term axon cannot compute/);
  });

  it('reads unitree_rl_lab\'s gait_phase term (sin, cos) with its period, as its exporter writes it; a period missing is named', () => {
    const term = (params: string) => [['  last_action:', `  gait_phase:\n    params: ${params}\n    clip: null\n    scale: [1.0, 1.0]\n    history_length: 1\n  last_action:`]] as [string, string][];
    const { manifest: m, notes } = manifestFromDeploy(load({ edits: term('{period: 0.6}') }).cfg, opts);
    const i = m.observation.terms.findIndex((t) => t.term === 'gait_phase');
    // The C++ controller's first step reads k = 2; no standing gate without an mjlab export (unitree_rl_lab's controller has none).
    expect(m.observation.terms[i]).toEqual({ term: 'gait_phase', scale: 1, period: 0.6, count_from: 2 });
    expect(notes).toContain('deploy.yaml: observations.gait_phase: written without a standing gate, as unitree_rl_lab\'s controller reads it; unitree_rl_mjlab\'s controller (and its training\'s phase term) reads 0 while ‖command‖ < 0.1: for a policy it trained, whose ONNX carries mjlab\'s metadata_props (this one does not), set the term\'s "stand_below": 0.1');
    expect(m.observation.terms[i + 1].term).toBe('last_action'); // in the file's order
    expect(observationSize(m)).toBe(482);
    expect(() => manifestFromDeploy(load({ edits: term('{}') }).cfg, opts)).toThrow("deploy.yaml: observations.gait_phase.params.period: is missing (expected the gait cycle in seconds (mdp.gait_phase's period))");
    expect(() => manifestFromDeploy(load({ edits: term('{period: -1}') }).cfg, opts)).toThrow('observations.gait_phase.params.period: is -1 (expected the gait cycle in seconds, > 0)');
  });

  it('names booster_gym\'s deploy config as such, instead of saying joint_ids_map is missing', () => {
    // As booster_gym's deploy/configs/T1.yaml lays it out: lists over several lines, three sections.
    const text = 'common:\n  dt: 0.002\n  stiffness: [\n    20, 20,\n    200, 200\n  ]\n  damping: [0.2, 0.2, 5, 5]\n  default_qpos: [\n    0, 0,\n    -0.2, 0\n  ]\n\npolicy:\n  policy_path: "./models/T1.pt"\n  num_actions: 12\n  num_observations: 47\n  num_stack: 50\n  gait_frequency: 1\n  control:\n    action_scale: 1.\n    decimation: 10\n\nmech:\n  parallel_mech_indexes: [15, 16, 21, 22]\n';
    const { cfg } = parseDeployYaml(text, 'T1.yaml');
    expect(() => manifestFromDeploy(cfg, opts, 'T1.yaml')).toThrow(/^T1\.yaml: is booster_gym's deploy config \(common\.stiffness, common\.default_qpos, policy\.num_observations, policy\.gait_frequency, \.\.\.\), not a deploy\.yaml: .* \(expected unitree_rl_lab's deploy\.yaml/);
  });

  it('says why booster_gym\'s observation has no manifest: a clock on the message count, a lagging schedule, a rate-limited command', () => {
    // Without num_stack, as BoosterRobotics' own copies write it: gait_frequency alone names the format.
    const text = 'common:\n  dt: 0.002\n  default_qpos: [\n    0, 0,\n    -0.2, 0\n  ]\n\npolicy:\n  num_actions: 12\n  num_observations: 47\n  gait_frequency: 1\n  normalization:\n    dof_vel: 0.1\n    clip_actions: 1.\n  control:\n    action_scale: 1.\n    decimation: 10\n';
    const { cfg } = parseDeployYaml(text, 'T1.yaml');
    const thrown = (() => {
      try {
        manifestFromDeploy(cfg, opts, 'T1.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(thrown).toMatch(/no manifest reproduces it/);
    expect(thrown).toMatch(/low-state message count × common\.dt, so its phase depends on when the gait is started and often lags a message from deploy\.py's float schedule/);
    expect(thrown).toMatch(/zero while the command, rate-limited by policy_interval a step, is below 1e-5, reading phase 0 on the first step after/);
  });

  it('names missing and malformed fields', () => {
    expect(() => manifestFromDeploy(load({ edits: [[/^step_dt: .*\n/m, '']] }).cfg, opts)).toThrow(/deploy\.yaml: step_dt: is missing/);
    expect(() => manifestFromDeploy(load({ edits: [[/^default_joint_pos: \[-0\.312, /m, 'default_joint_pos: [']] }).cfg, opts)).toThrow(/default_joint_pos: has 28 values but joint_ids_map has 29/);
    expect(() => manifestFromDeploy(load({ edits: [[/^stiffness: \[100\.0, /m, 'stiffness: [']] }).cfg, opts)).toThrow(/stiffness: has 28 values/);
    expect(() => manifestFromDeploy(load({ edits: [['joint_ids_map: [0, 6,', 'joint_ids_map: [0, 0,']] }).cfg, opts)).toThrow(/joint_ids_map\[1\]: motor 0 is mapped twice/);
  });

  it('maps the action offset honestly: default pose -> relative, zeros -> absolute, anything else refused', () => {
    const { cfg } = load();
    const act = (cfg.actions as any).JointPositionAction;
    act.offset = new Array(29).fill(0);
    const abs = manifestFromDeploy(cfg, opts);
    expect(abs.manifest.action.type).toBe('joint_position_abs');
    expect(abs.notes.join()).toMatch(/offset: all 0/);
    act.offset = [...(cfg.default_joint_pos as number[])];
    act.offset[3] = 0.5;
    expect(() => manifestFromDeploy(cfg, opts)).toThrow(/actions\.JointPositionAction\.offset\[3\]: is 0.5 for left_hip_roll_joint but default_joint_pos gives 0/);
  });

  it('turns clips into axon terms: observation clip before scale becomes a clip after scale; per-joint target clips into one raw bound when they are one, else target bounds', () => {
    const { cfg } = load();
    const obs = cfg.observations as any;
    obs.base_ang_vel.clip = [-100, 100];
    expect(manifestFromDeploy(cfg, opts).manifest.observation.terms[0]).toEqual({ term: 'base_ang_vel', scale: 0.2, clip: 20, history: 5 });
    obs.base_ang_vel.clip = [-1, 2];
    expect(() => manifestFromDeploy(cfg, opts)).toThrow(/observations\.base_ang_vel\.clip: is \[-1, 2\]/);
    obs.base_ang_vel.clip = null;
    const act = (cfg.actions as any).JointPositionAction;
    const def = cfg.default_joint_pos as number[];
    act.clip = def.map((q) => [q - 0.25 * 4, q + 0.25 * 4]); // raw action within ±4
    expect(manifestFromDeploy(cfg, opts).manifest.action.clip).toBe(4);
    expect(manifestFromDeploy(cfg, opts).manifest.observation.terms.find((t) => t.term === 'last_action')!.before_clip).toBe(true);
    // The same joint bounds for every joint around different defaults are no one raw bound
    // (ElianoMarques/rl_g1_2026 params/deploy.yaml @ c06a136: 23 × [-1.0, 1.0]): kept as target bounds.
    act.clip = def.map(() => [-1, 1]);
    const { manifest: m, notes } = manifestFromDeploy(cfg, opts);
    expect(m.action.clip).toBeUndefined();
    expect(m.action.target_clip).toEqual(def.map(() => [-1, 1]));
    expect(m.observation.terms.find((t) => t.term === 'last_action')!.before_clip).toBeUndefined();
    expect(notes).toContain("deploy.yaml: actions.JointPositionAction.clip: bounds each joint's target, not one raw bound for every joint: written as action.target_clip (axon clamps the command after scale and offset, as Isaac Lab does)");
  });

  it("keeps unitree_rl_lab's Go2 clip of ±100 rad around the default pose as target bounds, which the mapper applies after scale and offset", () => {
    // The exporter's layout for the vendor's Go2 velocity task (unitreerobotics/unitree_rl_lab
    // tasks/locomotion/robots/go2/velocity_env_cfg.py @ 18b29ee: JointPositionActionCfg(scale=0.25,
    // use_default_offset=True, clip={".*": (-100.0, 100.0)})), as in PMY9527/unitree_rl_lab
    // deploy/robots/go2/config/policy/velocity/v0/params/deploy.yaml @ c48126d (its fork-only
    // keyboard_velocity_commands term written back as the vendor's velocity_commands). Raw bounds
    // (±100 − 0.1)/0.25 differ per joint, so this is no one raw clip; it was refused.
    const go2Sdk = ['FR', 'FL', 'RR', 'RL'].flatMap((l) => ['hip', 'thigh', 'calf'].map((j) => `${l}_${j}_joint`));
    const text = [
      'joint_ids_map: [3, 0, 9, 6, 4, 1, 10, 7, 5, 2, 11, 8]',
      'step_dt: 0.02',
      'stiffness: [25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0, 25.0]',
      'damping: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]',
      'default_joint_pos: [0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5]',
      'commands:',
      '  base_velocity:',
      '    ranges:',
      '      lin_vel_x: [-1.0, 1.0]',
      '      lin_vel_y: [-0.4, 0.4]',
      '      ang_vel_z: [-1.0, 1.0]',
      '      heading: null',
      'actions:',
      '  JointPositionAction:',
      '    clip:',
      ...Array.from({ length: 12 }, () => '    - [-100.0, 100.0]'),
      '    joint_names: [.*]',
      '    scale: [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]',
      '    offset: [0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5]',
      '    joint_ids: null',
      'observations:',
      ...['base_ang_vel: 0.2', 'projected_gravity: 1.0', 'velocity_commands: 1.0'].flatMap((t) => {
        const [k, sc] = t.split(': ');
        return [`  ${k}:`, `    params: {${k === 'velocity_commands' ? 'command_name: base_velocity' : ''}}`, '    clip: [-100, 100]', `    scale: [${[sc, sc, sc].join(', ')}]`, '    history_length: 1'];
      }),
      ...['joint_pos_rel: 1.0', 'joint_vel_rel: 0.05', 'last_action: 1.0'].flatMap((t) => {
        const [k, sc] = t.split(': ');
        return [`  ${k}:`, '    params: {}', '    clip: [-100, 100]', `    scale: [${Array(12).fill(sc).join(', ')}]`, '    history_length: 1'];
      }),
      '',
    ].join('\n');
    const { cfg } = parseDeployYaml(text, 'deploy.yaml');
    const m = manifestFromDeploy(cfg, { ...opts, sdkJoints: go2Sdk }).manifest;
    expect(m.joints.slice(0, 4)).toEqual(['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint']);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25, target_clip: Array.from({ length: 12 }, () => [-100, 100]) });
    expect(observationSize(m)).toBe(45);
    // A raw action of 1000 on FL_hip would be 0.1 + 250 rad: Isaac Lab clamps the target to 100; 2 gives 0.1 + 0.5.
    const mapper = new ActionMapper(m, spec(go2Sdk.map((n) => joint(n, { lower: -3, upper: 3 })), true));
    const cmd = { mode: 'position' as const, target: new Float64Array(12), kp: new Float64Array(12), kd: new Float64Array(12) };
    mapper.map(Float32Array.from([1000, 2, -1000, 0, 0, 0, 0, 0, 0, 0, 0, 0]), cmd);
    expect(cmd.target[go2Sdk.indexOf('FL_hip_joint')]).toBe(100);
    expect(cmd.target[go2Sdk.indexOf('FR_hip_joint')]).toBeCloseTo(-0.1 + 0.5, 6);
    expect(cmd.target[go2Sdk.indexOf('RL_hip_joint')]).toBe(-100);
    // last_action feeds back the raw action, as Isaac Lab's does (no raw clip in between).
    expect(mapper.feedback[0]).toBe(1000);
  });

  it('drives a subset when joint_ids is given, with kp/kd and scale in action order', () => {
    const { cfg } = load();
    const act = (cfg.actions as any).JointPositionAction;
    const idx = [0, 1, 3, 4, 6, 7, 9, 10, 13, 14, 17, 18]; // legs in model order
    act.joint_ids = idx;
    act.scale = idx.map(() => 0.5);
    act.offset = idx.map((i) => (cfg.default_joint_pos as number[])[i]);
    const obs = cfg.observations as any;
    expect(() => manifestFromDeploy(cfg, opts)).toThrow(/observations\.last_action\.scale: has 29 values \(expected 12/);
    obs.last_action.scale = idx.map(() => 1);
    const m = manifestFromDeploy(cfg, opts).manifest;
    expect(m.action.joints).toEqual(idx.map((i) => VENDOR_MODEL_JOINTS[i]));
    expect(m.pd!.kp).toEqual(idx.map((i) => (cfg.stiffness as number[])[JOINT_IDS_MAP[i]]));
    expect(observationSize(m)).toBe(480 - 5 * (29 - 12));
  });

  it('reads sim_dt/decimation when a fork adds them, and actuator limits in SDK order', () => {
    const { cfg } = load({ edits: [['step_dt: 0.02\n', 'step_dt: 0.02\nsim_dt: 0.005\n']] });
    expect(manifestFromDeploy(cfg, opts).manifest.decimation).toBe(4);
    cfg.decimation = 3;
    expect(() => manifestFromDeploy(cfg, opts)).toThrow(/decimation: is 3 but step_dt \/ sim_dt = 4/);
    delete cfg.decimation;
    cfg.effort_limit = VENDOR_SDK_JOINTS.map((j) => (/knee/.test(j) ? 139 : /wrist_(pitch|yaw)/.test(j) ? 5 : 88));
    cfg.armature = VENDOR_SDK_JOINTS.map(() => 0.01);
    const m = manifestFromDeploy(cfg, opts).manifest;
    expect(m.actuators!.armature).toBe(0.01);
    const effort = m.actuators!.effort_limit as number[];
    expect(effort[m.joints.indexOf('right_knee_joint')]).toBe(139);
    expect(effort[m.joints.indexOf('left_wrist_yaw_joint')]).toBe(5);
    expect(effort[m.joints.indexOf('waist_yaw_joint')]).toBe(88);
  });

  it('notes fields it does not map instead of dropping them silently', () => {
    const { cfg } = load({ edits: [['step_dt: 0.02\n', 'step_dt: 0.02\ngait_period: 0.8\n']] });
    expect(manifestFromDeploy(cfg, opts).notes).toContain('deploy.yaml: gait_period: ignored (not a field axon maps)');
  });

  it('on a robot whose joints are in SDK order, action i reaches motor joint_ids_map[i] with the file\'s own gains', () => {
    const { d, cfg } = load();
    const m = manifestFromDeploy(cfg, opts).manifest;
    const robot = spec(VENDOR_SDK_JOINTS.map((n) => joint(n, { lower: -3, upper: 3 })), true);
    const mapper = new ActionMapper(m, robot);
    const n = VENDOR_SDK_JOINTS.length;
    const cmd = { mode: 'position' as const, target: new Float64Array(n), kp: new Float64Array(n), kd: new Float64Array(n) };
    mapper.map(Float32Array.from({ length: n }, (_, i) => i), cmd); // action i = model index i
    for (const [i, s] of JOINT_IDS_MAP.entries()) expect(cmd.target[s]).toBeCloseTo(d.defaultJointPos[i] + 0.25 * i, 5);
    expect([...cmd.kp]).toEqual(d.stiffness); // SDK order in, SDK order out
    expect([...cmd.kd]).toEqual(d.damping);
  });
});
