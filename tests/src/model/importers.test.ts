import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { manifestFromIsaacLab } from '../../../src/model/importers/isaaclab.ts';
import { manifestFromLeggedGym } from '../../../src/model/importers/leggedGym.ts';
import { observationSize } from '../../../src/model/manifest.ts';
import { ImportError } from '../../../src/model/importers/common.ts';
import { parsePythonYaml } from '../../../src/model/importers/pythonYaml.ts';
import { parseDeployYaml } from '../../../src/model/importers/deploy.ts';

const joints = ['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint', 'FL_thigh_joint', 'FR_thigh_joint', 'RL_thigh_joint', 'RR_thigh_joint', 'FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];
const isaac = () => parse(readFileSync('tests/fixtures/isaaclab-env.yaml', 'utf8'));
const legged = () => parse(readFileSync('tests/fixtures/legged-gym-config.yaml', 'utf8'));
/** unitree_rl_gym's Go2 config as legged_gym's class_to_dict dumps it (every key, measure_heights true as its base config leaves it). */
const go2 = () => parse(readFileSync('tests/fixtures/legged-gym-go2-rough.yaml', 'utf8'));
/** The Go2's DOF order (its URDF's, which gym.get_asset_dof_names gives): leg by leg. */
const go2Joints = ['FL', 'FR', 'RL', 'RR'].flatMap((leg) => ['hip', 'thigh', 'calf'].map((j) => `${leg}_${j}_joint`));
/** The G1 fixture as the CLI reads it (Python tags and all). */
const g1 = () => parsePythonYaml(readFileSync('tests/fixtures/isaaclab-g1-env.yaml', 'utf8'), 'env.yaml', 'a mapping').cfg as Record<string, any>;
/** Isaac Lab's articulation order for the fixture's 15 joints (breadth first), not the YAML's. */
const g1Joints = [
  'left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint', 'left_hip_roll_joint', 'right_hip_roll_joint',
  'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', 'left_knee_joint',
  'right_knee_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint',
];
const g1Import = (cfg = g1(), joints = g1Joints) => {
  const notes: string[] = [];
  const m = manifestFromIsaacLab(cfg, { joints, name: 'g1', robot: 'g1', notes }, 'env.yaml');
  return { m, notes };
};

describe('manifest from Isaac Lab env.yaml', () => {
  it('reads terms in order with scale, clip, noise, history; rates; default pose by pattern; relative joint position action', () => {
    const m = manifestFromIsaacLab(isaac(), { joints, name: 'go', robot: 'quadruped' });
    expect(m.control_hz).toBe(50);
    expect(m.decimation).toBe(4);
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos_rel', 'joint_vel_rel', 'last_action']);
    expect(m.observation.terms[1]).toMatchObject({ scale: 0.25, noise: 0.2 });
    // Isaac Lab's base_lin_vel is root_lin_vel_b, the root body's centre-of-mass velocity
    expect(m.observation.terms[0].point).toBe('com');
    expect(m.observation.terms.filter((t) => t.point !== undefined)).toHaveLength(1);
    expect(m.observation.terms[4]).toMatchObject({ history: 3 });
    // No unitree_rl_lab term: the history fills as Isaac Lab's CircularBuffer does (the default, first).
    expect(m.observation.history_fill).toBeUndefined();
    // Isaac Lab clips before scaling, axon after: clip(x, ±100)·0.05 = clip(x·0.05, ±5)
    expect(m.observation.terms[5]).toMatchObject({ scale: 0.05, clip: 5 });
    expect(m.default_joint_pos).toEqual([0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1.0, 1.0, -1.5, -1.5, -1.5, -1.5]);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25 });
    expect(observationSize(m)).toBe(3 + 3 + 3 + 3 + 36 + 12 + 12);
  });

  it('reads unitree_rl_lab\'s gait_phase term with its period (its G1 and H1 velocity tasks), saying whose term it is and how its clock starts', () => {
    const cfg = g1();
    const { base_ang_vel, ...rest } = cfg.observations.policy;
    cfg.observations.policy = { base_ang_vel, gait_phase: { func: 'unitree_rl_lab.tasks.locomotion.mdp.observations:gait_phase', params: { period: 0.6 }, modifiers: null, noise: null, clip: null, scale: null, history_length: 0, flatten_history_dim: true }, ...rest };
    const { m, notes } = g1Import(cfg);
    // unitree_rl_lab's C++ controller reads k = 2 on its first step (ObservationManager::reset() runs the term once first).
    expect(m.observation.terms[1]).toEqual({ term: 'gait_phase', period: 0.6, count_from: 2, history: 5 });
    // ... and fills each history from its reset's evaluation (the gait clock one step_dt in), as that controller does.
    expect(m.observation.history_fill).toBe('reset');
    expect(notes).toContain('env.yaml: observations.policy: base_ang_vel, gait_phase, projected_gravity, velocity_commands, joint_pos_rel, joint_vel_rel, last_action keep a history; after a reset it holds each term as unitree_rl_lab\'s deploy controller evaluates it in ObservationManager::reset() (last_action zeros, gait_phase one step_dt into the cycle), the first step\'s value after it (history_fill "reset"); Isaac Lab\'s training filled it with the first step\'s value');
    expect(notes.find((n) => n.includes('gait_phase.func'))).toMatch(/read as unitree_rl_lab's gait_phase, sin and cos of \(steps · step_dt % period\) \/ period; axon's first step reads two step_dt into the cycle \(count_from 2\)/);
    cfg.observations.policy.gait_phase.params = {};
    expect(() => g1Import(cfg)).toThrow("env.yaml: observations.policy.gait_phase.params.period: is missing (expected the gait cycle in seconds (mdp.gait_phase's period))");
  });

  it('notes Isaac Lab 5\'s dynamic and viscous joint friction when the training set them (axon applies neither); null or 0 says nothing', () => {
    const cfg = g1();
    const [group] = Object.keys(cfg.scene.robot.actuators);
    cfg.scene.robot.actuators[group].dynamic_friction = { '.*': 0.05 };
    cfg.scene.robot.actuators[group].viscous_friction = null;
    const { notes } = g1Import(cfg);
    expect(notes).toContain(`env.yaml: scene.robot.actuators.${group}.dynamic_friction: is {".*":0.05}: not applied by axon (a joint has the URDF's <dynamics> damping and friction only)`);
    expect(notes.some((n) => n.includes('viscous_friction'))).toBe(false);
    cfg.scene.robot.actuators[group].dynamic_friction = 0;
    expect(g1Import(cfg).notes.some((n) => n.includes('dynamic_friction'))).toBe(false);
  });

  it('names the term it cannot compute', () => {
    const cfg = isaac();
    cfg.observations.policy.height_scan = { func: 'isaaclab.envs.mdp.observations:height_scan' };
    expect(() => manifestFromIsaacLab(cfg, { joints, name: 'x', robot: 'y' }, 'env.yaml')).toThrow(/observations\.policy\.height_scan\.func: is "isaaclab.envs.mdp.observations:height_scan"/);
    const noDt = isaac();
    delete noDt.sim.dt;
    // a project's own function by the same name is read as Isaac Lab's, and said so
    const own = isaac(), notes: string[] = [];
    own.observations.policy.base_lin_vel.func = 'my_robot.tasks.mdp.observations:base_lin_vel';
    const m = manifestFromIsaacLab(own, { joints, name: 'x', robot: 'y', notes }, 'env.yaml');
    expect(m.observation.terms[0]).toMatchObject({ term: 'base_lin_vel', point: 'com' });
    expect(notes.filter((n) => n.includes('from a module that is not Isaac Lab'))).toEqual([
      'env.yaml: observations.policy.base_lin_vel.func: is "my_robot.tasks.mdp.observations:base_lin_vel", from a module that is not Isaac Lab\'s: read as Isaac Lab\'s base_lin_vel (the centre of mass\'s velocity; a project\'s own base_lin_vel may read root_link_lin_vel_b, the link origin\'s: then set the term\'s "point" to "origin")',
    ]);
    // a null action term is not part of the action (the stock reach env's gripper_action: null)
    const nullTerm = isaac(), nullNotes: string[] = [];
    nullTerm.actions.gripper_action = null;
    expect(manifestFromIsaacLab(nullTerm, { joints, name: 'x', robot: 'y', notes: nullNotes }, 'env.yaml').action.type).toBe('joint_position');
    expect(nullNotes).toContain('env.yaml: actions.gripper_action: is null: not part of the action, as Isaac Lab skips it');
    // generated_commands on a pose command (reach envs: UniformPoseCommand, 7 values) is not a velocity command
    const pose = isaac();
    pose.observations.policy.velocity_commands.params.command_name = 'ee_pose';
    pose.commands = { ee_pose: { class_type: 'isaaclab.envs.mdp.commands.pose_command:UniformPoseCommand', body_name: 'panda_hand', ranges: { pos_x: [0.35, 0.65] } } };
    expect(() => manifestFromIsaacLab(pose, { joints, name: 'x', robot: 'y' }, 'env.yaml')).toThrow(/commands\.ee_pose\.class_type: is "isaaclab\.envs\.mdp\.commands\.pose_command:UniformPoseCommand", which the policy reads through generated_commands: not a velocity command/);
    const velocity = isaac();
    velocity.commands = { base_velocity: { class_type: 'isaaclab.envs.mdp.commands.velocity_command:UniformVelocityCommand', ranges: { lin_vel_x: [-1, 1] } } };
    expect(manifestFromIsaacLab(velocity, { joints, name: 'x', robot: 'y' }, 'env.yaml').command_ranges).toEqual({ lin_vel_x: [-1, 1] });
    const stock: string[] = [];
    manifestFromIsaacLab(isaac(), { joints, name: 'x', robot: 'y', notes: stock }, 'env.yaml');
    expect(stock.some((n) => n.includes('from a module that is not Isaac Lab'))).toBe(false);
    expect(() => manifestFromIsaacLab(noDt, { joints, name: 'x', robot: 'y' }, 'env.yaml')).toThrow(ImportError);
  });
});

describe('manifest from Isaac Lab env.yaml: actuators, commands, group settings (G1 fixture)', () => {
  it('maps each actuator group to its joints by full-match regex, in the articulation order given', () => {
    const { m } = g1Import();
    expect(m.joints).toEqual(g1Joints);
    // pd in action-joint order (here every joint, articulation order); {regex: value} maps and plain numbers
    expect(m.pd).toEqual({
      kp: [100, 100, 200, 100, 100, 40, 40, 100, 100, 150, 150, 40, 40, 40, 40],
      kd: [2, 2, 5, 2, 2, 1, 1, 2, 2, 4, 4, 10, 10, 10, 10],
    });
    // actuators in model-joint order; ImplicitActuator: effort_limit_sim / velocity_limit_sim
    expect(m.actuators).toEqual({
      armature: [0.01, 0.01, 0.01, 0.01, 0.01, 0.003, 0.003, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01],
      effort_limit: [88, 88, 88, 139, 139, 25, 25, 88, 88, 139, 139, 35, 35, 35, 35],
      velocity_limit: [32, 32, 32, 20, 20, 37, 37, 32, 32, 20, 20, 30, 30, 30, 30],
    });
    expect(m.default_joint_pos).toEqual([-0.1, -0.1, 0, 0, 0, 0.3, 0.3, 0, 0, 0.3, 0.3, -0.2, -0.2, 0, 0]);
  });

  it("reads the velocity command's limit_ranges (the curriculum's widest, as unitree_rl_lab's deploy.yaml) as command_ranges, else its ranges", () => {
    const { m, notes } = g1Import();
    expect(m.command_ranges).toEqual({ lin_vel_x: [-1.0, 2.0], lin_vel_y: [-0.3, 0.3], ang_vel_z: [-0.2, 0.2] });
    expect(notes.find((n) => n.includes('commands.base_velocity.heading_command'))).toMatch(/true/);
    expect(notes.find((n) => n.startsWith('env.yaml: commands.base_velocity.ranges:'))).toMatch(/the curriculum's start; command_ranges holds limit_ranges/);
    const start = g1();
    delete start.commands.base_velocity.limit_ranges;
    const s = g1Import(start);
    expect(s.m.command_ranges).toEqual({ lin_vel_x: [-0.5, 1.0], lin_vel_y: [-0.3, 0.3], ang_vel_z: [-0.2, 0.2] });
    expect(s.notes.find((n) => n.includes('commands.base_velocity.ranges.heading'))).toMatch(/-3\.14/);
    expect(notes.find((n) => n.includes('friction'))).toMatch(/N7520-14\.3/);
    // the command the velocity term names is the one read
    const cfg = g1();
    cfg.observations.policy.velocity_commands.params.command_name = 'walk';
    cfg.commands.walk = { ranges: { lin_vel_x: [0, 2], lin_vel_y: [0, 0], ang_vel_z: [-1, 1], heading: null } };
    const other = g1Import(cfg);
    expect(other.m.command_ranges).toEqual({ lin_vel_x: [0, 2], lin_vel_y: [0, 0], ang_vel_z: [-1, 1] });
    expect(other.notes.find((n) => n.includes('commands.base_velocity'))).toMatch(/ignored/);
  });

  it('takes the group history_length over the terms\' (Isaac Lab overrides), scales the clip, and notes unknown group keys', () => {
    const { m, notes } = g1Import();
    expect(m.observation.terms.map((t) => [t.term, t.history])).toEqual([
      ['base_ang_vel', 5], ['projected_gravity', 5], ['velocity_commands', 5], ['joint_pos_rel', 5], ['joint_vel_rel', 5], ['last_action', 5],
    ]);
    expect(m.observation.terms[4]).toMatchObject({ scale: 0.05, clip: 5, noise: 1.5 });
    expect(observationSize(m)).toBe((3 + 3 + 3 + 15 + 15 + 15) * 5);
    expect(notes.some((n) => n.includes('observations.policy'))).toBe(false);
    const cfg = g1();
    cfg.observations.policy.nan_policy = 'disabled';
    cfg.observations.policy.enable_corruption = false;
    cfg.observations.policy.joint_pos_rel.history_length = 3; // the group's 5 still wins
    const r = g1Import(cfg);
    expect(r.notes.find((n) => n.includes('observations.policy.nan_policy'))).toMatch(/ignored/);
    expect(r.m.observation.terms.every((t) => t.noise === undefined)).toBe(true); // no corruption, no noise
    expect(r.m.observation.terms[3].history).toBe(5);
  });

  it('refuses a joint with no actuator group or a null gain ("the USD\'s", which a USD-spawned env.yaml does not hold) beside trained ones; with none known, writes no pd and says why', () => {
    // Writing no pd would drop every trained gain for the robot's own (review R31 F3).
    expect(() => g1Import(g1(), [...g1Joints, 'left_wrist_roll_joint'])).toThrow(/env\.yaml: scene\.robot\.actuators: gives no gain for left_wrist_roll_joint while 15 other action joints have theirs/);
    const cfg = g1();
    cfg.scene.robot.actuators['N5020-16'].stiffness = null;
    expect(() => g1Import(cfg)).toThrow(/env\.yaml: scene\.robot\.actuators\.N5020-16\.stiffness\/damping: gives no gain for left_shoulder_pitch_joint, right_shoulder_pitch_joint while 13 other/);
    const none = g1();
    for (const a of Object.values<any>(none.scene.robot.actuators)) a.stiffness = null;
    const nul = g1Import(none);
    expect(nul.m.pd).toBeUndefined();
    expect(nul.notes.find((n) => n.includes('actuators.{') && n.includes('.stiffness'))).toMatch(/null/);
    expect(nul.notes.find((n) => n.includes('so no pd is written'))).toBeDefined();
    expect(nul.m.actuators?.armature).toHaveLength(15); // the rest is still read
  });

  it('reads explicit actuator groups: effort_limit is their torque clip, actuators.pd explicit when every group is', () => {
    const cfg = g1();
    for (const a of Object.values<any>(cfg.scene.robot.actuators)) a.class_type = 'isaaclab.actuators.actuator_pd:IdealPDActuator';
    Object.assign(cfg.scene.robot.actuators['N5020-16'], { class_type: 'isaaclab.actuators.actuator_pd:DCMotor', effort_limit: 20, saturation_effort: 30 });
    const { m, notes } = g1Import(cfg);
    expect(m.actuators?.pd).toBe('explicit');
    expect((m.actuators?.effort_limit as number[])[g1Joints.indexOf('left_shoulder_pitch_joint')]).toBe(20);
    expect((m.actuators?.effort_limit as number[])[g1Joints.indexOf('left_knee_joint')]).toBe(139); // effort_limit null: effort_limit_sim
    expect(notes.find((n) => n.includes('actuators.N5020-16.class_type'))).toMatch(/DCMotor/);
    const mixed = g1();
    mixed.scene.robot.actuators['N5020-16'].class_type = 'isaaclab.actuators.actuator_pd:IdealPDActuator';
    const r = g1Import(mixed);
    expect(r.m.actuators?.pd).toBeUndefined();
    expect(r.notes.find((n) => n.includes('mixes implicit and explicit'))).toBeDefined();
  });

  it('refuses a joint two actuator groups claim, naming both, and a pattern that matches no joint', () => {
    const cfg = g1();
    cfg.scene.robot.actuators['N5020-16'].joint_names_expr.push('waist_yaw_joint');
    expect(() => g1Import(cfg)).toThrow(ImportError);
    expect(() => g1Import(cfg)).toThrow(/waist_yaw_joint.*N7520-14\.3.*N5020-16/);
    const bad = g1();
    bad.scene.robot.actuators['N5020-16'].joint_names_expr = ['.*_elbow_.*'];
    expect(() => g1Import(bad)).toThrow(/actuators\.N5020-16\.joint_names_expr.*\.\*_elbow_\.\*/);
  });

  it('orders pd by the action\'s joints (preserve_order: the patterns\' order)', () => {
    const cfg = g1();
    Object.assign(cfg.actions.JointPositionAction, { joint_names: ['.*_knee_joint', '.*_hip_pitch_joint'], preserve_order: true });
    const { m } = g1Import(cfg);
    expect(m.action.joints).toEqual(['left_knee_joint', 'right_knee_joint', 'left_hip_pitch_joint', 'right_hip_pitch_joint']);
    expect({ kp: m.pd?.kp, kd: m.pd?.kd }).toEqual({ kp: [150, 150, 100, 100], kd: [4, 4, 2, 2] });
    // The joints outside the action keep their groups' gains (pd.held), every other model joint.
    expect(Object.keys(m.pd?.held ?? {})).toEqual(m.joints.filter((j) => !m.action.joints!.includes(j)));
  });

  it('concatenates several action terms in order, as Isaac Lab\'s ActionManager does (Spot: legs, then the arm)', () => {
    const cfg = g1();
    const legs = { ...cfg.actions.JointPositionAction, joint_names: ['.*_hip_.*', '.*_knee_joint', '.*_ankle_.*'], scale: 0.25 };
    const upper = { ...cfg.actions.JointPositionAction, joint_names: ['waist_yaw_joint', '.*_shoulder_pitch_joint'], scale: 0.5 };
    cfg.actions = { joint_pos: legs, arm_pos: upper };
    const { m } = g1Import(cfg);
    const legJoints = g1Joints.filter((j) => /_hip_|_knee_|_ankle_/.test(j));
    expect(m.action.joints).toEqual([...legJoints, 'waist_yaw_joint', 'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint']);
    expect(m.action.scale).toEqual([...legJoints.map(() => 0.25), 0.5, 0.5, 0.5]);
    expect(m.pd!.kp).toHaveLength(15);
    // one control mode, each joint once, one clip for the whole action
    cfg.actions.arm_pos = { ...upper, class_type: 'isaaclab.envs.mdp.actions.joint_actions:JointEffortAction', use_default_offset: false };
    expect(() => g1Import(cfg)).toThrow(/actions\.arm_pos: is a joint_effort action after a joint_position one/);
    cfg.actions.arm_pos = { ...upper, joint_names: ['.*_knee_joint'] };
    expect(() => g1Import(cfg)).toThrow(/actions: drive joint "left_knee_joint" in two terms/);
    cfg.actions.arm_pos = { ...upper, clip: { '.*': [-1, 1] } };
    expect(() => g1Import(cfg)).toThrow(/actions\.arm_pos\.clip: bounds its joints while actions\.joint_pos has no clip \(expected a clip on every action term or on none/);
    // last_action of one term only: axon feeds back the whole action, so it is refused, naming the field
    cfg.actions.arm_pos = upper;
    const [lastKey] = Object.entries(cfg.observations.policy).find(([, t]) => (t as { func?: string }).func?.endsWith(':last_action'))!;
    cfg.observations.policy[lastKey].params = { action_name: 'joint_pos' };
    expect(() => g1Import(cfg)).toThrow(new RegExp(`observations\\.policy\\.${lastKey}\\.params\\.action_name: is "joint_pos": the raw action of that term alone`));
  });

  it("turns the action's clip on the joint target into axon's raw-action clip when it is one bound, and into target bounds otherwise", () => {
    // Isaac Lab clamps raw·scale + offset (the default pose) to [lo, hi]; a clip of ±2 raw is [d − 0.5, d + 0.5] per joint.
    const base = g1Import().m;
    const cfg = g1();
    cfg.actions.JointPositionAction.clip = Object.fromEntries(base.joints.map((j, i) => [j, [base.default_joint_pos![i] - 0.5, base.default_joint_pos![i] + 0.5]]));
    expect(g1Import(cfg).m.action.clip).toBe(2);
    // Isaac Lab feeds back the raw action before that clip: last_action says so; without a clip it is the default
    const last = (m: ReturnType<typeof g1Import>['m']) => m.observation.terms.filter((t) => t.term === 'last_action');
    expect(last(g1Import(cfg).m).map((t) => t.before_clip)).toEqual([true]);
    expect(last(base).map((t) => t.before_clip)).toEqual([undefined]);
    // The same bound on the target for every joint is a different raw bound per joint (the defaults differ): kept as target bounds, not dropped.
    cfg.actions.JointPositionAction.clip = { '.*': [-0.5, 0.5] };
    const { m, notes } = g1Import(cfg);
    expect(m.action.clip).toBeUndefined();
    expect(m.action.target_clip).toEqual(m.joints.map(() => [-0.5, 0.5]));
    expect(last(m).map((t) => t.before_clip)).toEqual([undefined]); // no raw clip: the raw action is fed back, as Isaac Lab does
    expect(notes).toContain("env.yaml: actions.{JointPositionAction}.clip: bounds each joint's target, not one raw bound for every joint: written as action.target_clip (axon clamps the command after scale and offset, as Isaac Lab does)");
    // Isaac Lab leaves a joint no pattern matches unbounded, which target_clip cannot say.
    cfg.actions.JointPositionAction.clip = { 'left_.*': [-0.5, 0.5] };
    expect(() => g1Import(cfg)).toThrow(/bounds some action joints and not right_hip_pitch_joint/);
  });

  it("reads unitree_rl_lab's and robot_lab's clip {\".*\": (-100.0, 100.0)} around the default pose, as PyYAML dumps it, as target bounds", () => {
    // unitreerobotics/unitree_rl_lab tasks/locomotion/robots/go2/velocity_env_cfg.py @ 18b29ee:
    // JointPositionActionCfg(joint_names=[".*"], scale=0.25, use_default_offset=True, clip={".*": (-100.0, 100.0)});
    // env.yaml holds the tuple under its pattern. Raw bounds (±100 − default)/0.25 differ per joint: it was refused.
    const text = readFileSync('tests/fixtures/isaaclab-env.yaml', 'utf8').replace(
      '    use_default_offset: true\n',
      '    use_default_offset: true\n    clip:\n      .*: !!python/tuple\n      - -100.0\n      - 100.0\n',
    );
    const { cfg } = parsePythonYaml(text, 'env.yaml', 'a mapping');
    const m = manifestFromIsaacLab(cfg, { joints, name: 'go2', robot: 'go2' }, 'env.yaml');
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25, target_clip: joints.map(() => [-100, 100]) });
  });

  it('reads an observation clip of [-.inf, .inf] as no clip, and names the env.yaml field of a limit of 0', () => {
    const cfg = g1();
    const [key] = Object.keys(cfg.observations.policy).filter((k) => typeof cfg.observations.policy[k] === 'object' && cfg.observations.policy[k] !== null);
    cfg.observations.policy[key].clip = [-Infinity, Infinity];
    expect(g1Import(cfg).m.observation.terms[0].clip).toBeUndefined();
    const group = Object.keys(cfg.scene.robot.actuators)[0];
    cfg.scene.robot.actuators[group].effort_limit_sim = 0;
    expect(() => g1Import(cfg)).toThrow(`env.yaml: scene.robot.actuators.${group}.effort_limit_sim: is 0 (expected a limit > 0`);
    cfg.scene.robot.actuators[group].effort_limit_sim = Infinity;
    expect(() => g1Import(cfg)).toThrow(`scene.robot.actuators.${group}.effort_limit_sim: is Infinity (expected a finite number)`);
  });

  it('refuses what it would otherwise misread: an action class it does not know, a null func', () => {
    const cfg = g1();
    cfg.actions.JointPositionAction.class_type = 'isaaclab.envs.mdp.actions.joint_actions:RelativeJointPositionAction';
    expect(() => g1Import(cfg)).toThrow(/actions\.JointPositionAction\.class_type.*RelativeJointPositionAction/);
    const nul = g1();
    nul.observations.policy.joint_pos_rel.func = null; // a !!python/name tag read as null
    expect(() => g1Import(nul)).toThrow(/observations\.policy\.joint_pos_rel\.func/);
  });
});

describe('axon manifest from-isaaclab (CLI)', () => {
  it('reads the G1 env.yaml: exit 0, no YAMLWarning, notes on stderr, gains and armature in joint order', () => {
    // --out in a folder that does not exist yet: it is made, as from-deploy makes its own
    const out = join(mkdtempSync(join(tmpdir(), 'axon-isaaclab-')), 'g1-walk', 'manifest.json');
    const r = spawnSync(process.execPath, ['bin/axon.js', 'manifest', 'from-isaaclab', 'tests/fixtures/isaaclab-g1-env.yaml', '--joints', g1Joints.join(','), '--out', out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/YAMLWarning|Unresolved tag/);
    expect(r.stderr).toContain('not mapped: isaaclab-g1-env.yaml: Python tags read as plain YAML');
    expect(r.stderr).toContain('not mapped: isaaclab-g1-env.yaml: commands.base_velocity.heading_command');
    const m = JSON.parse(readFileSync(out, 'utf8'));
    expect(m.joints).toEqual(g1Joints);
    expect(m.pd.kp).toEqual([100, 100, 200, 100, 100, 40, 40, 100, 100, 150, 150, 40, 40, 40, 40]);
    expect(m.pd.kd).toEqual([2, 2, 5, 2, 2, 1, 1, 2, 2, 4, 4, 10, 10, 10, 10]);
    expect(m.actuators.armature[g1Joints.indexOf('left_shoulder_pitch_joint')]).toBe(0.003);
    expect(m.actuators.armature[g1Joints.indexOf('left_knee_joint')]).toBe(0.01);
  });
});

/** A YAML alias bomb ("billion laughs"): nine anchors, each a list of nine uses of the one before. */
const aliasBomb = (): string => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let k = 1; k < 9; k++) {
    const prev = String.fromCharCode(96 + k), name = String.fromCharCode(97 + k);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\nstep_dt: 0.02\n`;
};

describe('a config the yaml package refuses to expand (an alias bomb)', () => {
  it('is IMPORT_CONFIG naming the file, on one line', () => {
    let e: unknown;
    try {
      parsePythonYaml(aliasBomb(), 'deploy.yaml', 'a mapping');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ImportError);
    expect(e).toMatchObject({ code: 'IMPORT_CONFIG', where: 'deploy.yaml' });
    expect((e as ImportError).message).toMatch(/^deploy\.yaml: cannot be read as data \(Excessive alias count[^\n]*\(expected YAML whose anchors and aliases/);
  });

  it("from-deploy's reader too; manifest from-isaaclab exits 2 naming it", () => {
    expect(() => parseDeployYaml(aliasBomb(), 'deploy.yaml')).toThrow(/^deploy\.yaml: cannot be read as data \(Excessive alias count/);
    const dir = mkdtempSync(join(tmpdir(), 'axon-yamlbomb-'));
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, aliasBomb());
    const r = spawnSync(process.execPath, ['bin/axon.js', 'manifest', 'from-isaaclab', file, '--joints', joints.join(','), '--out', join(dir, 'm.json')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^axon: error \[IMPORT_CONFIG\]: bomb\.yaml: cannot be read as data/)]);
  });
});

describe('axon manifest from-legged-gym (CLI)', () => {
  it("reads unitree_rl_gym's Go2 config: exit 0, the height-scan note on stderr, armature in the manifest", () => {
    const out = join(mkdtempSync(join(tmpdir(), 'axon-legged-gym-')), 'manifest.json');
    const r = spawnSync(process.execPath, ['bin/axon.js', 'manifest', 'from-legged-gym', 'tests/fixtures/legged-gym-go2-rough.yaml', '--joints', go2Joints.join(','), '--robot', 'go2', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('not mapped: legged-gym-go2-rough.yaml: terrain.measure_heights: is true, but env.num_observations is 48');
    const m = JSON.parse(readFileSync(out, 'utf8'));
    expect(m.joints).toEqual(go2Joints);
    expect(m.actuators).toEqual({ armature: 0.01 });
    expect(m.default_joint_pos).toEqual([0.1, 0.8, -1.5, -0.1, 0.8, -1.5, 0.1, 1, -1.5, -0.1, 1, -1.5]);
  });
});

describe('manifest from a legged_gym config', () => {
  it('builds the fixed legged_gym observation with the config scales, clip and PD gains', () => {
    const m = manifestFromLeggedGym(legged(), { joints, name: 'a1', robot: 'quadruped' });
    expect(m.observation.terms.map((t) => [t.term, t.scale ?? 1])).toEqual([
      ['base_lin_vel', 2],
      ['base_ang_vel', 0.25],
      ['projected_gravity', 1],
      ['velocity_commands', [2, 2, 0.25]],
      ['joint_pos_rel', 1],
      ['joint_vel', 0.05],
      ['last_action', 1],
    ]);
    expect(observationSize(m)).toBe(48);
    // legged_gym reads Isaac Gym's root-state velocity, which PhysX gives at the root body's centre of mass
    expect(m.observation.terms[0].point).toBe('com');
    expect(m.observation.terms.slice(1).every((t) => t.point === undefined)).toBe(true);
    expect(m.action).toEqual({ type: 'joint_position', scale: 0.25, clip: 100 });
    expect(m.pd!.kp).toEqual(new Array(12).fill(20));
    expect(m.default_joint_pos!.slice(0, 4)).toEqual([0.1, -0.1, 0.1, -0.1]);
    // the joints' order is the one given, never the dictionary's: default_joint_angles lists RL_hip_joint second
    expect(Object.keys(legged().init_state.default_joint_angles)[1]).toBe('RL_hip_joint');
    expect(m.joints[1]).toBe('FR_hip_joint');
    expect(m.default_joint_pos![1]).toBe(legged().init_state.default_joint_angles.FR_hip_joint);
  });

  it('requires the joint order and names a joint without a default angle', () => {
    expect(() => manifestFromLeggedGym(legged(), { joints: [], name: 'a1', robot: 'q' }, 'cfg.yaml')).toThrow(/--joints: is empty/);
    expect(() => manifestFromLeggedGym(legged(), { joints: [...joints.slice(0, 11), 'tail_joint'], name: 'a1', robot: 'q' }, 'cfg.yaml')).toThrow(/has no angle for joint "tail_joint"/);
  });

  it('refuses a policy that needs a height scan', () => {
    const cfg = legged();
    cfg.terrain.measure_heights = true;
    cfg.env.num_observations = 235; // legged_gym's rough A1: 48 + 187 heights
    expect(() => manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/terrain.measure_heights/);
  });

  it("accepts unitree_rl_gym's measure_heights: true when num_observations is the blind size, and says the scan is not read", () => {
    // unitree_rl_gym's base config leaves measure_heights True, but its compute_observations appends no
    // height scan: num_observations 48 for 12 joints is the blind layout
    const cfg = go2();
    expect(cfg.terrain.measure_heights).toBe(true);
    expect(cfg.env.num_observations).toBe(48);
    const notes: string[] = [];
    const m = manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'go2', robot: 'go2', notes }, 'go2_rough_cfg.yaml');
    expect(observationSize(m)).toBe(48);
    expect(m.observation.terms.map((t) => t.term)).toEqual(['base_lin_vel', 'base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos_rel', 'joint_vel', 'last_action']);
    expect(m.pd!.kp).toEqual(new Array(12).fill(20));
    expect(m.control_hz).toBe(50);
    expect(notes).toContain('go2_rough_cfg.yaml: terrain.measure_heights: is true, but env.num_observations is 48, the blind size for 12 joints: the height scan is not in the observation (as in unitree_rl_gym, whose compute_observations appends none), so none is read');
  });

  it("writes asset.armature as actuators.armature (Isaac Gym's, every DOF's) and asset.fix_base_link: true as fixed_base", () => {
    const m = manifestFromLeggedGym(go2(), { joints: go2Joints, name: 'go2', robot: 'go2' }, 'go2_rough_cfg.yaml');
    expect(m.actuators).toEqual({ armature: 0.01 });
    expect(m.fixed_base).toBeUndefined(); // fix_base_link: false, a floating base
    const cfg = go2();
    cfg.asset.armature = 0.0; // legged_gym's own default: the training had none, and the manifest says so
    cfg.asset.fix_base_link = true;
    const fixed = manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'go2', robot: 'go2' }, 'go2_rough_cfg.yaml');
    expect(fixed.actuators).toEqual({ armature: 0 });
    expect(fixed.fixed_base).toBe(true);
    cfg.asset.armature = -0.01;
    expect(() => manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'go2', robot: 'go2' }, 'go2_rough_cfg.yaml')).toThrow('go2_rough_cfg.yaml: asset.armature: is -0.01 (expected a number >= 0 (kg·m²))');
  });

  it('refuses measure_heights: true when num_observations counts the scan (legged_gym\'s 235), or when there is no num_observations to tell', () => {
    const cfg = go2();
    cfg.env.num_observations = 235; // legged_gym's rough A1 and Anymal: 48 + 17 × 11 heights
    expect(() => manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(
      "cfg.yaml: terrain.measure_heights: is true and env.num_observations is 235, legged_gym's 48 values for 12 joints plus 187 heights (measured_points_x × measured_points_y): the policy takes a height scan, which axon robots do not provide (expected false, or an env.num_observations of 48, a blind observation as in unitree_rl_gym, whose compute_observations appends no scan)",
    );
    // neither blind nor blind + scan: a fork's own observation
    cfg.env.num_observations = 50;
    expect(() => manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/env\.num_observations: is 50, but legged_gym's observation for 12 joints is 48 values .*, 235 with 187 heights/);
    delete cfg.env.num_observations;
    expect(() => manifestFromLeggedGym(cfg, { joints: go2Joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/terrain\.measure_heights: is true and the config has no env\.num_observations to tell whether the policy takes a height scan/);
  });

  it('refuses a fork whose own observation size differs from the stock layout, naming the count', () => {
    // Fourier's GR1T1 lower limb: 10 joints, num_obs 39 (no base_lin_vel), where the stock layout is 42
    const gr1 = ['l_hip_roll', 'l_hip_yaw', 'l_hip_pitch', 'l_knee_pitch', 'l_ankle_pitch', 'r_hip_roll', 'r_hip_yaw', 'r_hip_pitch', 'r_knee_pitch', 'r_ankle_pitch'];
    const cfg = legged();
    cfg.env = { num_envs: 8192, num_obs: 39, num_actions: 10 };
    cfg.init_state.default_joint_angles = Object.fromEntries(gr1.map((j) => [j, 0]));
    cfg.control.stiffness = { hip_roll: 57, hip_yaw: 43, hip_pitch: 114, knee_pitch: 114, ankle_pitch: 15.3 };
    cfg.control.damping = { hip_roll: 5.7, hip_yaw: 4.3, hip_pitch: 11.4, knee_pitch: 11.4, ankle_pitch: 1.53 };
    expect(() => manifestFromLeggedGym(cfg, { joints: gr1, name: 'a', robot: 'b' }, 'cfg.json')).toThrow(/cfg\.json: env\.num_obs: is 39, but legged_gym's observation for 10 joints is 42 values/);
    cfg.env.num_obs = 42;
    expect(manifestFromLeggedGym(cfg, { joints: gr1, name: 'a', robot: 'b' }, 'cfg.json').pd!.kp).toEqual([57, 43, 114, 114, 15.3, 57, 43, 114, 114, 15.3]);
  });

  it('resolves gains as LeggedRobot._init_buffers does: the last substring key wins, damping under the same key', () => {
    const cfg = legged();
    cfg.control.stiffness = { hip: 50, thigh: 10, calf: 30, RR: 99 };
    cfg.control.damping = { hip: 1, thigh: 2, calf: 3, RR: 9 };
    const notes: string[] = [];
    const m = manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b', notes }, 'cfg.yaml');
    // the order decides, so it is said: a dump with sorted keys would pick another
    expect(notes).toContain('cfg.yaml: control.stiffness: keys "hip", "RR" all match joint "RR_hip_joint" and differ: the last in the file\'s order ("RR") is taken, as legged_gym takes the last in the config class\'s order; a dump that sorted the keys would change which');
    // RR_hip_joint matches "hip" and then "RR": RR wins; FL_thigh_joint only "thigh"
    expect(m.pd!.kp[joints.indexOf('RR_hip_joint')]).toBe(99);
    expect(m.pd!.kd[joints.indexOf('RR_hip_joint')]).toBe(9);
    expect(m.pd!.kp[joints.indexOf('FL_thigh_joint')]).toBe(10);
    expect(m.pd!.kp[joints.indexOf('RR_calf_joint')]).toBe(99);
    cfg.control.damping = { hip: 1, thigh: 2, calf: 3 };
    expect(() => manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/control\.damping: has no key "RR" \(legged_gym reads the damping under the stiffness key that matched joint "RR_hip_joint"\)/);
    cfg.control.stiffness = { thigh: 10, calf: 30 };
    expect(() => manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/control\.stiffness: has no key in joint "FL_hip_joint"'s name/);
  });

  it('reads the command ranges, refuses non-position control, and lists what it does not read', () => {
    const cfg = legged();
    cfg.commands = { num_commands: 4, heading_command: true, ranges: { lin_vel_x: [-1, 2], lin_vel_y: [-0.5, 0.5], ang_vel_yaw: [-1.5, 1.5], heading: [-3.14, 3.14] } };
    cfg.normalization.clip_actions_max = [1, 2];
    const notes: string[] = [];
    const m = manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b', notes }, 'cfg.yaml');
    expect(m.command_ranges).toEqual({ lin_vel_x: [-1, 2], lin_vel_y: [-0.5, 0.5], ang_vel_z: [-1.5, 1.5] });
    // legged_gym's curriculum widens lin_vel_x up to ±max_curriculum: the range the policy has seen
    const widened = manifestFromLeggedGym({ ...cfg, commands: { ...cfg.commands, curriculum: true, max_curriculum: 3 } }, { joints, name: 'a', robot: 'b' }, 'cfg.yaml');
    expect(widened.command_ranges!.lin_vel_x).toEqual([-3, 3]);
    expect(notes).toContain("cfg.yaml: normalization.clip_actions_max: not read (not part of legged_gym's stock policy input or output)");
    expect(notes.some((n) => n.startsWith('cfg.yaml: commands.heading_command: is true'))).toBe(true);
    expect(notes.some((n) => n.includes('asset.collapse_fixed_joints'))).toBe(false);
    const net: string[] = [];
    manifestFromLeggedGym({ ...cfg, control: { ...cfg.control, use_actuator_network: true, actuator_net_file: '{LEGGED_GYM_ROOT_DIR}/resources/actuator_nets/anydrive_v3_lstm.pt' } }, { joints, name: 'a', robot: 'b', notes: net }, 'cfg.yaml');
    expect(net.find((n) => n.includes('use_actuator_network'))).toBe("cfg.yaml: control.use_actuator_network: is true: the training turned targets into torques with an actuator network ({LEGGED_GYM_ROOT_DIR}/resources/actuator_nets/anydrive_v3_lstm.pt), not PD; the pd written is the config's stiffness and damping, which that training never used, so the policy meets other joint dynamics here");
    expect(net.some((n) => n.includes('actuator_net_file: not read'))).toBe(false);
    const kept: string[] = [];
    manifestFromLeggedGym({ ...cfg, asset: { collapse_fixed_joints: false } }, { joints, name: 'a', robot: 'b', notes: kept }, 'cfg.yaml');
    expect(kept.some((n) => n.startsWith("cfg.yaml: asset.collapse_fixed_joints: is false: the training's root body was the root link alone"))).toBe(true);
    cfg.control.control_type = 'T';
    expect(() => manifestFromLeggedGym(cfg, { joints, name: 'a', robot: 'b' }, 'cfg.yaml')).toThrow(/control\.control_type: is "T": the actions are not position targets/);
  });
});
