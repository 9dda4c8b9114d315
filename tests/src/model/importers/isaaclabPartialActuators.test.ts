/**
 * from-isaaclab (review R31 F2-F4): a group history not flattened per term, and actuator groups
 * where one group leaves a gain or velocity_limit_sim null while the others set theirs. Isaac Lab
 * takes a null one from the articulation (the USD): for a robot spawned from a URDF, its gains are
 * the converter's scene.robot.spawn.joint_drive.gains and its velocity limit the URDF's <limit
 * velocity>. Before, one null group dropped every group's trained gains (the sim then stiffened the
 * legs 3.4x) or velocity limits without an error.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';
import { manifestFromIsaacLab } from '../../../../src/model/importers/isaaclab.ts';
import { AxonError } from '../../../../src/core/errors.ts';
import { axon } from '../../../helpers/cli.ts';

/** PhysX's articulation order (breadth first). */
const JOINTS = ['l_hip_joint', 'r_hip_joint', 'waist_yaw_joint', 'l_knee_joint', 'r_knee_joint', 'l_shoulder_joint', 'l_ankle_joint', 'r_ankle_joint', 'l_elbow_joint'];
const at = (j: string) => JOINTS.indexOf(j);

interface Variant {
  /** observations.policy.flatten_history_dim (the group's history_length is 5). */
  flatten?: boolean;
  /** The arms group's stiffness and damping ({...} dicts by default). */
  armGains?: 'null';
  /** scene.robot.spawn: from a URDF with joint_drive gains 0/0 (unitree_rl_lab's UnitreeUrdfFileCfg), or from a USD. */
  spawn?: 'urdf' | 'usd';
  /** The feet group's velocity_limit_sim (null: the USD's); every group's with 'all-null'. */
  feetVelocity?: 'null' | 'all-null';
}

/** An Isaac Lab dump_yaml env.yaml: Python tuples, regex-keyed groups, per-joint dicts, effort_limit beside effort_limit_sim, a critic group. */
function envYaml(v: Variant = {}): string {
  const spawn =
    v.spawn === 'usd'
      ? ['    spawn:', '      func: isaaclab.sim.spawners.from_files.from_files:spawn_from_usd', '      usd_path: /home/user/mini.usd', '      joint_drive_props: null']
      : ['    spawn:', '      func: isaaclab.sim.converters.urdf_converter:spawn_from_urdf', '      asset_path: /home/user/mini.urdf', '      fix_base: false', '      joint_drive:', '        drive_type: force', '        target_type: position', '        gains:', '          stiffness: 0', '          damping: 0'];
  const feetVel = v.feetVelocity === undefined ? '37.0' : 'null';
  const vel = (x: string) => (v.feetVelocity === 'all-null' ? 'null' : x);
  const armKp = v.armGains === 'null' ? 'null' : "{l_shoulder_joint: 60.0, l_elbow_joint: 30.0}";
  const armKd = v.armGains === 'null' ? 'null' : "{l_shoulder_joint: 1.5, l_elbow_joint: 1.0}";
  return [
    'viewer: {eye: !!python/tuple [7.5, 7.5, 7.5], origin_type: world}',
    'sim:',
    '  dt: 0.005',
    '  render_interval: 4',
    '  gravity: !!python/tuple [0.0, 0.0, -9.81]',
    '  physx: {solver_type: 1, gpu_max_rigid_patch_count: 327680}',
    'decimation: 4',
    'scene:',
    '  num_envs: 4096',
    '  robot:',
    '    class_type: isaaclab.assets.articulation.articulation:Articulation',
    '    prim_path: /World/envs/env_.*/Robot',
    ...spawn,
    '    init_state:',
    '      pos: !!python/tuple [0.0, 0.0, 0.8]',
    '      joint_pos: {.*_hip_joint: -0.1, .*_knee_joint: 0.3, .*_ankle_joint: -0.2, l_elbow_joint: 0.9}',
    '    actuators:',
    '      legs:',
    '        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator',
    "        joint_names_expr: ['.*_hip_joint', '.*_knee_joint']",
    '        effort_limit: null',
    '        effort_limit_sim: 88.0',
    `        velocity_limit_sim: ${vel('32.0')}`,
    "        stiffness: {'.*_hip_joint': 100.0, '.*_knee_joint': 150.0}",
    "        damping: {'.*_hip_joint': 2.0, '.*_knee_joint': 4.0}",
    '        armature: 0.01',
    '      feet:',
    '        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator',
    "        joint_names_expr: ['.*_ankle_joint']",
    '        effort_limit: 50.0',
    '        effort_limit_sim: null',
    '        velocity_limit: 37.0',
    `        velocity_limit_sim: ${feetVel}`,
    '        stiffness: 40.0',
    '        damping: 2.0',
    '        armature: 0.01',
    '      waist:',
    '        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator',
    "        joint_names_expr: ['waist_(yaw|roll)_joint']",
    '        effort_limit_sim: 88.0',
    `        velocity_limit_sim: ${vel('32.0')}`,
    '        stiffness: 200.0',
    '        damping: 5.0',
    '        armature: 0.01',
    '      arms:',
    '        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator',
    "        joint_names_expr: ['l_(shoulder|elbow)_joint']",
    '        effort_limit_sim: 25.0',
    `        velocity_limit_sim: ${vel('20.0')}`,
    `        stiffness: ${armKp}`,
    `        damping: ${armKd}`,
    '        armature: 0.01',
    'observations:',
    '  policy:',
    '    concatenate_terms: true',
    '    concatenate_dim: -1',
    '    enable_corruption: true',
    '    history_length: 5',
    `    flatten_history_dim: ${v.flatten === false ? 'false' : 'true'}`,
    '    base_ang_vel: {func: isaaclab.envs.mdp.observations:base_ang_vel, params: {}, modifiers: null, noise: null, clip: !!python/tuple [-100.0, 100.0], scale: 0.2, history_length: 0, flatten_history_dim: true}',
    '    projected_gravity: {func: isaaclab.envs.mdp.observations:projected_gravity, params: {}, modifiers: null, noise: null, clip: null, scale: null, history_length: 0, flatten_history_dim: true}',
    '    velocity_commands: {func: isaaclab.envs.mdp.observations:generated_commands, params: {command_name: base_velocity}, modifiers: null, noise: null, clip: null, scale: null, history_length: 0, flatten_history_dim: true}',
    '    joint_pos_rel: {func: isaaclab.envs.mdp.observations:joint_pos_rel, params: {}, modifiers: null, noise: null, clip: null, scale: null, history_length: 0, flatten_history_dim: true}',
    '    joint_vel_rel: {func: isaaclab.envs.mdp.observations:joint_vel_rel, params: {}, modifiers: null, noise: null, clip: null, scale: 0.05, history_length: 0, flatten_history_dim: true}',
    '    last_action: {func: isaaclab.envs.mdp.observations:last_action, params: {}, modifiers: null, noise: null, clip: null, scale: null, history_length: 0, flatten_history_dim: true}',
    '  critic:',
    '    concatenate_terms: true',
    '    base_lin_vel: {func: isaaclab.envs.mdp.observations:base_lin_vel, params: {}}',
    'actions:',
    '  JointPositionAction:',
    '    class_type: isaaclab.envs.mdp.actions.joint_actions:JointPositionAction',
    '    asset_name: robot',
    "    joint_names: ['.*']",
    '    scale: 0.25',
    '    offset: 0.0',
    '    preserve_order: false',
    '    use_default_offset: true',
    '    clip: null',
    'commands:',
    '  base_velocity:',
    '    class_type: isaaclab.envs.mdp.commands.velocity_command:UniformVelocityCommand',
    '    heading_command: false',
    '    ranges: {lin_vel_x: !!python/tuple [-0.5, 1.0], lin_vel_y: !!python/tuple [-0.3, 0.3], ang_vel_z: !!python/tuple [-1.0, 1.0], heading: null}',
    '',
  ].join('\n');
}

function imported(v: Variant, o: { urdfVelocityLimits?: ReadonlyMap<string, number> } = {}) {
  const notes: string[] = [];
  const cfg = parsePythonYaml(envYaml(v), 'env.yaml', 'a mapping').cfg;
  const m = manifestFromIsaacLab(cfg, { joints: JOINTS, name: 'mini', robot: 'mini', notes, ...o }, 'env.yaml');
  return { m, notes };
}

function importError(v: Variant): AxonError {
  try {
    imported(v);
  } catch (e) {
    return e as AxonError;
  }
  throw new Error('imported without an error');
}

describe('from-isaaclab: a group history with flatten_history_dim false (R31 F2)', () => {
  it('writes history_layout per_frame: Isaac Lab concatenates the (N, H, D_i) terms along the last dim, whole frames in a row', () => {
    const { m, notes } = imported({ flatten: false });
    expect(m.observation.history_layout).toBe('per_frame');
    expect(m.observation.terms.every((t) => t.history === 5)).toBe(true);
    expect(notes.join('\n')).toContain('observations.policy.flatten_history_dim: is false with history_length 5: Isaac Lab stacks the group as (N, 5, ΣD), whole frames oldest first, written as history_layout "per_frame"; its ONNX input may then be 3-D [1, 5, ΣD]');
    // flattened per term (the default): each term's history in a row
    expect(imported({}).m.observation.history_layout).toBe('per_term');
  });
});

describe('from-isaaclab: one actuator group without a gain (R31 F3)', () => {
  it("takes the gains of a URDF-spawned robot's joint_drive for the null group, and keeps every other group's trained ones", () => {
    const { m, notes } = imported({ armGains: 'null' });
    expect(m.pd).toBeDefined();
    const kp = m.pd!.kp, kd = m.pd!.kd;
    expect([kp[at('l_hip_joint')], kp[at('l_knee_joint')], kp[at('waist_yaw_joint')], kp[at('r_ankle_joint')]]).toEqual([100, 150, 200, 40]);
    expect([kd[at('l_hip_joint')], kd[at('l_knee_joint')], kd[at('waist_yaw_joint')], kd[at('r_ankle_joint')]]).toEqual([2, 4, 5, 2]);
    expect([kp[at('l_shoulder_joint')], kp[at('l_elbow_joint')], kd[at('l_shoulder_joint')], kd[at('l_elbow_joint')]]).toEqual([0, 0, 0, 0]);
    expect(notes.join('\n')).toContain('env.yaml: scene.robot.spawn.joint_drive.gains.stiffness: taken for l_shoulder_joint, l_elbow_joint');
  });

  it('refuses a null group of a robot spawned from a USD (its gains are not in env.yaml), naming the group, its joints and what to give', () => {
    const e = importError({ armGains: 'null', spawn: 'usd' });
    expect(e.code).toBe('IMPORT_CONFIG');
    expect(e.message).toContain('env.yaml: scene.robot.actuators.arms.stiffness/damping: gives no gain for l_shoulder_joint, l_elbow_joint while 7 other action joints have theirs');
    expect(e.message).toContain("(expected the gains those joints trained with, as numbers in their actuator group's stiffness and damping");
    // every gain given: the USD spawn does not matter
    expect(imported({ spawn: 'usd' }).m.pd!.kp[at('l_elbow_joint')]).toBe(30);
  });
});

describe('from-isaaclab: one actuator group without velocity_limit_sim (R31 F4)', () => {
  it("writes every group's trained velocity limit and the URDF's for the null group's joints (what Isaac Lab took from the USD)", () => {
    const urdf = new Map([...JOINTS.map((j) => [j, 30] as [string, number]), ['l_ankle_joint', 25], ['r_ankle_joint', 26]]);
    const { m, notes } = imported({ feetVelocity: 'null' }, { urdfVelocityLimits: urdf });
    const v = m.actuators?.velocity_limit as number[];
    expect(v).toHaveLength(JOINTS.length);
    expect([v[at('waist_yaw_joint')], v[at('l_hip_joint')], v[at('l_elbow_joint')], v[at('l_ankle_joint')], v[at('r_ankle_joint')]]).toEqual([32, 32, 20, 25, 26]);
    expect(notes.join('\n')).toContain("scene.robot.actuators.feet.velocity_limit_sim: null or not given for l_ankle_joint, r_ankle_joint: the URDF's velocity limit is written for them");
  });

  it('without the URDF refuses rather than drop the known ones, naming the group and --urdf; with none set, writes none (the URDF is used)', () => {
    const e = importError({ feetVelocity: 'null' });
    expect(e.code).toBe('IMPORT_CONFIG');
    expect(e.message).toContain('env.yaml: scene.robot.actuators.feet.velocity_limit_sim: is null or not given for l_ankle_joint, r_ankle_joint while other groups set theirs');
    expect(e.message).toContain('(expected --urdf');
    const none = imported({ feetVelocity: 'all-null' });
    expect(none.m.actuators?.velocity_limit).toBeUndefined();
    expect(none.m.pd!.kp[at('l_knee_joint')]).toBe(150);
  });

  it('axon manifest from-isaaclab --urdf reads the limits from the URDF for it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-isaaclab-vel-'));
    writeFileSync(join(dir, 'env.yaml'), envYaml({ feetVelocity: 'null' }));
    const parent: Record<string, string> = { l_hip_joint: 'pelvis', r_hip_joint: 'pelvis', waist_yaw_joint: 'pelvis', l_knee_joint: 'l_hip', r_knee_joint: 'r_hip', l_shoulder_joint: 'waist_yaw', l_ankle_joint: 'l_knee', r_ankle_joint: 'r_knee', l_elbow_joint: 'l_shoulder' };
    const link = (n: string) => `<link name="${n}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
    const rev = (j: string) => `<joint name="${j}" type="revolute"><parent link="${parent[j]}"/><child link="${j.replace(/_joint$/, '')}"/><axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="50" velocity="${j.includes('ankle') ? 24 : 30}"/></joint>`;
    writeFileSync(join(dir, 'mini.urdf'), `<?xml version="1.0"?>\n<robot name="mini">${link('pelvis')}${JOINTS.map((j) => link(j.replace(/_joint$/, '')) + rev(j)).join('\n')}</robot>\n`);
    const r = axon('manifest', 'from-isaaclab', join(dir, 'env.yaml'), '--joints', JOINTS.join(','), '--urdf', join(dir, 'mini.urdf'), '--out', join(dir, 'manifest.json'));
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).actuators.velocity_limit;
    expect([v[at('l_ankle_joint')], v[at('r_ankle_joint')], v[at('waist_yaw_joint')], v[at('l_elbow_joint')]]).toEqual([24, 24, 32, 20]);
    const without = axon('manifest', 'from-isaaclab', join(dir, 'env.yaml'), '--joints', JOINTS.join(','));
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('axon: error [IMPORT_CONFIG]: env.yaml: scene.robot.actuators.feet.velocity_limit_sim');
  });
});
