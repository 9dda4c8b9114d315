import type { RobotSpec } from '../core/robot.ts';
import { ManifestError, actionSize, type ModelManifest } from './manifest.ts';
import { expandScale } from './jointMap.ts';

/** One thing that does not fit between a model and a robot. */
export interface ModelIssue {
  /** Where in the manifest (JSON pointer) or which rate. */
  readonly where: string;
  readonly model: string;
  readonly robot: string;
}

export interface CheckOptions {
  /** Physics / command rate of the robot (Hz), checked to be a whole multiple of the model's rate. */
  readonly robotHz?: number;
}

/**
 * Everything that must hold before a model may drive a robot, as a list of differences (empty =
 * fits): joint names, default pose inside the limits, the position range the actions can reach
 * inside the limits (a warning-free margin is not required: safety clamps, but a model that
 * *always* saturates is wrong), sensors for the terms, and divisible rates.
 */
export function checkModel(m: ModelManifest, spec: RobotSpec, o: CheckOptions = {}): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const robotNames = spec.joints.map((j) => j.name);
  for (const [i, n] of m.joints.entries()) if (!robotNames.includes(n)) issues.push({ where: `/joints/${i}`, model: n, robot: `no such joint (robot has ${robotNames.join(', ')})` });
  const actJoints = m.action.joints ?? m.joints;
  const scale = expandScale(m.action.scale, actionSize(m));
  const clip = m.action.clip;
  for (const [i, n] of m.joints.entries()) {
    const j = spec.joints.find((x) => x.name === n);
    if (!j) continue;
    const def = m.default_joint_pos?.[i] ?? j.defaultPosition;
    if (def < j.lower || def > j.upper) issues.push({ where: `/default_joint_pos/${i}`, model: `${n} default ${def}`, robot: `limits [${j.lower}, ${j.upper}]` });
    const a = actJoints.indexOf(n);
    if (a >= 0 && clip !== undefined && m.action.type === 'joint_position') {
      const lo = def - Math.abs(scale[a]) * clip, hi = def + Math.abs(scale[a]) * clip;
      if (hi < j.lower || lo > j.upper) issues.push({ where: `/action/scale/${a}`, model: `${n} reaches [${lo.toFixed(3)}, ${hi.toFixed(3)}]`, robot: `limits [${j.lower}, ${j.upper}] (no overlap)` });
    }
    if (a >= 0 && m.action.type === 'joint_effort' && j.effortLimit === 0) issues.push({ where: `/action/joints/${a}`, model: `${n} driven by effort`, robot: 'passive joint (effort limit 0)' });
  }
  const needsImu = m.observation.terms.findIndex((t) => t.term === 'base_ang_vel' || t.term === 'projected_gravity');
  if (needsImu >= 0 && !spec.sensors.imu) issues.push({ where: `/observation/terms/${needsImu}`, model: m.observation.terms[needsImu].term, robot: 'no IMU' });
  const mode = { joint_position: 'position', joint_position_abs: 'position', joint_velocity: 'velocity', joint_effort: 'effort' } as const;
  if (!spec.controlModes.includes(mode[m.action.type])) issues.push({ where: '/action/type', model: m.action.type, robot: `control modes ${spec.controlModes.join(', ')}` });
  if (o.robotHz !== undefined) {
    const ratio = o.robotHz / m.control_hz;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-6 || ratio < 1) issues.push({ where: '/control_hz', model: `${m.control_hz} Hz`, robot: `${o.robotHz} Hz is not a whole multiple` });
    else if (m.decimation !== undefined && Math.round(ratio) !== m.decimation) issues.push({ where: '/decimation', model: `${m.decimation} (trained)`, robot: `${Math.round(ratio)} physics steps per policy step` });
  }
  return issues;
}

/** Throws a ManifestError listing every difference, as a readable diff, when the model does not fit. */
export function assertModelFits(m: ModelManifest, spec: RobotSpec, o: CheckOptions = {}, file = 'manifest.json'): void {
  const issues = checkModel(m, spec, o);
  if (issues.length === 0) return;
  const diff = issues.map((x) => `  ${file}#${x.where}: model ${x.model} | robot ${x.robot}`).join('\n');
  throw new ManifestError('MODEL_ROBOT_MISMATCH', file, `model "${m.name}" does not fit robot "${spec.name}" (${issues.length} difference${issues.length > 1 ? 's' : ''}):\n${diff}`);
}
