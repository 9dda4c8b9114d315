/** A temporary model folder for the 6-servo arm: an ONNX MLP with zero weights whose output is a constant pose. */
import { writePoseModel } from './poseModel.ts';

export const ARM_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll', 'gripper'];

export function writeConstantPoseModel(target: readonly number[], controlHz = 50): string {
  return writePoseModel({ name: 'arm-reach-const', dirPrefix: 'axon-arm-reach-', robot: 'arm6-xm430', joints: ARM_JOINTS }, target, controlHz);
}
