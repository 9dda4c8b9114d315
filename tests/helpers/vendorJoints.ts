/**
 * The 29 actuated joints of the vendor-style humanoid fixture (a Unitree-G1-like layout), in the
 * two orders a vendor's files mix:
 * - SDK order: the motor order of the robot's low-level SDK, which is also the order the vendor's
 *   URDF lists its actuated joints in (legs, waist, arms);
 * - model order: the order Isaac Lab's articulation gives the policy (breadth-first over the
 *   tree, so left/right/waist interleave).
 * `JOINT_IDS_MAP[modelIndex] = sdkIndex`, as deploy.yaml's `joint_ids_map` holds it.
 */
const side = (s: 'left' | 'right') => [
  `${s}_hip_pitch_joint`, `${s}_hip_roll_joint`, `${s}_hip_yaw_joint`, `${s}_knee_joint`, `${s}_ankle_pitch_joint`, `${s}_ankle_roll_joint`,
];
const arm = (s: 'left' | 'right') => [
  `${s}_shoulder_pitch_joint`, `${s}_shoulder_roll_joint`, `${s}_shoulder_yaw_joint`, `${s}_elbow_joint`, `${s}_wrist_roll_joint`, `${s}_wrist_pitch_joint`, `${s}_wrist_yaw_joint`,
];
export const VENDOR_SDK_JOINTS: readonly string[] = [...side('left'), ...side('right'), 'waist_yaw_joint', 'waist_roll_joint', 'waist_pitch_joint', ...arm('left'), ...arm('right')];

export const JOINT_IDS_MAP: readonly number[] = [0, 6, 12, 1, 7, 13, 2, 8, 14, 3, 9, 15, 22, 4, 10, 16, 23, 5, 11, 17, 24, 18, 25, 19, 26, 20, 27, 21, 28];

export const VENDOR_MODEL_JOINTS: readonly string[] = JOINT_IDS_MAP.map((i) => VENDOR_SDK_JOINTS[i]);
