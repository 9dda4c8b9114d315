/**
 * `axon eval --urdf FILE | --mjcf FILE`: a user's robot scored over N seeded episodes, as a
 * shipped one is. Its robot is built as `axon sim --urdf | --mjcf` builds it (src/cli/wiring.ts
 * openSimSession: set up from the policy's manifest and the set-up flags), and its task is the one
 * a robot file gets there: stand (success: it did not fall) on a floating base, free run (success:
 * every joint stayed finite) on a fixed one. Episodes run in this process only: the worker threads,
 * the queue and shards rebuild sessions from a shipped robot's name (src/eval/types.ts EvalSpec).
 * Part of the composition root (it knows sim/ through the wiring).
 */
import { basename, resolve } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../core/errors.ts';
import { shellWord } from '../../core/printable.ts';
import type { EvalSessionSource } from '../../eval/evaluate.ts';
import { drawingMeta } from '../../record/index.ts';
import { robotNames } from '../../../sim/index.ts';
import { mjcfModelName } from '../../../sim/mjcfModelName.ts';
import { openSimSession, type MjcfRobotFlags, type SimSession } from '../wiring.ts';
import { DEFAULT_GAINS_RULE, urdfFlags, urdfSetupLine, type UrdfFlagValues, type UrdfRobotFlags } from '../urdfSession.ts';
import { mjcfFlags, mjcfSetupLine } from '../mjcfSession.ts';

/** The eval flags this file reads (commander's values): the robot file's set-up flags as sim takes them. */
export interface EvalRobotFlags extends UrdfFlagValues {
  readonly robot?: string;
  readonly urdf?: string;
  readonly mjcf?: string;
  readonly policy?: string;
  readonly workers: number;
  readonly queue?: string;
  readonly shard?: string;
  readonly physics: 'cannon' | 'mujoco';
}

/** A user's robot to evaluate: its label (the summary's `robot`), engine and set-up. */
export interface UserRobot {
  readonly label: string;
  /** The robot as a dataset's provenance `source` names it: `--urdf /abs/robot.urdf` (and `--robot LABEL` when given). */
  readonly args: string;
  readonly physics: 'cannon' | 'mujoco';
  readonly urdf?: UrdfRobotFlags;
  readonly mjcf?: MjcfRobotFlags;
}

/**
 * Reads eval's robot flags: undefined for a shipped robot (checked by name here, with the way to
 * evaluate a robot file in the message), the user's robot otherwise. Usage errors (exit 2): no
 * robot, --urdf with --mjcf, a robot file with --workers, --queue or --shard.
 */
export function evalUserRobot(o: EvalRobotFlags, cmd: Pick<Command, 'getOptionValueSource'>): UserRobot | undefined {
  if (o.urdf !== undefined && o.mjcf !== undefined) throw new UsageError('--mjcf', 'and --urdf were both given', 'one robot file');
  const file = o.urdf ?? o.mjcf;
  if (file === undefined) {
    if (o.robot === undefined) throw new UsageError('--robot', 'is required', `a shipped robot (${robotNames().join(', ')}), or --urdf FILE / --mjcf FILE for your own`);
    if (!robotNames().includes(o.robot))
      throw new UsageError('--robot', `unknown robot "${o.robot}"`, `one of ${robotNames().join(', ')}; your own robot as --urdf FILE or --mjcf FILE (set up from the policy's manifest, as axon sim does)`);
    return undefined;
  }
  const spread = o.workers > 1 ? '--workers' : o.queue !== undefined ? '--queue' : o.shard !== undefined ? '--shard' : undefined;
  if (spread)
    throw new UsageError(spread, `is not available with ${o.urdf !== undefined ? '--urdf' : '--mjcf'} yet: worker threads, queue workers and shards rebuild a shipped robot by name`, `a local eval (one process) of the robot file, or no ${spread}`);
  // --mjcf implies MuJoCo; an explicit --physics cannon is refused when the session opens (as sim does).
  const physics = o.mjcf !== undefined && cmd.getOptionValueSource('physics') !== 'cli' ? 'mujoco' : o.physics;
  return {
    // An MJCF's robot is named by its model (<mujoco model>), as axon sim --mjcf names it; else the file's name.
    label: o.robot ?? (o.mjcf !== undefined ? mjcfModelName(o.mjcf) : undefined) ?? basename(file).replace(/\.(urdf|xml)$/i, ''),
    args: robotFileArgs(o),
    physics,
    ...(o.urdf !== undefined ? { urdf: urdfFlags(o.urdf, o) } : {}),
    ...(o.mjcf !== undefined ? { mjcf: mjcfFlags(o.mjcf, o) } : {}),
  };
}

/**
 * The sessions of an eval of `user`: the robot built as `axon sim` builds it, its set-up said once
 * (stdout unless `json`; the no-pd note on stderr, as sim says it). Local only (`module` is not a
 * worker entry: evalUserRobot refuses --workers, --queue and --shard).
 */
export function userRobotSessions(user: UserRobot, json: boolean): EvalSessionSource<SimSession> {
  let said = false;
  return {
    module: import.meta.url,
    robotArgs: user.args,
    recordRun: (s) => recordedRobotFile(user, s),
    open: async (o) => {
      const s = await openSimSession({ ...o, ...(user.urdf ? { urdf: user.urdf } : {}), ...(user.mjcf ? { mjcf: user.mjcf } : {}) });
      if (said) return s;
      said = true;
      if (!json && s.setup) console.log(`axon eval: ${urdfSetupLine(s.setup)}`);
      if (!json && s.mjcfSetup) console.log(`axon eval: MJCF, ${mjcfSetupLine(s.mjcfSetup)}`);
      const action = s.folder.manifest.action.type;
      if (s.setup?.gains === 'default' && o.policy !== undefined && (action === 'joint_position' || action === 'joint_position_abs'))
        process.stderr.write(`axon: note: ${o.policy}'s manifest has no pd: the policy runs on axon's default gains (${DEFAULT_GAINS_RULE}), not on those it was trained with; set pd to the training's (or --kp/--kd)\n`);
      return s;
    },
  };
}

/**
 * What each recorded episode adds to `axon.run` for `user`'s robot, as `axon sim --urdf | --mjcf
 * --record` keeps it (src/cli/commands/sim.ts): a URDF's `urdf` and `drawing` (path, sha256 of the
 * bytes the robot was built from, root set-up; src/record/drawingMeta.ts) or the MJCF's absolute
 * path, the IMU's link and the engine; so `axon replay --view` draws the episode without --urdf.
 */
function recordedRobotFile(user: UserRobot, s: SimSession): Record<string, unknown> {
  const imuLink = s.setup?.imuLink ?? s.mjcfSetup?.imuLink;
  return {
    physics: user.physics,
    ...(user.mjcf ? { mjcf: resolve(user.mjcf.file) } : {}),
    ...(imuLink ? { imu_link: imuLink } : {}),
    ...(user.urdf && s.setup
      ? drawingMeta(user.urdf.file, { fixedBase: s.setup.fixedBase, basePosition: s.setup.options.basePosition, baseOrientation: s.setup.options.baseOrientation, packagePaths: user.urdf.packagePaths }, s.setup.model.source)
      : {}),
  };
}

/**
 * How a provenance `source` names a robot file: `--urdf|--mjcf <absolute path> [--robot LABEL]`,
 * quoted as a shell reads it back (a dataset's source must name the file, not only a label).
 */
export function robotFileArgs(o: { readonly urdf?: string; readonly mjcf?: string; readonly robot?: string }): string {
  const file = (o.urdf ?? o.mjcf)!;
  return `${o.urdf !== undefined ? '--urdf' : '--mjcf'} ${shellWord(resolve(file))}${o.robot !== undefined ? ` --robot ${shellWord(o.robot)}` : ''}`;
}
