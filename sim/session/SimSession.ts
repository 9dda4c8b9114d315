/**
 * The simulator's side of the session builder (src/session): creates a shipped robot (or takes
 * one built by the caller, e.g. from a user's URDF), its task, and runs episodes on sim time
 * with seeded randomisation, fault injection and the state watchdog. Eval, training and
 * `axon sim` get their simulated sessions here.
 */
import type { SimulatedRobot } from '../../src/core/robot.ts';
import type { Task } from '../../src/core/task.ts';
import { AxonError, UsageError } from '../../src/core/errors.ts';
import { printable } from '../../src/core/printable.ts';
import { Rng } from '../../src/core/rng.ts';
import { loadModelFolder, type ModelFolder } from '../../src/model/manifest.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import { wallDeadlineTimer } from '../../src/loop/DeadlineTimer.ts';
import { PausableClock } from '../../src/viewer/PausableClock.ts';
import { openSession, type EpisodeSession, type FaultOptions, type SessionLoop, type SessionSource, type SimSessionOptions } from '../../src/session/index.ts';
import { worldModelFolder } from '../../src/session/worldModel.ts';
import type { SimRobot } from '../SimRobot.ts';
import { createTask, randomize, robotNames, type RandomizableRobot } from '../robots/index.ts';
import { createSessionRobot } from './sessionRobot.ts';
import { WatchedTask } from '../watchdog/StateWatchdog.ts';
import { WeakMotors } from './WeakMotors.ts';

/** A robot built by the caller instead of a shipped one by name (a user's URDF). */
export interface PrebuiltRobot {
  readonly robot: SimulatedRobot;
  readonly task: Task;
  /** With no policy: the folder that holds the default pose. */
  readonly holdFolder?: ModelFolder;
}

/** Opens a session on a simulated robot: `o.robot` by name, or `prebuilt`. */
export async function openSimSession(o: SimSessionOptions, prebuilt?: PrebuiltRobot): Promise<EpisodeSession> {
  if (!prebuilt && !robotNames().includes(o.robot)) throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}`);
  const holdFolder = prebuilt?.holdFolder;
  if (o.policy === undefined && holdFolder === undefined && !(o.worldModel && o.worldModel.mode === 'plan'))
    throw new UsageError('--policy', 'is required', 'a policy folder, or --world-model DIR --wm-mode plan to plan without one (with --urdf and no policy the robot holds its default pose)');
  const folder = o.policy !== undefined ? loadModelFolder(o.policy) : (holdFolder ?? worldModelFolder(o.worldModel!));
  const physicsDt = 1 / o.physicsHz;
  const period = 1 / folder.manifest.control_hz;
  const decimation = period / physicsDt;
  if (Math.abs(decimation - Math.round(decimation)) > 1e-6 || decimation < 1) {
    await prebuilt?.robot.close();
    // Named for both ends: the flag may be its default (500), and the rate the manifest's (R27: a control_hz of 33.3 read as the flag's fault).
    throw new UsageError('--physics-hz', `${o.physicsHz} Hz is not a whole multiple of the model's control rate ${folder.manifest.control_hz} Hz (${folder.dir}/manifest.json#/control_hz)`, `a multiple of ${folder.manifest.control_hz}`);
  }
  // --physics mujoco: MuJoCo's module is imported only then (the cannon-es paths never load it).
  const robot = prebuilt?.robot ?? (await createSessionRobot(o.robot, o.physics, { physicsDt }));
  const task = prebuilt?.task ?? createTask(o.robot);
  // A fault that cannot act on this robot is bad input, refused before any episode runs: found in
  // the run, it was an exception thrown from the loop's record stream (docs/cli.md, `--fault`).
  try {
    checkFaultTarget(robot, o.fault);
  } catch (e) {
    await robot.close();
    throw e;
  }
  const session = await openSession(robot, { ...o, task, robotHz: o.physicsHz, ...(holdFolder ? { holdFolder } : {}) });
  return { ...session, task, runEpisode: (e, onLoop) => runEpisode(session, robot, task, o, e, onLoop) };
}

/**
 * Refuses a `--fault` the robot cannot take: a mass fault on a robot without the link (default
 * "pole"), or on a robot whose link masses cannot be set. A UsageError naming the flag, the link
 * and the links there are.
 */
export function checkFaultTarget(robot: SimulatedRobot, fault: FaultOptions | undefined): void {
  if (fault?.kind !== 'mass') return;
  const link = fault.link ?? 'pole';
  const r = robot as Partial<Pick<RandomizableRobot, 'nominalLinkMass' | 'setLinkMass' | 'bodyLinkNames'>>;
  if (typeof r.nominalLinkMass !== 'function' || typeof r.setLinkMass !== 'function')
    throw new UsageError('--fault', `mass:${fault.factor}@${fault.atS}: the masses of robot ${printable(robot.spec.name)} cannot be changed`, 'motor:FACTOR@S, or a simulated robot by name, --urdf or --mjcf');
  try {
    r.nominalLinkMass(link);
  } catch (e) {
    if (!(e instanceof AxonError)) throw e;
    throw noFaultLink(fault, robot.spec.name, typeof r.bodyLinkNames === 'function' ? r.bodyLinkNames() : []);
  }
}

/** The usage error of a mass fault on a robot without its link: names --fault, the link and the links there are. */
export function noFaultLink(fault: FaultOptions, robotName: string, links: readonly string[]): UsageError {
  const list = links.length > 12 ? `${links.slice(0, 12).join(', ')}, ... (${links.length} links)` : links.join(', ');
  return new UsageError(
    '--fault',
    `mass:${fault.factor}@${fault.atS}: a mass fault changes the mass of link "${fault.link ?? 'pole'}", and robot ${printable(robotName)} has no such link${list ? ` (its links: ${printable(list)})` : ''}`,
    'a robot with a "pole" link (cartpole, pendulum), or motor:FACTOR@S',
  );
}

/** One episode: reset (and randomise) the robot under `seed`, then run the loop on sim time. */
async function runEpisode(
  session: Awaited<ReturnType<typeof openSession<SimulatedRobot>>>,
  robot: SimulatedRobot,
  task: Task,
  o: SimSessionOptions,
  e: Parameters<EpisodeSession['runEpisode']>[0],
  onLoop: Parameters<EpisodeSession['runEpisode']>[1],
): ReturnType<EpisodeSession['runEpisode']> {
  const { period } = session;
  const rng = new Rng(e.seed);
  robot.reset(e.seed);
  // The same draws in either engine (sim/robots randomize takes any RandomizableRobot).
  const randomization = e.randomize ? randomize(robot, rng) : {};
  const durationS = e.durationS ?? task.episodeS;
  const simClock = new SimClock(period, (dt) => robot.step(dt), { realtime: e.realtime ?? false, sleep: e.sleep ?? 'block' });
  const clock = e.pausable ? new PausableClock(simClock, { realtime: e.realtime ?? false }) : simClock;
  const fault = o.fault;
  const weak = fault?.kind === 'motor' ? new WeakMotors(robot, fault.factor) : undefined;
  let faultS = Number.NaN;
  let faultError: unknown;
  // The state watchdog: a blown-up simulation is a safety event, the episode ends and is invalid.
  let parts: SessionLoop | undefined;
  const watched = new WatchedTask(task, robot.spec, (reason, obs) => {
    parts?.safety.reportStateWatchdog(reason, obs.time, obs.seq);
    parts?.loop.stop();
  });
  parts = session.loop({ clock, maxTicks: Math.round(durationS / period), seed: e.seed, task: watched, ...(weak ? { robot: weak } : {}), stopOnTerminate: !e.continueAfterTerminate, ...(e.realtime ? { deadlines: { timer: wallDeadlineTimer(clock) } } : {}) });
  const { loop, safety, hook, traced } = parts;
  onLoop?.(loop, { safety, ...(clock instanceof PausableClock ? { control: clock } : {}), ...(traced ? { worldModel: traced } : {}) });
  if (fault) {
    // Nothing may throw in a subscriber (rxjs rethrows it on a timer: a crash, not an error): a
    // failure here stops the loop and is thrown once the run has ended (openSimSession checked the
    // target, so this is the backstop).
    const sub = loop.records$.subscribe((rec) => {
      if (!Number.isNaN(faultS) || rec.time + 1e-9 < fault.atS) return;
      faultS = rec.time;
      sub.unsubscribe();
      try {
        if (weak) weak.active = true;
        else {
          const sim = robot as SimRobot;
          const link = fault.link ?? 'pole';
          sim.setLinkMass(link, sim.nominalLinkMass(link) * fault.factor);
        }
      } catch (e) {
        faultError = e;
        loop.stop();
      }
    });
  }
  const result = await loop.run();
  if (faultError !== undefined) throw faultError;
  const worldModel = session.worldModelResult(hook, faultS);
  const metrics = watched.metrics();
  return {
    ...(worldModel ? { worldModel } : {}),
    loop: result,
    safety,
    // Held at the end in a stop the supervisor latched by itself: not a success (docs/safety.md, "How a run ends").
    success: watched.success && !result.stopped && safety.ownStop === undefined,
    ...(watched.invalid !== undefined ? { invalid: watched.invalid } : {}),
    ...(metrics ? { metrics } : {}),
    steps: result.ticks,
    episodeReturn: task.totalReward,
    terminated: result.terminated,
    randomization,
  };
}

/** Simulated sessions for eval and training (worker threads import this module for `sessions`). */
export const sessions: SessionSource = { module: import.meta.url, open: (o) => openSimSession(o) };
