import type { RobotSpec } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import { ManifestError, type ModelManifest } from './manifest.ts';

/**
 * Index of each model joint in the robot's joint order, matched by name. Refuses with the full
 * difference (missing and extra names) so that a model trained with another robot's joint naming
 * is caught before arming, not after the robot falls.
 */
export function mapJoints(names: readonly string[], spec: RobotSpec, where: string): Int32Array {
  const robotNames = spec.joints.map((j) => j.name);
  const missing = names.filter((n) => !robotNames.includes(n));
  if (missing.length > 0) {
    const unused = robotNames.filter((n) => !names.includes(n));
    throw new ManifestError(
      'MODEL_ROBOT_MISMATCH',
      where,
      // Names from a bridge's hello or a user's file: made printable (src/core/printable.ts).
      `joints not on robot "${printable(spec.name)}": ${printable(missing.join(', '))}` + (unused.length ? `; robot joints the model does not name: ${printable(unused.join(', '))}` : ''),
      `names from ${printable(robotNames.join(', '))}`,
    );
  }
  return Int32Array.from(names, (n) => robotNames.indexOf(n));
}

/** Default pose per model joint: the manifest's when given, else the robot's. */
export function modelDefaults(m: ModelManifest, spec: RobotSpec, robotIndex: Int32Array): Float32Array {
  if (m.default_joint_pos) return Float32Array.from(m.default_joint_pos);
  return Float32Array.from(robotIndex, (r) => spec.joints[r].defaultPosition);
}

/** Expands a scale given as one number or a list into one value per element. */
export function expandScale(v: number | number[] | undefined, n: number): Float32Array {
  if (v === undefined) return new Float32Array(n).fill(1);
  if (typeof v === 'number') return new Float32Array(n).fill(v);
  return Float32Array.from(v);
}
