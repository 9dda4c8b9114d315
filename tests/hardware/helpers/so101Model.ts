/** A temporary model folder for the SO-101 arm: an ONNX MLP with zero weights whose output is a constant pose. */
import { writePoseModel } from './poseModel.ts';

export const SO101_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

export function writeSo101PoseModel(target: readonly number[], controlHz = 50): string {
  return writePoseModel({ name: 'so101-pose-const', dirPrefix: 'axon-so101-pose-', robot: 'so101-follower', joints: SO101_JOINTS }, target, controlHz);
}
