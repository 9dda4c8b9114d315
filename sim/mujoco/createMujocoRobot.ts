/**
 * MuJoCo robots from what the cannon-es side is built from: a URDF plus SimRobotOptions (the
 * shipped robots' set-up, or urdfSetup's for a user's URDF), or an MJCF file (createMujocoMjcfRobot.ts,
 * re-exported here: this module is the MuJoCo side's entry). The same joint
 * order (the URDF tree order), defaults, gains, IMU link, contact sensors and spawn rule (the
 * randomisation draws are sim/robots/index.ts `randomize`, shared by both engines), so that one seed gives one episode in both engines.
 *
 * This module and '@mujoco/mujoco' are imported only when a MuJoCo robot is asked for.
 */
import { readFileSync } from 'node:fs';
import { AxonError } from '../../src/core/errors.ts';
import type { SimRobotOptions } from '../SimRobot.ts';
import { humanoidJointDefaults, humanoidOptions } from '../robots/humanoid.ts';
import { robotModel, shippedEpisode } from '../robots/index.ts';
import { armJointDefaults, armOptions } from '../robots/arm.ts';
import { loadUrdf } from '../urdf/loadUrdf.ts';
import { urdfFixedByDefault } from '../urdf/rootBody.ts';
import { startPose } from '../urdf/floatingBase.ts';
import type { UrdfModel } from '../urdf/parseUrdf.ts';
import { defaultWithinLimits } from '../build/defaultWithinLimits.ts';
import { followerDefaults, mimicOfJoint } from '../build/mimicJoints.ts';
import { compileUrdf } from './compileUrdf.ts';
import { loadMujocoModule } from './loadMujoco.ts';
import { MujocoRobot, type MujocoJointDesc } from './MujocoRobot.ts';

export { MujocoRobot } from './MujocoRobot.ts';
export { createMujocoMjcfRobot, type MjcfManifestSetUp, type MjcfModelInfo, type MjcfRobotOptions, type MjcfSetup } from './createMujocoMjcfRobot.ts';

/**
 * A URDF robot in MuJoCo with the cannon-es side's options (the fields that mean something to
 * both engines; solver and contact-model options of cannon-es are not used).
 */
export async function createMujocoUrdfRobot(file: string, model: UrdfModel, o: SimRobotOptions): Promise<MujocoRobot> {
  const mj = await loadMujocoModule();
  const physicsDt = o.physicsDt ?? 0.002;
  const g = o.gravity ?? -9.81;
  const gravity: [number, number, number] = typeof g === 'number' ? [0, 0, g] : [g[0], g[1], g[2]];
  const fixedBase = o.fixedBase ?? urdfFixedByDefault(model);
  const meshCollision = o.meshCollision ?? 'hull';
  if (meshCollision !== 'hull' && meshCollision !== 'none')
    throw new AxonError('SIM_OPTION', `--mesh-collision ${meshCollision}`, 'fits a primitive for cannon-es; MuJoCo collides with each mesh\'s convex hull', 'hull or none with --physics mujoco');
  // The bytes the model was parsed from (loadUrdf): the file is not read again, saved anew meanwhile.
  const { model: mjModel, notes, hardLimits } = compileUrdf(mj, model.source ? model.source.data.toString('utf8') : readFileSync(file, 'utf8'), model, {
    floating: !fixedBase,
    ground: o.ground ?? !fixedBase,
    timestep: physicsDt,
    gravity,
    meshCollision,
    ...(o.strict ? { strict: true } : {}),
    file,
  });
  if (o.fixedBase === undefined && fixedBase && model.root !== 'world')
    notes.push({ code: 'SIM_FIXED_BASE', where: `<link name="${model.root}">`, message: 'the root has no mass (no <inertial> on it or the links fixed to it): fixed to the world' });
  const descs: MujocoJointDesc[] = model.treeOrder
    .filter((j) => j.type !== 'fixed')
    .map((j) => {
      const d = o.jointDefaults?.[j.name] ?? {};
      const continuous = j.type === 'continuous';
      const lower = continuous ? -Infinity : j.lower;
      const upper = continuous ? Infinity : j.upper;
      return {
        name: j.name,
        type: j.type as MujocoJointDesc['type'],
        lower,
        upper,
        velocityLimit: d.velocityLimit ?? j.velocity,
        effortLimit: d.effortLimit ?? j.effort,
        damping: d.damping ?? j.damping,
        friction: d.friction ?? j.friction,
        armature: d.armature ?? 0,
        // Clamped into the limits with a note, as the cannon-es side (sim/build/makeJoint.ts).
        defaultPosition: defaultWithinLimits(j.name, d.defaultPosition ?? 0, lower, upper, notes),
        kp: d.kp ?? 0,
        kd: d.kd ?? 0,
        ...(j.mimic ? { mimic: mimicOfJoint(j) } : {}),
        ...(hardLimits.has(j.name) ? { hardLimit: true } : {}),
      };
    });
  // A <mimic> follower's default from its leader's, as the cannon-es side (sim/build/mimicJoints.ts).
  const joints = followerDefaults(descs, (name) => o.jointDefaults?.[name]?.defaultPosition, notes);
  for (const name of Object.keys(o.jointDefaults ?? {}))
    if (!joints.some((j) => j.name === name)) throw new AxonError('SIM_OPTION', `jointDefaults.${name}`, 'names no moving joint of the robot', joints.map((j) => j.name).join(', '));
  const bodyLinks = [model.root, ...model.treeOrder.filter((j) => j.type !== 'fixed').map((j) => j.child)].filter((l, i) => i > 0 || !fixedBase);
  const robot = new MujocoRobot(mj, mjModel, {
    name: o.name ?? model.name,
    physicsDt,
    joints,
    rootLink: model.root,
    floating: !fixedBase,
    ...(o.imuLink !== undefined ? { imuLink: o.imuLink } : {}),
    ...(o.imuFrames !== undefined ? { imuFrames: o.imuFrames } : {}),
    contactSensors: o.contactSensors ?? [],
    bodyLinks,
    gravity,
    pd: o.pd ?? 'explicit',
    friction: o.friction ?? 0.8,
    // A stated floating base's <origin> is where the base starts, unless the options say (docs/urdf.md, "Start pose"), as in cannon-es.
    ...startPose(o, model, !fixedBase),
    spawnOnGround: o.spawnOnGround ?? false,
    ...(o.sensorNoise ? { sensorNoise: o.sensorNoise } : {}),
    ...(o.framePositions ? { framePositions: o.framePositions } : {}),
    notes: [...(model.notes ?? []), ...notes],
  });
  if (o.initialPositions !== undefined) {
    robot.setInitialPositions(o.initialPositions);
    robot.reset();
  }
  return robot;
}

/** The shipped robots MuJoCo builds (all of them). */
export const MUJOCO_ROBOTS = ['cartpole', 'pendulum', 'humanoid', 'arm'] as const;

/** Set-up of the shipped robots, as sim/robots/index.ts gives the cannon-es side. */
function shippedOptions(name: string): SimRobotOptions {
  if (name === 'cartpole') return { name, jointDefaults: { slider: { defaultPosition: 0, kp: 0, kd: 0 }, hinge: { defaultPosition: 0, kp: 0, kd: 0 } } };
  if (name === 'pendulum') return { name, jointDefaults: { joint: { defaultPosition: Math.PI, kp: 10, kd: 1 } } };
  if (name === 'humanoid') return { ...humanoidOptions, name, jointDefaults: humanoidJointDefaults };
  if (name === 'arm') return { ...armOptions, name, jointDefaults: armJointDefaults };
  throw new AxonError('UNKNOWN_ROBOT', `robot "${name}"`, 'is not a shipped robot MuJoCo builds', `one of ${MUJOCO_ROBOTS.join(', ')}`);
}

/** A shipped robot in MuJoCo (same URDF, joint defaults, sensors and options as createSimRobot). */
export async function createMujocoShippedRobot(name: string, o: { readonly physicsDt?: number; readonly seed?: number } = {}): Promise<MujocoRobot> {
  const opts = shippedOptions(name);
  const file = new URL(`../robots/${name}.urdf`, import.meta.url);
  const robot = await createMujocoUrdfRobot(file.pathname, robotModel(name), { ...opts, ...(o.physicsDt !== undefined ? { physicsDt: o.physicsDt } : {}) });
  // The per-episode draw (the arm's target) as on the cannon-es side: same stream, same values per seed; the first episode's exists before any reset(seed).
  const episode = shippedEpisode(name);
  robot.setEpisodeDraw(episode);
  if (o.seed !== undefined) robot.reset(o.seed);
  else if (episode !== undefined) robot.reset(0);
  return robot;
}

/** Reads a URDF as the cannon-es side does (for callers that have only the file). */
export function readUrdf(file: string, packagePaths: readonly string[] = []): UrdfModel {
  return loadUrdf(file, { packagePaths });
}
