/**
 * A deploy.yaml for the 29-DoF vendor humanoid (tests/helpers/vendorJoints.ts), written the way
 * unitree_rl_lab's export_deploy_cfg + PyYAML's `yaml.dump(cfg, default_flow_style=None,
 * sort_keys=False)` write it: leaf lists in flow style wrapped at 80 columns, floats as `1.0`,
 * stiffness/damping in SDK (motor) order, default_joint_pos and the action's scale/offset in
 * model order, Python tags where the Python objects survive (`!!python/tuple` for a range the
 * pipeline left a tuple, `!!python/object:...SceneEntityCfg` with a `slice` in an observation's
 * params, `!!python/name:` for a callable). Returns the values it wrote, so tests compare value
 * by value. Also a tiny ONNX policy with the exporter's tensor names (obs [1, 480] -> actions [1, 29]).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../models/train/onnx/OnnxGraphBuilder.ts';
import { attr, encodeModel } from '../../models/train/onnx/onnxModel.ts';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../../models/train/onnx/writeOnnx.ts';
import { JOINT_IDS_MAP, VENDOR_MODEL_JOINTS, VENDOR_SDK_JOINTS } from './vendorJoints.ts';

/** kp (N·m/rad), kd (N·m·s/rad) by joint kind, as a vendor's actuator config gives them. */
const GAINS: [RegExp, number, number][] = [
  [/hip_pitch/, 100, 2],
  [/hip_roll/, 150, 3],
  [/hip_yaw/, 100, 5],
  [/knee/, 200, 4],
  [/ankle/, 40, 2],
  [/waist/, 200, 5],
  [/shoulder|elbow/, 40, 10],
  [/wrist_roll/, 40, 10],
  [/wrist_(pitch|yaw)/, 20, 2],
];

/** Bent-knee standing pose (rad), by joint name. */
function defaultAngle(j: string): number {
  if (j.includes('hip_pitch')) return -0.312;
  if (j.includes('knee')) return 0.669;
  if (j.includes('ankle_pitch')) return -0.363;
  if (j.includes('elbow')) return 0.6;
  if (j.includes('shoulder_pitch')) return 0.2;
  if (j.includes('shoulder_roll')) return j.startsWith('left') ? 0.2 : -0.2;
  return 0;
}

export interface VendorDeploy {
  readonly path: string;
  /** SDK order. */
  readonly stiffness: number[];
  readonly damping: number[];
  /** Model order. */
  readonly defaultJointPos: number[];
  readonly actionScale: number;
  readonly stepDt: number;
  readonly commandRanges: { lin_vel_x: [number, number]; lin_vel_y: [number, number]; ang_vel_z: [number, number] };
  /** Observation terms in order: name, scale per element, history. */
  readonly observations: { name: string; scale: number[]; history: number }[];
  readonly obsSize: number;
}

export interface VendorDeployOptions {
  /** Replace lines of the text before writing (to make a broken file): [search, replacement]. */
  readonly edits?: [string | RegExp, string][];
}

/** A Python float as PyYAML writes it (1.0, 0.25, -0.312). */
function pyNum(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** `key: [a, b, ...]` wrapped like PyYAML at width 80, continuation lines indented by indent + 2. */
function flow(indent: number, key: string, items: string[], tag = ''): string {
  const pad = ' '.repeat(indent);
  let line = `${pad}${key}: ${tag ? `${tag} ` : ''}[`;
  const lines: string[] = [];
  items.forEach((it, i) => {
    const piece = it + (i < items.length - 1 ? ',' : ']');
    if (line.length + piece.length + 1 > 80 && !line.endsWith('[')) {
      lines.push(line);
      line = `${pad}  ${piece}`;
    } else line += (line.endsWith('[') ? '' : ' ') + piece;
  });
  lines.push(line);
  return lines.join('\n');
}

export function writeVendorDeploy(dir: string, o: VendorDeployOptions = {}): VendorDeploy {
  mkdirSync(dir, { recursive: true });
  const gains = (j: string) => GAINS.find(([re]) => re.test(j))!;
  const stiffness = VENDOR_SDK_JOINTS.map((j) => gains(j)[1]);
  const damping = VENDOR_SDK_JOINTS.map((j) => gains(j)[2]);
  const defaultJointPos = VENDOR_MODEL_JOINTS.map(defaultAngle);
  const n = VENDOR_MODEL_JOINTS.length;
  const rep = (x: number, k: number) => new Array<number>(k).fill(x);
  const observations = [
    { name: 'base_ang_vel', scale: rep(0.2, 3), history: 5 },
    { name: 'projected_gravity', scale: rep(1, 3), history: 5 },
    { name: 'velocity_commands', scale: rep(1, 3), history: 5 },
    { name: 'joint_pos_rel', scale: rep(1, n), history: 5 },
    { name: 'joint_vel_rel', scale: rep(0.05, n), history: 5 },
    { name: 'last_action', scale: rep(1, n), history: 5 },
  ];
  const commandRanges = { lin_vel_x: [-0.5, 1.0] as [number, number], lin_vel_y: [-0.3, 0.3] as [number, number], ang_vel_z: [-1.0, 1.0] as [number, number] };
  const nums = (v: number[]) => v.map(pyNum);
  const obsParams: Record<string, string[]> = {
    base_ang_vel: ['    params: {}'],
    projected_gravity: ['    params: {}'],
    velocity_commands: ['    params: {command_name: base_velocity}'],
    joint_pos_rel: [
      '    params:',
      '      asset_cfg: !!python/object:isaaclab.managers.scene_entity_cfg.SceneEntityCfg',
      '        name: robot',
      '        joint_names: [.*]',
      '        joint_ids: !!python/object/apply:builtins.slice',
      '        - null',
      '        - null',
      '        - null',
      '        preserve_order: false',
    ],
    joint_vel_rel: ['    params: {}'],
    last_action: ['    params: {}'],
  };
  const lines = [
    flow(0, 'joint_ids_map', JOINT_IDS_MAP.map(String)),
    'step_dt: 0.02',
    flow(0, 'stiffness', nums(stiffness)),
    flow(0, 'damping', nums(damping)),
    flow(0, 'default_joint_pos', nums(defaultJointPos)),
    'commands:',
    '  base_velocity:',
    '    ranges:',
    flow(6, 'lin_vel_x', nums(commandRanges.lin_vel_x)),
    '      lin_vel_y: !!python/tuple',
    `      - ${pyNum(commandRanges.lin_vel_y[0])}`,
    `      - ${pyNum(commandRanges.lin_vel_y[1])}`,
    flow(6, 'ang_vel_z', nums(commandRanges.ang_vel_z)),
    flow(6, 'heading', ['-3.14', '3.14'], '!!python/tuple'),
    'actions:',
    '  JointPositionAction:',
    '    clip: null',
    '    joint_names: [.*]',
    flow(4, 'scale', nums(rep(0.25, n))),
    flow(4, 'offset', nums(defaultJointPos)),
    '    joint_ids: null',
    'observations:',
    ...observations.flatMap((t) => [
      `  ${t.name}:`,
      ...obsParams[t.name],
      '    clip: null',
      flow(4, 'scale', nums(t.scale)),
      `    history_length: ${t.history}`,
    ]),
    '',
  ];
  let text = lines.join('\n');
  for (const [a, b] of o.edits ?? []) text = text.replace(a, b);
  const path = join(dir, 'deploy.yaml');
  writeFileSync(path, text);
  const obsSize = observations.reduce((s, t) => s + t.scale.length * t.history, 0);
  return { path, stiffness, damping, defaultJointPos, actionScale: 0.25, stepDt: 0.02, commandRanges, observations, obsSize };
}

/** actions = W·obs (W small and fixed), input "obs" [1, inDim], output "actions" [1, outDim], as the exporter names them. */
export function writeVendorOnnx(file: string, inDim = 480, outDim = 29): string {
  const g = new OnnxGraphBuilder('vendor_policy');
  const x = g.input('obs', 'float32', [1, inDim]);
  const w = new Float32Array(outDim * inDim);
  for (let k = 0; k < outDim; k++) w[k * inDim + k] = 0.01;
  const W = g.initializer('W', 'float32', [outDim, inDim], w);
  const B = g.initializer('B', 'float32', [outDim], new Float32Array(outDim));
  g.node('Gemm', [x, W, B], ['actions'], { transB: attr.int(1) });
  g.output('actions', 'float32', [1, outDim]);
  writeFileSync(file, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-tests', graph: g.build() }));
  return file;
}

/**
 * An LSTM policy as rsl_rl's exporter writes one (unitree_rl_gym's G1, H1 and H1_2 train
 * ActorCriticRecurrent): inputs obs [1, inDim], h_in and c_in [1, 1, hidden]; outputs actions
 * [1, outDim], h_out and c_out [1, 1, hidden] (ONNX LSTM, small fixed weights, actions from h).
 */
export function writeVendorLstmOnnx(file: string, inDim = 47, outDim = 12, hidden = 64): string {
  const g = new OnnxGraphBuilder('vendor_lstm_policy');
  const x = g.input('obs', 'float32', [1, inDim]);
  const h0 = g.input('h_in', 'float32', [1, 1, hidden]);
  const c0 = g.input('c_in', 'float32', [1, 1, hidden]);
  const axes = g.initializer('axes0', 'int64', [1], BigInt64Array.from([0n]));
  const [seq] = g.node('Unsqueeze', [x, axes], ['x_seq']);
  const small = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => 0.01 * Math.sin(i * k));
  const W = g.initializer('W', 'float32', [1, 4 * hidden, inDim], small(4 * hidden * inDim, 0.7));
  const R = g.initializer('R', 'float32', [1, 4 * hidden, hidden], small(4 * hidden * hidden, 1.3));
  const B = g.initializer('B', 'float32', [1, 8 * hidden], new Float32Array(8 * hidden));
  g.node('LSTM', [seq, W, R, B, '', h0, c0], ['Y', 'h_out', 'c_out'], { hidden_size: attr.int(hidden) });
  const shape = g.initializer('hshape', 'int64', [2], BigInt64Array.from([1n, BigInt(hidden)]));
  const [h] = g.node('Reshape', ['h_out', shape], ['h_flat']);
  const Wo = g.initializer('Wo', 'float32', [outDim, hidden], small(outDim * hidden, 2.1));
  g.node('Gemm', [h, Wo], ['actions'], { transB: attr.int(1) });
  g.output('actions', 'float32', [1, outDim]);
  g.output('h_out', 'float32', [1, 1, hidden]);
  g.output('c_out', 'float32', [1, 1, hidden]);
  writeFileSync(file, encodeModel({ irVersion: ONNX_IR_VERSION, opsetImports: [{ domain: '', version: ONNX_OPSET }], producerName: 'axon-tests', graph: g.build() }));
  return file;
}

/**
 * A URDF of the humanoid whose actuated joints are in SDK order, with fixed joints (IMU, torso,
 * head, hands), links and an extension element interleaved between them, as vendor URDFs have.
 */
export function writeVendorUrdf(file: string, actuated: readonly string[] = VENDOR_SDK_JOINTS): string {
  const link = (name: string) => `  <link name="${name}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
  const parts = ['<?xml version="1.0"?>', '<robot name="vendor_humanoid">', '  <mujoco><compiler meshdir="meshes"/></mujoco>', link('pelvis')];
  parts.push(link('imu_in_pelvis'), '  <joint name="imu_in_pelvis_joint" type="fixed"><parent link="pelvis"/><child link="imu_in_pelvis"/></joint>');
  let parent = 'pelvis';
  for (const [i, j] of actuated.entries()) {
    const child = j.replace(/_joint$/, '_link');
    // each limb starts again at the pelvis / torso; within a limb the chain goes on
    if (/hip_pitch|waist_yaw|shoulder_pitch/.test(j)) parent = j.includes('shoulder') ? 'torso_link' : 'pelvis';
    parts.push(link(child));
    parts.push(`  <joint name="${j}" type="revolute"><origin xyz="0 ${i % 2 ? 0.05 : -0.05} -0.05" rpy="0 0 0"/><parent link="${parent}"/><child link="${child}"/><axis xyz="0 1 0"/><limit lower="-2.5" upper="2.5" effort="88" velocity="32"/></joint>`);
    if (j === 'waist_pitch_joint') {
      parts.push(link('torso_link'), `  <joint name="torso_joint" type="fixed"><parent link="${child}"/><child link="torso_link"/></joint>`);
      parts.push(link('head_link'), '  <joint name="head_joint" type="fixed"><parent link="torso_link"/><child link="head_link"/></joint>');
    }
    if (/wrist_yaw/.test(j)) {
      const hand = j.replace('wrist_yaw_joint', 'hand');
      parts.push(link(`${hand}_link`), `  <joint name="${hand}_joint" type="fixed"><parent link="${child}"/><child link="${hand}_link"/></joint>`);
    }
    parent = child;
  }
  parts.push('</robot>', '');
  writeFileSync(file, parts.join('\n'));
  return file;
}
