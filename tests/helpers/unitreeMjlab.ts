/**
 * unitreerobotics/unitree_rl_mjlab's robots as its training describes them in the metadata_props its
 * runner attaches to every policy.onnx (src/tasks/velocity/rl/runner.py calls mjlab's
 * get_base_metadata: joint_names in the MJCF's order, the position actuators' gains, the default
 * pose, the actor group's term keys, the action scale), from its robot constants
 * (src/assets/robots/unitree_go2/go2_constants.py and unitree_g1/g1_constants.py, 163878e) and
 * velocity_env_cfg.py (term keys; `phase` with period 0.6 in the forks that deploy gait_phase).
 */
import { G1_JOINTS, type PyValue } from './mjlabMetadata.ts';

type Meta = Record<string, PyValue | readonly PyValue[]>;

/** go2.xml's joint order (FL, FR, RL, RR; depth first), which is not the Go2's motor order. */
export const GO2_MJCF_JOINTS = ['FL', 'FR', 'RL', 'RR'].flatMap((l) => ['hip', 'thigh', 'calf'].map((p) => `${l}_${p}_joint`));
/** The Go2's SDK (motor) order: FR, FL, RR, RL. deploy.yaml's joint_ids_map [3,4,5,0,1,2,9,10,11,6,7,8] maps the one to the other. */
export const GO2_SDK_JOINTS = ['FR', 'FL', 'RR', 'RL'].flatMap((l) => ['hip', 'thigh', 'calf'].map((p) => `${l}_${p}_joint`));

/** The velocity task's actor terms (flat: no height_scan), with and without unitree_rl_mjlab's `phase`. */
const TERMS = ['base_ang_vel', 'projected_gravity', 'command', 'joint_pos', 'joint_vel', 'actions'];
const TERMS_PHASE = ['base_ang_vel', 'projected_gravity', 'command', 'phase', 'joint_pos', 'joint_vel', 'actions'];

function velocityMeta(joints: readonly string[], kp: number[], kd: number[], pose: number[], scale: number | number[], phase: boolean): Meta {
  const names = phase ? TERMS_PHASE : TERMS;
  const t = names.length;
  return {
    run_path: 'local',
    joint_names: joints,
    joint_stiffness: kp,
    joint_damping: kd,
    default_joint_pos: pose,
    command_names: ['twist'],
    observation_names: names,
    observation_terms_scale: Array(t).fill(1.0),
    observation_terms_flatten_history_dim: Array(t).fill(true),
    observation_terms_history_length: Array(t).fill(0),
    observation_terms_clip: Array(t).fill([-Infinity, Infinity]),
    action_scale: scale,
  };
}

/** go2_constants.py: hip and thigh 20 / 1 (23.5 N·m), calf 40 / 2 (45 N·m); INIT_STATE R hips +0.1, L hips -0.1, thighs 0.9, calves -1.8; the env's scale 0.25 (a float: str(0.25)). */
export function unitreeGo2Metadata(phase: boolean): Meta {
  const calf = (j: string) => j.endsWith('calf_joint');
  const pose = GO2_MJCF_JOINTS.map((j) => (j.includes('thigh') ? 0.9 : calf(j) ? -1.8 : j[1] === 'R' ? 0.1 : -0.1));
  return velocityMeta(GO2_MJCF_JOINTS, GO2_MJCF_JOINTS.map((j) => (calf(j) ? 40 : 20)), GO2_MJCF_JOINTS.map((j) => (calf(j) ? 2 : 1)), pose, 0.25, phase);
}

/** mjlab's reflected_inertia_from_two_stage_planetary(rotor inertias, gears). */
const reflected = ([r0, r1, r2]: number[], [, g1, g2]: number[]) => r0 * (g1 * g2) ** 2 + r1 * g2 ** 2 + r2;
const W = 10 * 2.0 * 3.1415926535; // NATURAL_FREQ as g1_constants.py writes it
const A5020 = reflected([0.139e-4, 0.017e-4, 0.169e-4], [1, 1 + 46 / 18, 1 + 56 / 16]);
const A7520_14 = reflected([0.489e-4, 0.098e-4, 0.533e-4], [1, 4.5, 1 + 48 / 22]);
const A7520_22 = reflected([0.489e-4, 0.109e-4, 0.738e-4], [1, 4.5, 5]);
const A4010 = reflected([0.068e-4, 0, 0], [1, 5, 5]);

/** g1_constants.py's actuator of a joint: armature and effort limit (N·m). */
function g1Actuator(j: string): [number, number] {
  if (/elbow|shoulder|wrist_roll/.test(j)) return [A5020, 25];
  if (/hip_pitch|hip_yaw|waist_yaw/.test(j)) return [A7520_14, 88];
  if (/hip_roll|knee/.test(j)) return [A7520_22, 139];
  if (/wrist_pitch|wrist_yaw/.test(j)) return [A4010, 5];
  return [2 * A5020, 50]; // waist pitch/roll and ankles: two 5020s
}

/** G1 flat velocity: kp = armature·ω², kd = 4·armature·ω (ω = 2π·10), G1_ACTION_SCALE = 0.25·effort/kp, HOME_KEYFRAME. */
export function unitreeG1Metadata(phase: boolean): Meta {
  const home: Record<string, number> = { hip_pitch: -0.1, knee: 0.3, ankle_pitch: -0.2, shoulder_pitch: 0.35, elbow: 0.87 };
  const pose = G1_JOINTS.map((j) => (j === 'left_shoulder_roll_joint' ? 0.18 : j === 'right_shoulder_roll_joint' ? -0.18 : (home[j.replace(/^(left|right)_/, '').replace(/_joint$/, '')] ?? 0)));
  const kp = G1_JOINTS.map((j) => g1Actuator(j)[0] * W ** 2);
  const kd = G1_JOINTS.map((j) => 4 * g1Actuator(j)[0] * W);
  return velocityMeta(G1_JOINTS, kp, kd, pose, G1_JOINTS.map((j, i) => (0.25 * g1Actuator(j)[1]) / kp[i]), phase);
}
