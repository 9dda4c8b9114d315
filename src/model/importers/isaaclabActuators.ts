/**
 * scene.robot.actuators of an Isaac Lab env.yaml (and, where a group leaves a value null, the
 * articulation's own: a URDF-spawned robot's drive gains, the URDF's velocity limits): the pd and
 * actuators of the manifest manifestFromIsaacLab writes (src/model/importers/isaaclab.ts, whose
 * header says how patterns and null values are read).
 */
import type { ModelManifest } from '../manifest.ts';
import { compact, ImportError, isObj, lastName, matchValues, num, selectJoints } from './common.ts';

type ActField = 'stiffness' | 'damping' | 'armature' | 'friction' | 'effort_limit' | 'velocity_limit';

/**
 * The drive gains a URDF-spawned robot's USD holds (scene.robot.spawn.joint_drive, Isaac Lab's
 * UrdfConverterCfg.JointDriveCfg): gains.stiffness/damping (PDGainsCfg: one number or a
 * {pattern: value} map, N·m/rad as written) per joint, 0 for target_type "none" (the converter zeroes
 * both). Undefined per joint where not set, and for NaturalFrequencyGainsCfg (computed from the
 * inertia by the importer) or a robot not spawned from a URDF (no joint_drive).
 */
function spawnDriveGains(spawn: unknown, joints: readonly string[], file: string): Record<'stiffness' | 'damping', (number | undefined)[]> | undefined {
  if (!isObj(spawn) || !isObj(spawn.joint_drive)) return undefined;
  const d = spawn.joint_drive;
  const w = `${file}: scene.robot.spawn.joint_drive`;
  if (d.target_type === 'none') return { stiffness: joints.map(() => 0), damping: joints.map(() => 0) };
  const g = d.gains;
  if (!isObj(g) || 'natural_frequency' in g) return undefined;
  const per = (k: 'stiffness' | 'damping'): (number | undefined)[] => {
    const v = g[k];
    const vals = v === undefined || v === null ? joints.map(() => undefined) : isObj(v) ? matchValues(v, joints, `${w}.gains.${k}`) : joints.map(() => v);
    return vals.map((x, i) => {
      if (x === undefined || x === null) return undefined;
      const n = num(x, isObj(v) ? `${w}.gains.${k} (${joints[i]})` : `${w}.gains.${k}`);
      if (!(n >= 0)) throw new ImportError(`${w}.gains.${k}`, `is ${JSON.stringify(v)}`, 'a gain >= 0 for every joint');
      return n;
    });
  };
  return { stiffness: per('stiffness'), damping: per('damping') };
}

/**
 * scene.robot.actuators: the group that drives each joint, then each value per joint (undefined:
 * no group, no pattern of the group's map, or null). pd when every action joint has both gains;
 * each actuators field when every joint has a value. Everything else is noted.
 */
export function readActuators(
  groups: unknown,
  joints: readonly string[],
  actJoints: readonly string[],
  file: string,
  note: (path: string, what: string) => void,
  robot: { spawn?: unknown; urdfVelocity?: ReadonlyMap<string, number> } = {},
): { pd?: NonNullable<ModelManifest['pd']>; actuators?: NonNullable<ModelManifest['actuators']> } {
  if (!isObj(groups) || Object.keys(groups).length === 0) {
    note('scene.robot.actuators', 'missing, so no pd and no actuators are written (the robot\'s own gains and limits are used)');
    return {};
  }
  const owner: (string | undefined)[] = joints.map(() => undefined);
  const values: Record<ActField, (number | undefined)[]> = {
    stiffness: joints.map(() => undefined),
    damping: joints.map(() => undefined),
    armature: joints.map(() => undefined),
    friction: joints.map(() => undefined),
    effort_limit: joints.map(() => undefined),
    velocity_limit: joints.map(() => undefined),
  };
  /** implicit (ImplicitActuator: PhysX's PD) or explicit (every other class: PD computed by Isaac Lab, torque sent). */
  const laws = new Set<'implicit' | 'explicit'>();
  /** Groups where a field was null ("the USD's value"), or a map left some of its joints out. */
  const unset: Record<ActField, string[]> = { stiffness: [], damping: [], armature: [], friction: [], effort_limit: [], velocity_limit: [] };
  for (const [g, a] of Object.entries(groups)) {
    const gp = `scene.robot.actuators.${g}`;
    const gw = `${file}: ${gp}`;
    if (a === null) continue;
    if (!isObj(a)) throw new ImportError(gw, `is ${JSON.stringify(a)}`, 'an actuator cfg mapping (class_type, joint_names_expr, stiffness, damping, ...)');
    const sel = selectJoints(a.joint_names_expr, joints, `${gw}.joint_names_expr`);
    const idx = sel.map((j) => joints.indexOf(j));
    for (const i of idx) {
      if (owner[i] !== undefined)
        throw new ImportError(`${gw}.joint_names_expr`, `"${joints[i]}" is driven by two actuator groups, "${owner[i]}" and "${g}"`, 'each joint in one actuator group');
      owner[i] = g;
    }
    const cls = typeof a.class_type === 'string' ? lastName(a.class_type) : String(a.class_type);
    const implicit = cls === 'ImplicitActuator';
    laws.add(implicit ? 'implicit' : 'explicit');
    if (!implicit && cls !== 'IdealPDActuator')
      note(`${gp}.class_type`, `is "${a.class_type}": its gains and limits are read, the rest of its torque model (saturation curve, delay, network) is not; axon applies an ideal explicit PD`);
    // ImplicitActuator: effort_limit_sim, else effort_limit (Isaac Lab copies it over); explicit models clip their torque at effort_limit.
    const [effortFirst, effortThen] = implicit ? ['effort_limit_sim', 'effort_limit'] : ['effort_limit', 'effort_limit_sim'];
    const effortKey = a[effortFirst] !== undefined && a[effortFirst] !== null ? effortFirst : effortThen;
    const sources: Record<ActField, [string, unknown]> = {
      stiffness: ['stiffness', a.stiffness],
      damping: ['damping', a.damping],
      armature: ['armature', a.armature],
      friction: ['friction', a.friction],
      effort_limit: [effortKey, a[effortKey]],
      velocity_limit: ['velocity_limit_sim', a.velocity_limit_sim], // an ImplicitActuator ignores velocity_limit
    };
    for (const [f, [key, v]] of Object.entries(sources) as [ActField, [string, unknown]][]) {
      const w = `${gw}.${key}`;
      const per = v === undefined || v === null ? sel.map(() => undefined) : isObj(v) ? matchValues(v, sel, w) : sel.map(() => v);
      per.forEach((x, k) => (values[f][idx[k]] = x === undefined || x === null ? undefined : num(x, isObj(v) ? `${w} (${sel[k]})` : w)));
      if ((f === 'effort_limit' || f === 'velocity_limit') && per.some((x, k) => values[f][idx[k]] !== undefined && !(values[f][idx[k]]! > 0)))
        throw new ImportError(w, `is ${JSON.stringify(v)}`, `a limit > 0 for every joint of the group (axon reads an effort limit of 0 as a passive joint; leave such a joint out of the actuators)`);
      if ((f === 'armature' || f === 'stiffness' || f === 'damping') && per.some((x, k) => values[f][idx[k]] !== undefined && !(values[f][idx[k]]! >= 0)))
        throw new ImportError(w, `is ${JSON.stringify(v)}`, `a number >= 0${f === 'armature' ? ' (kg·m²)' : ''} for every joint of the group`);
      if (per.some((x) => x === undefined || x === null)) unset[f].push(g);
    }
    // Isaac Lab 5's joint friction model beside the static coefficient: trained with, never applied here.
    for (const k of ['dynamic_friction', 'viscous_friction'])
      if (a[k] !== undefined && a[k] !== null && a[k] !== 0) note(`${gp}.${k}`, `is ${JSON.stringify(a[k])}: not applied by axon (a joint has the URDF's <dynamics> damping and friction only)`);
  }
  const alone = joints.filter((_, i) => owner[i] === undefined);
  if (alone.length > 0) note('scene.robot.actuators', `no actuator group matches ${alone.join(', ')} (Isaac Lab left them to the USD's drive${robot.spawn !== undefined ? '' : ', which env.yaml does not hold'})`);
  // A null gain (or a joint no group drives) is the articulation's own, the USD drive's (Isaac Lab's
  // _process_actuators_cfg hands each actuator default_joint_stiffness/damping): for a robot spawned
  // from a URDF, the gains its converter wrote (scene.robot.spawn.joint_drive.gains).
  const drive = spawnDriveGains(robot.spawn, joints, file);
  const spawnGains = new Set<string>();
  for (const f of ['stiffness', 'damping'] as const) {
    const took: string[] = [];
    joints.forEach((j, i) => {
      const v = drive?.[f][i];
      if (values[f][i] !== undefined || v === undefined) return;
      values[f][i] = v;
      spawnGains.add(j);
      took.push(j);
    });
    if (took.length > 0) note(`scene.robot.spawn.joint_drive.gains.${f}`, `taken for ${took.join(', ')} (their actuator group gives none: Isaac Lab then used the drive gains the URDF converter wrote into the USD)`);
  }
  // A null velocity_limit_sim is the USD's limit, which the URDF importer wrote from <limit velocity>.
  const velFromUrdf = joints.filter((j, i) => values.velocity_limit[i] === undefined && robot.urdfVelocity?.has(j));
  const someVelocity = values.velocity_limit.some((x) => x !== undefined);
  if (someVelocity) for (const j of velFromUrdf) values.velocity_limit[joints.indexOf(j)] = robot.urdfVelocity!.get(j);
  const groupsPath = (gs: string[], k: string) => (gs.length === 1 ? `scene.robot.actuators.${gs[0]}.${k}` : `scene.robot.actuators.{${gs.join(', ')}}.${k}`);
  /** The groups of `unset[f]` with a joint still without a value. */
  const open = (f: ActField) => unset[f].filter((g) => joints.some((_, i) => owner[i] === g && values[f][i] === undefined));
  const usd = "null or not given for some of its joints (the USD's value in training, which env.yaml does not hold)";
  if (open('stiffness').length > 0) note(groupsPath(open('stiffness'), 'stiffness'), usd);
  if (open('damping').length > 0) note(groupsPath(open('damping'), 'damping'), usd);
  if (unset.armature.length > 0) note(groupsPath(unset.armature, 'armature'), `${usd}: actuators.armature is not written; light links need it to be simulated at the trained rate`);
  if (unset.effort_limit.length > 0)
    note(groupsPath(unset.effort_limit, 'effort_limit(_sim)'), "null or not given for some of its joints (an ImplicitActuator then took the USD's value; an explicit one applied no clip of its own unless its class has one, as RemotizedPDActuator's lookup table): actuators.effort_limit is not written, the URDF's is used");
  if (someVelocity && velFromUrdf.length > 0)
    note(groupsPath(unset.velocity_limit, 'velocity_limit_sim'), `null or not given for ${velFromUrdf.join(', ')}: the URDF's velocity limit is written for them (Isaac Lab took the USD's, which its URDF importer writes from <limit velocity>), the other groups' trained ones for the rest`);
  if (!someVelocity && unset.velocity_limit.length > 0) note(groupsPath(unset.velocity_limit, 'velocity_limit_sim'), `${usd}: actuators.velocity_limit is not written, the URDF's is used`);

  // pd: every action joint needs both gains, or none is written.
  const act = actJoints.map((j) => joints.indexOf(j));
  const kp = act.map((i) => values.stiffness[i]);
  const kd = act.map((i) => values.damping[i]);
  const missing = actJoints.filter((_, k) => kp[k] === undefined || kd[k] === undefined);
  let pd: NonNullable<ModelManifest['pd']> | undefined;
  // Joints outside the action keep their group's gains in Isaac Lab (an actuator writes them for every
  // joint its joint_names_expr matches) and hold the default pose: pd.held, naming the group.
  const held: NonNullable<NonNullable<ModelManifest['pd']>['held']> = {};
  const heldNone: string[] = [];
  joints.forEach((j, i) => {
    if (actJoints.includes(j) || owner[i] === undefined) return;
    const s = values.stiffness[i], d = values.damping[i];
    if (s === undefined || d === undefined) heldNone.push(j);
    else held[j] = { kp: s, kd: d, from: `${file}: ${spawnGains.has(j) ? 'scene.robot.spawn.joint_drive.gains' : `scene.robot.actuators.${owner[i]}`}` };
  });
  const heldNames = Object.keys(held);
  const known = actJoints.filter((_, k) => kp[k] !== undefined && kd[k] !== undefined);
  if (missing.length === 0) {
    pd = { kp: kp as number[], kd: kd as number[], ...(heldNames.length > 0 ? { held } : {}) };
  } else if (known.length > 0) {
    // Some trained gains are known: writing no pd would drop them all for axon's default (R31 F3: legs
    // 3.4x stiffer than trained); a pd with a guess for the rest would be one too. Asked for instead.
    const groups = [...new Set(missing.map((j) => owner[joints.indexOf(j)]).filter((g): g is string => g !== undefined))];
    throw new ImportError(
      `${file}: ${groups.length > 0 ? groupsPath(groups, 'stiffness/damping') : 'scene.robot.actuators'}`,
      `gives no gain for ${missing.join(', ')} while ${known.length} other action joints have theirs: Isaac Lab then used the robot's own drive gains (the USD's), which env.yaml holds only for a robot spawned from a URDF (scene.robot.spawn.joint_drive.gains) and this one does not`,
      "the gains those joints trained with, as numbers in their actuator group's stiffness and damping (or scene.robot.spawn.joint_drive.gains for a URDF-spawned robot)",
    );
  } else note('scene.robot.actuators', `no stiffness/damping for ${missing.join(', ')}, so no pd is written (axon does not invent gains): the robot's own are used; set pd to the training's by hand`);
  if (pd && heldNone.length > 0) note('scene.robot.actuators', `no stiffness/damping for ${heldNone.join(', ')} (not in the action): held at the default pose with the robot's own gains`);

  const velOpen = joints.filter((_, i) => values.velocity_limit[i] === undefined);
  if (someVelocity && velOpen.length > 0)
    // Some groups' trained limits are known: dropping them all for these would let the waist move at the URDF's speed, not the trained one (R31 F4).
    throw new ImportError(
      `${file}: ${open('velocity_limit').length > 0 ? groupsPath(open('velocity_limit'), 'velocity_limit_sim') : 'scene.robot.actuators'}`,
      `is null or not given for ${velOpen.join(', ')} while other groups set theirs: Isaac Lab then took the USD's limit for those joints, which env.yaml does not hold`,
      "--urdf with the robot's URDF (its <limit velocity> is what Isaac Lab's URDF importer wrote into the USD, and is written for those joints) or the group's velocity_limit_sim",
    );
  const actuators: NonNullable<ModelManifest['actuators']> = {};
  if (laws.size === 1 && laws.has('explicit')) actuators.pd = 'explicit';
  if (laws.size === 2) note('scene.robot.actuators', "mixes implicit and explicit actuator groups; axon applies one PD law to every joint (implicit, or actuators.pd)");
  const full = (f: ActField) => (values[f].every((x) => x !== undefined) ? (values[f] as number[]) : undefined);
  const armature = full('armature');
  if (armature) actuators.armature = compact(armature);
  const effort = full('effort_limit');
  if (effort) actuators.effort_limit = compact(effort);
  const velocity = full('velocity_limit');
  if (velocity) actuators.velocity_limit = compact(velocity);
  const friction = values.friction;
  if (friction.every((x) => x === 0)) actuators.friction = 0;
  else {
    const set = Object.keys(groups).filter((g) => isObj(groups[g]) && groups[g].friction !== null && groups[g].friction !== undefined && groups[g].friction !== 0);
    if (unset.friction.length > 0) note(groupsPath(unset.friction, 'friction'), "null (the USD's value in training): actuators.friction not written, the URDF's is used");
    if (set.length > 0) note(groupsPath(set, 'friction'), "not mapped: Isaac Lab's joint friction is a unitless PhysX coefficient, not axon's Coulomb friction (N·m)");
  }
  return { ...(pd ? { pd } : {}), ...(Object.keys(actuators).length > 0 ? { actuators } : {}) };
}
