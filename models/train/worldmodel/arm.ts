/**
 * Trains models/arm-wm: residual MLP dynamics of the 6-servo arm of hardware/robots/arm6-xm430.json
 * (its URDF, hardware/robots/arm6-xm430.urdf, fixed base, simulated in axon's cannon-es simulator
 * on implicit position PD with the servo's armature) at the 50 Hz control period; and writes models/arm6-pose, the linear policy
 * (zero weights, a bias) that holds a pose near the joint limits, the policy the shield is shown
 * with. Action: joint_position relative to the default pose, scale 2 rad, clip ±1, the policy's.
 * Training data: random piecewise-constant targets from random states over the joint ranges, and
 * the pose policy with action noise of random strength (std 0–0.6). The state carries the last
 * action, so the shield's constraints cover both the predicted joint positions (limits − 0.05 rad)
 * and the commanded targets (limits − 0.3 rad: the network's last_action is learned, its 1-step
 * error about 0.05 raw = 0.1 rad, so the margin is 3 of those).
 *
 * The simulator's shipped arm (sim/robots/arm.ts) has other joints (waist, shoulder, elbow,
 * forearm_roll, wrist_pitch, wrist_roll): a world model is bound to its robot's joint names, so
 * this one is trained on the real arm's own URDF.
 *
 *   npx tsx models/train/worldmodel/arm.ts [--seed 1] [--out models/arm-wm] [--epochs 20]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SimRobot } from '../../../sim/SimRobot.ts';
import { loadUrdf } from '../../../sim/urdf/loadUrdf.ts';
import { validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import type { SimulatedRobot } from '../../../src/core/robot.ts';
import { makeDirs } from '../../../src/core/makeDirs.ts';
import { Rng } from '../../../src/core/rng.ts';
import { Mlp } from '../mlp.ts';
import { writeOnnxFile, mlpToOnnx } from '../onnx/writeOnnx.ts';
import type { Controller, EpisodePlan } from './dynamics.ts';
import { trainWorldModel, type WorldModelBuild } from './build.ts';

export const ARM6_URDF = 'hardware/robots/arm6-xm430.urdf';
export const ARM6_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll', 'gripper'];
/** Servo-like position PD in the simulator (N·m/rad, N·m·s/rad); XM430 effort limit 3 N·m (URDF). */
export const ARM6_GAINS = { kp: 8, kd: 0.4 };
/** Reflected rotor inertia of an XM430-W350 (353:1 gear) as the simulator's armature (kg·m²). */
export const ARM6_ARMATURE = 0.01;
/** Raw action of models/arm6-pose (× scale 2 rad = targets 0.6, 1.4, −1.8, 1.4, 1.0, 0.8 rad: 0.4 rad inside the limits). */
export const ARM6_POSE = [0.3, 0.7, -0.9, 0.7, 0.5, 0.4];
const ACTION = { type: 'joint_position' as const, scale: 2, clip: 1 };
export const ARM6_POSE_DIR = 'models/arm6-pose';

/** The arm in axon's simulator: fixed base, PD gains on every joint, default pose 0. */
export function arm6SimRobot(physicsDt = 0.002): SimRobot {
  const jointDefaults = Object.fromEntries(ARM6_JOINTS.map((j) => [j, { defaultPosition: 0, ...ARM6_GAINS, armature: ARM6_ARMATURE }]));
  return new SimRobot(loadUrdf(ARM6_URDF), { fixedBase: true, physicsDt, jointDefaults, pd: 'implicit' });
}

export function armWmManifest(seed: number): Omit<ModelManifest, 'world_model'> {
  return {
    schema: 'axon.model/1',
    name: 'arm-wm',
    kind: 'world-model',
    robot: 'arm6-xm430',
    joints: ARM6_JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'state', action_input: 'action', output: 'delta' },
    observation: { terms: [{ term: 'joint_pos' }, { term: 'joint_vel' }, { term: 'last_action' }] },
    action: { ...ACTION },
    provenance: { script: 'models/train/worldmodel/arm.ts', seed, command: `npx tsx models/train/worldmodel/arm.ts --seed ${seed}` },
  };
}

/**
 * The joint limits, twice: every joint's predicted position inside its limits with `margin` (rad),
 * and every commanded target (the state's last_action: default 0 + scale × action) inside them with
 * `targetMargin` (rad, > 3 × the learned last_action's 1-step RMS error in rad), so that no
 * command the safety supervisor would clamp gets through.
 */
export function armConstraints(robot: SimulatedRobot, margin = 0.05, targetMargin = 0.3) {
  const r = (x: number) => +x.toFixed(4);
  return [
    ...robot.spec.joints.map((j) => ({ name: `${j.name}_limit`, state: `joint_pos.${j.name}`, lower: r(j.lower + margin), upper: r(j.upper - margin) })),
    ...robot.spec.joints.map((j) => ({ name: `${j.name}_target_limit`, state: `last_action.${j.name}`, lower: r((j.lower + targetMargin) / ACTION.scale), upper: r((j.upper - targetMargin) / ACTION.scale) })),
  ];
}

/** models/arm6-pose: a linear policy (zero weights) whose output is ARM6_POSE. */
export async function writeArmPosePolicy(out = ARM6_POSE_DIR, seed = 1): Promise<string> {
  const n = ARM6_JOINTS.length;
  const mlp = new Mlp([n, n], 'tanh', 'identity', new Rng(seed));
  mlp.params.fill(0);
  mlp.bias(0).set(ARM6_POSE);
  makeDirs(out);
  const sha = await writeOnnxFile(join(out, 'model.onnx'), mlpToOnnx(mlp));
  const manifest = validateManifest({
    schema: 'axon.model/1',
    name: 'arm6-pose',
    kind: 'policy',
    robot: 'arm6-xm430',
    joints: ARM6_JOINTS,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
    observation: { terms: [{ term: 'joint_pos' }] },
    action: { ...ACTION },
    provenance: { script: 'models/train/worldmodel/arm.ts', seed, command: `npx tsx models/train/worldmodel/arm.ts --seed ${seed}`, note: 'linear: zero weights, bias = the raw pose; not trained' },
  });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(
    join(out, 'README.md'),
    `# arm6-pose

A linear policy for the arm of \`hardware/robots/arm6-xm430.json\` (zero weights, bias = raw action
[${ARM6_POSE.join(', ')}], × scale ${ACTION.scale} rad relative to the default pose): it holds a pose near the
joint limits. Not trained: it exists to show the world-model shield (\`models/arm-wm\`) with
\`--action-noise\`. Written by \`npx tsx models/train/worldmodel/arm.ts\` (model.onnx sha256 \`${sha}\`).
`,
  );
  return sha;
}

function init(robot: SimulatedRobot, rng: Rng): void {
  const r = robot as unknown as { setEpisodeInitialState(p: number[], v: number[]): void; reset(): void };
  r.setEpisodeInitialState(
    robot.spec.joints.map((j) => rng.uniform(j.lower + 0.1, j.upper - 0.1)),
    robot.spec.joints.map(() => rng.uniform(-0.5, 0.5)),
  );
  r.reset();
}

export async function buildArmWm(seed: number, out: string, epochs = 20, log: (l: string) => void = console.log): Promise<WorldModelBuild> {
  const robot = arm6SimRobot();
  const A = ARM6_JOINTS.length;
  const randomTargets = (rng: Rng): Controller => {
    let hold = 0;
    const u = new Float32Array(A);
    return (_s, _k, o) => {
      if (hold-- <= 0) {
        hold = 2 + rng.int(14);
        for (let j = 0; j < A; j++) u[j] = rng.uniform(-1.1, 1.1);
      }
      o.set(u);
    };
  };
  const noisyPose = (rng: Rng): Controller => {
    const std = rng.uniform(0, 0.6);
    return (_s, _k, o) => {
      for (let j = 0; j < A; j++) o[j] = Math.max(-1, Math.min(1, ARM6_POSE[j] + std * rng.normal()));
    };
  };
  const plans: EpisodePlan[] = [];
  for (let e = 0; e < 120; e++) plans.push({ seed: (seed * 1_000_003 + e) >>> 0, ticks: 100, init, controller: randomTargets });
  for (let e = 0; e < 60; e++) plans.push({ seed: (seed * 1_000_003 + 500_000 + e) >>> 0, ticks: 100, init, controller: noisyPose });
  // The training's session owns the robot and closes it.
  return trainWorldModel({
    robot,
    base: armWmManifest(seed),
    plans,
    angles: [],
    constraints: armConstraints(robot),
    hidden: [64, 64],
    epochs,
    seed,
    out,
    log,
    validate: validateManifest,
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, out: { type: 'string', default: 'models/arm-wm' }, epochs: { type: 'string', default: '20' } } });
  await writeArmPosePolicy(ARM6_POSE_DIR, Number(values.seed));
  await buildArmWm(Number(values.seed), values.out!, Number(values.epochs));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
