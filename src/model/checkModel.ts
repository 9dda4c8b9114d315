import type { RobotSpec } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import { ManifestError, actionSize, termFrameLinks, type ModelManifest, type ObservationTermName } from './manifest.ts';
import { expandScale } from './jointMap.ts';
import { frameSourcesText } from './ObservationBuilder.ts';
import { affixNote, suggestJointNames } from './suggestJointNames.ts';

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
  /**
   * Position actions need a position gain on every action joint (the manifest's `pd.kp` or the
   * robot's default kp > 0): a simulated joint with kp 0 goes limp. Off by default: a servo in
   * position mode may use its own firmware gains.
   */
  readonly requireGains?: boolean;
}

/**
 * What the robot must have for each observation term that reads a sensor. A term whose source is
 * missing would read zeros (or nothing) on that robot: it is refused, never silently zero.
 */
const TERM_SOURCES: Partial<Record<ObservationTermName, { readonly has: (s: RobotSpec) => boolean; readonly lacks: string }>> = {
  base_ang_vel: { has: (s) => s.sensors.imu, lacks: 'no IMU' },
  projected_gravity: { has: (s) => s.sensors.imu, lacks: 'no IMU' },
  base_euler_xyz: { has: (s) => s.sensors.imu, lacks: 'no IMU' },
  base_lin_vel: { has: (s) => s.sensors.baseVelocity === true, lacks: 'no base-velocity estimate (sensors.baseVelocity): the term would read zeros' },
};

/** base_lin_vel with point "com": the centre of mass's velocity, which only a simulator gives here. */
const BASE_COM_VELOCITY = {
  has: (s: RobotSpec) => s.sensors.baseCom === true,
  lacks: 'no centre-of-mass velocity (sensors.baseCom); point "origin" reads the base origin\'s, which differs by ω × r',
};

/**
 * The links a simulator must report besides its IMU for the manifest's IMU terms (each term's `link`
 * that is not `imu_link`: RobotSpec.sensors.imuFrames), split into those the robot has and an issue
 * for each it lacks (naming the term, the link, and the robot's links). `kind` is "link" (a URDF)
 * or "body" (an MJCF).
 */
export function termLinkFrames(m: ModelManifest, links: readonly string[], kind: 'link' | 'body'): { frames: string[]; issues: ModelIssue[] } {
  const frames: string[] = [];
  const issues: ModelIssue[] = [];
  const have = new Set(links);
  for (const link of termFrameLinks(m)) {
    if (have.has(link)) {
      frames.push(link);
      continue;
    }
    for (const [i, t] of m.observation.terms.entries())
      if (t.link === link) issues.push({ where: `/observation/terms/${i}/link`, model: `${t.term} in "${link}"`, robot: `no ${kind} "${link}" (${kind === 'link' ? 'links' : 'bodies'}: ${links.join(', ')})` });
  }
  return { frames, issues };
}

/** Observation terms the robot cannot provide, with the manifest index of each and what is missing. */
export function unprovidedTerms(m: ModelManifest, spec: RobotSpec): { index: number; term: ObservationTermName; lacks: string }[] {
  const out: { index: number; term: ObservationTermName; lacks: string }[] = [];
  for (const [index, t] of m.observation.terms.entries()) {
    const src = t.term === 'base_lin_vel' && t.point === 'com' ? BASE_COM_VELOCITY : TERM_SOURCES[t.term];
    if (src !== undefined && !src.has(spec)) out.push({ index, term: t.term, lacks: src.lacks });
    // An IMU term read in another link than the IMU's (torso IMU, pelvis gravity): only a robot reporting that link gives it
    // (a simulator; a real robot wrapped by withLinkFrames, which derives it from the IMU and the joints: src/model/linkFrames.ts).
    else if (t.link !== undefined && t.link !== m.imu_link && !(spec.sensors.imuFrames ?? []).includes(t.link))
      out.push({ index, term: t.term, lacks: `no orientation or angular velocity of link "${printable(t.link)}" (${frameSourcesText(spec)}): the term is read in that link's frame, and no robot description gives the joints between (a bridge client derives it with --urdf FILE)` });
  }
  return out;
}

/**
 * Everything that must hold before a model may drive a robot, as a list of differences (empty =
 * fits): joint names, default pose inside the limits, the position range the actions can reach
 * inside the limits (a warning-free margin is not required: safety clamps, but a model that
 * *always* saturates is wrong), a sensor behind every observation term (no term silently reads
 * zeros: an IMU for base_ang_vel / projected_gravity, a base-velocity estimate for base_lin_vel),
 * no action on a follower (a URDF `<mimic>`, an MJCF's `<equality><joint>`) whose leader the model does not drive (it would never
 * move), position gains (when asked) and divisible rates.
 */
export function checkModel(m: ModelManifest, spec: RobotSpec, o: CheckOptions = {}): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const robotNames = spec.joints.map((j) => j.name);
  // The robot's names are listed once beside the differences (missingJointNotes), not per joint.
  const names = suggestJointNames(m.joints, robotNames);
  for (const [i, n] of m.joints.entries()) {
    if (robotNames.includes(n)) continue;
    const r = names.suggestions.get(n);
    issues.push({ where: `/joints/${i}`, model: n, robot: r ? `no such joint (did you mean ${r}?)` : 'no such joint' });
  }
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
    const tc = a >= 0 && (m.action.type === 'joint_position' || m.action.type === 'joint_position_abs') ? m.action.target_clip?.[a] : undefined;
    if (tc && (tc[1] < j.lower || tc[0] > j.upper)) issues.push({ where: `/action/target_clip/${a}`, model: `${n} targets bounded to [${tc[0]}, ${tc[1]}]`, robot: `limits [${j.lower}, ${j.upper}] (no overlap)` });
    if (a >= 0 && m.action.type === 'joint_effort' && j.effortLimit === 0) issues.push({ where: `/action/joints/${a}`, model: `${n} driven by effort`, robot: 'passive joint (effort limit 0)' });
  }
  if (o.requireGains && (m.action.type === 'joint_position' || m.action.type === 'joint_position_abs'))
    for (const [a, n] of actJoints.entries()) {
      const j = spec.joints.find((x) => x.name === n);
      if (!j) continue;
      const kp = m.pd?.kp[a] ?? j.kp;
      if (!(kp > 0)) issues.push({ where: m.pd ? `/pd/kp/${a}` : '/pd', model: `${n} position action, kp ${kp}`, robot: 'no position gain of its own (a pd.kp > 0 is needed)' });
    }
  // A follower (JointSpec.mimic: a URDF <mimic>, an MJCF's <equality><joint>) moves only with its leader: an action on it alone would do nothing.
  for (const f of mimicActions(m, spec)) if (!f.leaderDriven) issues.push({ where: f.where, model: `${f.joint} driven`, robot: `the policy cannot move ${f.joint}: it follows ${f.leader} (coupled to it), which the policy does not drive` });
  for (const u of unprovidedTerms(m, spec)) issues.push({ where: `/observation/terms/${u.index}`, model: u.term, robot: u.lacks });
  const mode = { joint_position: 'position', joint_position_abs: 'position', joint_velocity: 'velocity', joint_effort: 'effort' } as const;
  if (!spec.controlModes.includes(mode[m.action.type])) issues.push({ where: '/action/type', model: m.action.type, robot: `control modes ${spec.controlModes.join(', ')}` });
  if (o.robotHz !== undefined) {
    const ratio = o.robotHz / m.control_hz;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-6 || ratio < 1) issues.push({ where: '/control_hz', model: `${m.control_hz} Hz`, robot: `${o.robotHz} Hz is not a whole multiple` });
    else if (m.decimation !== undefined && Math.round(ratio) !== m.decimation) issues.push({ where: '/decimation', model: `${m.decimation} (trained)`, robot: `${Math.round(ratio)} physics steps per policy step; ${+(m.control_hz * m.decimation).toPrecision(12)} Hz physics (sim --physics-hz) gives the training's` });
  }
  return issues;
}

/** The model's action joints that follow another on this robot (JointSpec.mimic), whether the model drives that one too, and the manifest pointer. */
function mimicActions(m: ModelManifest, spec: RobotSpec): { where: string; joint: string; leader: string; leaderDriven: boolean; line: string }[] {
  const actJoints = m.action.joints ?? m.joints;
  return actJoints.flatMap((n, i) => {
    const mimic = spec.joints.find((j) => j.name === n)?.mimic;
    if (mimic === undefined) return [];
    const formula = `q = ${+mimic.multiplier.toPrecision(6)}·q(${mimic.joint}) ${mimic.offset < 0 ? '-' : '+'} ${+Math.abs(mimic.offset).toPrecision(6)}`;
    const where = `${m.action.joints ? '/action/joints' : '/joints'}/${i}`;
    return [{ where, joint: n, leader: mimic.joint, leaderDriven: actJoints.includes(mimic.joint), line: `${n} follows ${mimic.joint} (coupled, ${formula}): the robot ignores its action and moves it with ${mimic.joint}` }];
  });
}

/**
 * The model's action joints that follow another joint on this robot (JointSpec.mimic, a URDF
 * `<mimic>` or an MJCF's `<equality><joint>`: the spec does not say which, so the lines say
 * "coupled") which the model drives too: the robot ignores their targets and moves them with the
 * joint they follow. Said, not refused: an Isaac Lab Franka policy commands both fingers alike (the
 * USD it trained on has no mimic), which the vendor URDF's `<mimic>` does for it. A follower whose
 * leader the model does not drive is refused by checkModel instead (the policy could not move it).
 * `where` is the manifest pointer.
 */
export function mimicActionJoints(m: ModelManifest, spec: RobotSpec): { where: string; joint: string; line: string }[] {
  return mimicActions(m, spec).flatMap((f) => (f.leaderDriven ? [{ where: f.where, joint: f.joint, line: f.line }] : []));
}

/**
 * What goes once beside the differences when model joints are missing from the robot: the affix
 * the names differ by, when one does (suggestJointNames), and the robot's joint names. Empty when
 * none is missing.
 */
export function missingJointNotes(m: ModelManifest, spec: RobotSpec): string[] {
  const robotNames = spec.joints.map((j) => j.name);
  const names = suggestJointNames(m.joints, robotNames);
  if (names.missing.length === 0) return [];
  const note = affixNote(names);
  return [...(note ? [note] : []), `joints of robot "${spec.name}": ${robotNames.join(', ')}`];
}

/** Throws a ManifestError listing every difference, as a readable diff, when the model does not fit. */
export function assertModelFits(m: ModelManifest, spec: RobotSpec, o: CheckOptions = {}, file = 'manifest.json'): void {
  const issues = checkModel(m, spec, o);
  if (issues.length === 0) return;
  // Joint and robot names come from a bridge's hello or a user's file: made printable (src/core/printable.ts).
  const diff = [...issues.map((x) => `  ${file}#${x.where}: model ${printable(x.model)} | robot ${printable(x.robot)}`), ...missingJointNotes(m, spec).map((l) => `  ${printable(l)}`)].join('\n');
  throw new ManifestError('MODEL_ROBOT_MISMATCH', file, `model "${printable(m.name)}" does not fit robot "${printable(spec.name)}" (${issues.length} difference${issues.length > 1 ? 's' : ''}):\n${diff}`);
}
