import { suggestJointNames } from './src/model/suggestJointNames.ts';
const t = (m: string[], r: string[]) => { const s = suggestJointNames(m, r); console.log(JSON.stringify(m), '->', JSON.stringify([...s.suggestions]), s.affix); };
t(['LHipPitch', 'LKneePitch'], ['RHipPitch', 'RKneePitch']);
t(['lhip_pitch'], ['rhip_pitch', 'x']);
t(['elbow'], ['left_elbow', 'left_wrist']);
t(['joint_1'], ['joint_10']);
t(['hip'], ['hip_pitch']);
t(['FL_hip_joint','FR_hip_joint'], ['FL_hip','RL_hip']);
t(['left_knee_joint', 'right_knee_joint', 'waist'], ['left_knee', 'right_knee', 'waist_yaw']);
