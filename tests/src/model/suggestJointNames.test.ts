import { describe, expect, it } from 'vitest';
import { affixNote, editDistance, suggestJointNames, withSuggestion } from '../../../src/model/suggestJointNames.ts';

/** Unitree H1-2 (h1_2_handless.urdf), legs then torso and an arm: the names a vendor description uses. */
const H1_2 = [
  'left_hip_yaw_joint', 'left_hip_pitch_joint', 'left_hip_roll_joint', 'left_knee_joint', 'left_ankle_pitch_joint', 'left_ankle_roll_joint',
  'right_hip_yaw_joint', 'right_hip_pitch_joint', 'right_hip_roll_joint', 'right_knee_joint', 'right_ankle_pitch_joint', 'right_ankle_roll_joint',
  'torso_joint', 'left_shoulder_pitch_joint', 'left_elbow_joint',
];
/** The same legs as a model trained on an MJCF names them. */
const LEGS = ['left_hip_yaw', 'left_hip_roll', 'left_hip_pitch', 'left_knee', 'left_ankle_pitch', 'left_ankle_roll', 'right_hip_yaw', 'right_hip_roll', 'right_hip_pitch', 'right_knee', 'right_ankle_pitch', 'right_ankle_roll'];

describe('which robot joint a model joint the robot lacks most likely is', () => {
  it("one consistent suffix: each name gets its robot name, and the suffix is said once", () => {
    const s = suggestJointNames(LEGS, H1_2);
    expect(s.missing).toEqual(LEGS);
    for (const n of LEGS) expect(s.suggestions.get(n)).toBe(`${n}_joint`);
    expect(s.affix).toEqual({ side: 'suffix', text: '_joint', robotAdds: true, count: 12 });
    expect(affixNote(s)).toMatch(/^the robot's names add the suffix '_joint' to each of the model's: the model was exported for another description of this robot/);
    expect(withSuggestion('left_knee', s)).toBe('left_knee (did you mean left_knee_joint?)');
  });

  it('a prefix, and names the model carries an affix on that the robot drops', () => {
    const prefixed = suggestJointNames(['FL_hip', 'FL_thigh', 'FR_hip'], ['go2/FL_hip', 'go2/FL_thigh', 'go2/FR_hip']);
    expect(prefixed.affix).toMatchObject({ side: 'prefix', text: 'go2/', robotAdds: true, count: 3 });
    expect(prefixed.suggestions.get('FR_hip')).toBe('go2/FR_hip');
    const dropped = suggestJointNames(['FL_hip_joint', 'FR_hip_joint'], ['FL_hip', 'FR_hip']);
    expect(dropped.affix).toMatchObject({ side: 'suffix', text: '_joint', robotAdds: false, count: 2 });
    expect(affixNote(dropped)).toMatch(/^the robot's names lack the suffix '_joint' of each of the model's/);
  });

  it('case and separators, camelCase boundaries, and small typos', () => {
    const s = suggestJointNames(['LeftHipYaw', 'elbowFlex', 'left_sholder_pitch'], ['left_hip_yaw', 'elbowFlexJoint', 'left_shoulder_pitch']);
    expect(s.suggestions.get('LeftHipYaw')).toBe('left_hip_yaw');
    expect(s.suggestions.get('elbowFlex')).toBe('elbowFlexJoint');
    expect(s.suggestions.get('left_sholder_pitch')).toBe('left_shoulder_pitch');
    // three different relations, no single affix to state
    expect(s.affix).toBeNull();
    expect(affixNote(s)).toBeNull();
  });

  it('no suggestion without a clear match: sides, numbers, ties, unrelated names', () => {
    // FR_hip is one letter from FL_hip, but it is the other leg
    expect(suggestJointNames(['FL_hip'], ['FR_hip']).suggestions.get('FL_hip')).toBeNull();
    expect(suggestJointNames(['joint1'], ['joint2']).suggestions.get('joint1')).toBeNull();
    // two robot names extend "hip": which one is not clear
    expect(suggestJointNames(['hip'], ['hip_pitch_joint', 'hip_roll_joint']).suggestions.get('hip')).toBeNull();
    // "kneecap" is not knee plus an affix cut at a word boundary
    expect(suggestJointNames(['knee'], ['kneecap']).suggestions.get('knee')).toBeNull();
    const far = suggestJointNames(['slider', 'pole_hinge'], ['slider', 'hinge']);
    expect(far.missing).toEqual(['pole_hinge']);
    // hinge is pole_hinge less a prefix: a clear single match
    expect(far.suggestions.get('pole_hinge')).toBe('hinge');
    expect(suggestJointNames(['left_hip_yaw', 'waist'], ['shoulder', 'elbow']).suggestions).toEqual(new Map([['left_hip_yaw', null], ['waist', null]]));
    // a robot name the model already names exactly is that joint, never a suggestion for another
    expect(suggestJointNames(['knee', 'knee_joint'], ['knee_joint']).suggestions.get('knee')).toBeNull();
    // one robot name two missing names would both get is clear for neither
    const both = suggestJointNames(['Knee', 'knee'], ['KNEE']);
    expect([...both.suggestions.values()]).toEqual([null, null]);
    // a side glued to a camelCase word (NAO's LHipPitch) is a token of its own: never the other side
    expect(suggestJointNames(['LHipPitch', 'LKneePitch'], ['RHipPitch', 'RKneePitch']).suggestions).toEqual(new Map([['LHipPitch', null], ['LKneePitch', null]]));
  });

  it('the common affix decides between candidates, and says how many it explains', () => {
    const robot = ['left_knee_joint', 'left_knee_motor', 'left_hip_joint', 'right_hip_joint', 'neck_yaw'];
    const s = suggestJointNames(['left_knee', 'left_hip', 'right_hip', 'head_pan'], robot);
    expect(s.suggestions.get('left_knee')).toBe('left_knee_joint');
    expect(s.suggestions.get('head_pan')).toBeNull();
    expect(s.affix).toMatchObject({ text: '_joint', count: 3 });
    expect(affixNote(s)).toMatch(/add the suffix '_joint' to 3 of the 4 missing model names/);
  });

  it('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
