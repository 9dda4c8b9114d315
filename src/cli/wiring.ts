/**
 * The composition root: the one place in src/ that knows the simulator (sim/) and the hardware
 * layer. The session itself is built by src/session (robot-agnostic); simulated sessions come
 * from the simulator's factory (sim/session); this file adds a user's URDF robot to it.
 */
import { FreeRunTask } from '../../sim/index.ts';
import { openSimSession as openShippedOrPrebuilt, sessions as simSessions } from '../../sim/session/index.ts';
import { StandTask } from '../../sim/tasks/stand.ts';
import { UsageError } from '../core/errors.ts';
import { loadModelFolder } from '../model/manifest.ts';
import type { ControlLoop } from '../loop/ControlLoop.ts';
import type { EpisodeOptions, EpisodeResult, EpisodeSession, LoopParts, SessionSource, SimSessionOptions } from '../session/index.ts';
import { holdPoseFolder, movingJoints, openUrdfRobot, type UrdfRobotFlags, type UrdfSetup } from './urdfSession.ts';
import { openMjcfRobot, type MjcfRobotFlags, type MjcfSessionSetup } from './mjcfSession.ts';

export { episodeSeed, traceWorldModel } from '../session/index.ts';
export type { EpisodeOptions, EpisodeResult, EpisodeWorldModel, FaultOptions, LoopParts, SessionWorldModel, WmMode, WorldModelOptions } from '../session/index.ts';

/** Simulated sessions for eval (local, worker threads, queue workers). */
export const sessionSource: SessionSource = simSessions;

export interface SessionOptions extends SimSessionOptions {
  /** A user's URDF instead of a shipped robot (`--urdf FILE`) and its set-up flags; `robot` is then only its label. */
  readonly urdf?: UrdfRobotFlags;
  /** An MJCF model as robot makers ship it (`--mjcf FILE`, MuJoCo only) and its set-up flags. */
  readonly mjcf?: MjcfRobotFlags;
}

export type { MjcfRobotFlags } from './mjcfSession.ts';

/** A simulated session, and what the set-up decided for a user's URDF robot. */
export interface SimSession extends EpisodeSession {
  readonly options: SessionOptions;
  /** A user's URDF: what the set-up decided (base, IMU link, gains, PD integration). */
  readonly setup?: UrdfSetup;
  /** An MJCF: what the set-up decided (base, IMU link, default pose, where the gains came from, the manifest fields applied). */
  readonly mjcfSetup?: MjcfSessionSetup;
}

export async function openSimSession(o: SessionOptions): Promise<SimSession> {
  if (o.mjcf !== undefined) return openMjcfSession(o, o.mjcf);
  if (o.urdf === undefined) return { ...(await openShippedOrPrebuilt(o)), options: o };
  const lookFirst = o.policy === undefined && o.worldModel === undefined;
  if (o.policy === undefined && !lookFirst && !(o.worldModel && o.worldModel.mode === 'plan'))
    throw new UsageError('--policy', 'is required', 'a policy folder, or --world-model DIR --wm-mode plan to plan without one (with --urdf and no policy the robot holds its default pose)');
  // --physics mujoco: the same set-up through MuJoCo's URDF compiler (its module loaded only then).
  const { robot, setup } = await openUrdfRobot(o.urdf, o.policy !== undefined ? loadModelFolder(o.policy).manifest : undefined, 1 / o.physicsHz, o.physics ?? 'cannon', `${o.policy}/manifest.json`);
  const task = setup.fixedBase ? new FreeRunTask({ joints: robot.spec.joints }) : new StandTask();
  const holdFolder = lookFirst ? holdPoseFolder(setup.model.name, movingJoints(setup.model).map((j) => j.name)) : undefined;
  const s = await openShippedOrPrebuilt({ ...o, ...flagGains(o.urdf) }, { robot, task, ...(holdFolder ? { holdFolder } : {}) });
  return { ...s, options: o, setup };
}

/**
 * `--mjcf FILE`: the model in MuJoCo (its module loaded only here), stand task on a floating base,
 * free run on a fixed one, set up from the policy's manifest as a URDF is (src/cli/mjcfSession.ts:
 * the flags, then the manifest, then the model file, then the default gain rule); with no policy it
 * holds its default pose (the keyframe, else qpos0) on PD, as `--urdf` does.
 */
async function openMjcfSession(o: SessionOptions, f: MjcfRobotFlags): Promise<SimSession> {
  if (o.physics === 'cannon') throw new UsageError('--physics', 'cannon cannot load an MJCF model', '--physics mujoco (or leave it out: --mjcf implies it)');
  const lookFirst = o.policy === undefined && o.worldModel === undefined;
  const manifest = o.policy !== undefined ? loadModelFolder(o.policy).manifest : undefined;
  const { robot, setup } = await openMjcfRobot(f, manifest, 1 / o.physicsHz, `${o.policy}/manifest.json`);
  const task = setup.floating ? new StandTask() : new FreeRunTask({ joints: robot.spec.joints });
  const holdFolder = lookFirst ? holdPoseFolder(robot.spec.name, robot.spec.joints.map((j) => j.name)) : undefined;
  const options = { ...o, physics: 'mujoco' as const, ...flagGains(f) };
  const s = await openShippedOrPrebuilt(options, { robot, task, ...(holdFolder ? { holdFolder } : {}) });
  return { ...s, options, mjcfSetup: setup };
}

/** `--kp`/`--kd` as the session's per-command gains over the manifest's pd (SessionOptions.gains); nothing when neither is given. */
function flagGains(f: { readonly kp?: number; readonly kd?: number }): { gains?: { kp?: number; kd?: number } } {
  return f.kp !== undefined || f.kd !== undefined ? { gains: { ...(f.kp !== undefined ? { kp: f.kp } : {}), ...(f.kd !== undefined ? { kd: f.kd } : {}) } } : {};
}

/** One episode of a simulated session (see EpisodeSession.runEpisode). */
export function runEpisode(s: EpisodeSession, e: EpisodeOptions, onLoop?: (loop: ControlLoop, parts: LoopParts) => void): Promise<EpisodeResult> {
  return s.runEpisode(e, onLoop);
}
