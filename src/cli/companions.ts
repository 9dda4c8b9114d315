/**
 * Flags that act only with another (their companion): `--stall-ms` with `--async`, `--view-port`
 * with `--view`, `--samples` with `--world-model ... --wm-mode plan`. Given without it, such a flag
 * used to be ignored in silence, and the user believed it had acted. Each command lists its rules
 * in a table and checks them first, before any work: a flag given (on the command line, not a
 * default) whose companion is absent is a usage error naming both (exit 2). docs/cli.md, "Flags
 * that need another".
 */
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.ts';
import { hasVelocityTerm } from '../loop/VelocityCommand.ts';
import { loadModelFolder } from '../model/manifest.ts';
import type { WmMode } from '../session/index.ts';

/** One flag and what it needs. */
export interface Companion<O> {
  /** The dependent flag as typed: `--stall-ms`. */
  readonly flag: string;
  /** What it needs, naming the flag(s): `--async`. */
  readonly needs: string;
  /** True when the companion is there (the flag acts). */
  readonly ok: (o: O) => boolean;
  /** What there is instead, when that helps: `the mode is monitor`. */
  readonly instead?: (o: O) => string | undefined;
}

/** The flag was given on the command line (or from the environment), not left at its default. */
export function flagGiven(cmd: Pick<Command, 'options' | 'getOptionValueSource'>, flag: string): boolean {
  const opt = cmd.options.find((x) => x.long === flag);
  if (!opt) throw new Error(`companions: the command has no option ${flag}`); // a rule for a flag the command lacks: a programming error
  const source = cmd.getOptionValueSource(opt.attributeName() as never);
  return source === 'cli' || source === 'env';
}

/** Throws a UsageError for the first flag given without its companion. */
export function refuseOrphans<O>(cmd: Pick<Command, 'options' | 'getOptionValueSource'>, o: O, rules: readonly Companion<NoInfer<O>>[]): void {
  for (const r of rules) {
    if (!flagGiven(cmd, r.flag) || r.ok(o)) continue;
    const instead = r.instead?.(o);
    throw new UsageError(r.flag, `only applies with ${r.needs}${instead ? `; ${instead}` : ''}`, `${r.needs}, or no ${r.flag}`);
  }
}

/** The flags of the world-model hook (src/cli/commands/eval.ts addWorldModelOptions). */
interface WorldModelFlags {
  readonly worldModel?: string;
  readonly wmMode?: WmMode;
  readonly planner?: 'mppi' | 'cem';
  readonly policy?: string;
}

/** The hook's mode as worldModelFromFlags decides it (plan without a policy, else monitor), undefined without a world model. */
function wmMode(o: WorldModelFlags): WmMode | undefined {
  return o.worldModel === undefined ? undefined : (o.wmMode ?? (o.policy === undefined ? 'plan' : 'monitor'));
}

const modeNow = (o: WorldModelFlags) => (o.worldModel === undefined ? 'no --world-model' : `the mode is ${wmMode(o)}`);
const inMode = (mode: WmMode, flag: string, extra?: { needs: string; ok: (o: WorldModelFlags) => boolean }): Companion<WorldModelFlags> => ({
  flag,
  needs: `--world-model DIR --wm-mode ${mode}${extra ? ` ${extra.needs}` : ''}`,
  ok: (o) => wmMode(o) === mode && (extra?.ok(o) ?? true),
  instead: (o) => (wmMode(o) === mode ? `the planner is ${o.planner ?? 'mppi'}` : modeNow(o)),
});

/** The world-model flags of `sim`, `eval` and `run`: each is a setting of one mode of the hook. */
export const WORLD_MODEL_COMPANIONS: readonly Companion<WorldModelFlags>[] = [
  { flag: '--wm-mode', needs: '--world-model DIR', ok: (o) => o.worldModel !== undefined },
  ...['--planner', '--samples', '--horizon', '--iterations', '--noise'].map((f) => inMode('plan', f)),
  inMode('plan', '--temperature', { needs: '--planner mppi', ok: (o) => (o.planner ?? 'mppi') === 'mppi' }),
  inMode('plan', '--elite', { needs: '--planner cem', ok: (o) => o.planner === 'cem' }),
  ...['--shield-horizon', '--shield-samples', '--continuation'].map((f) => inMode('shield', f)),
  ...['--surprise-threshold', '--surprise-ticks'].map((f) => inMode('monitor', f)),
];

/** `--view-port` and `--allow-origin` with `--view` (sim, run, teleop, replay). */
export const VIEW_COMPANIONS: readonly Companion<{ readonly view: boolean }>[] = [{ flag: '--view-port', needs: '--view', ok: (o) => o.view }, { flag: '--allow-origin', needs: '--view', ok: (o) => o.view }];

/** `--stop-needs-token` with `--view` (sim, run, teleop: the viewer's stop rule; replay has nothing to stop). */
export const VIEW_STOP_COMPANIONS: readonly Companion<{ readonly view: boolean }>[] = [{ flag: '--stop-needs-token', needs: '--view', ok: (o) => o.view }];

/** The recording flags of a run (sim, eval, run, teleop). */
export const OUTPUT_COMPANIONS: readonly Companion<{ readonly dataset?: string; readonly record?: string }>[] = [
  { flag: '--task', needs: '--dataset DIR', ok: (o) => o.dataset !== undefined },
  { flag: '--allow-drops', needs: '--record or --dataset', ok: (o) => o.dataset !== undefined || o.record !== undefined },
];

/** `--stall-ms` with `--async` (sim, run). */
export const ASYNC_COMPANIONS: readonly Companion<{ readonly async: boolean }>[] = [{ flag: '--stall-ms', needs: '--async', ok: (o) => o.async }];

/** The URDF-only flags of a robot file (sim, bridge): `--strict`, `--mesh-collision`, `--urdf-package-path` need `--urdf FILE`. */
export const URDF_FILE_COMPANIONS: readonly Companion<{ readonly urdf?: string }>[] = ['--strict', '--mesh-collision', '--urdf-package-path'].map((flag) => ({
  flag,
  needs: '--urdf FILE',
  ok: (o) => o.urdf !== undefined,
}));

/** The set-up flags of a user's robot file (sim, bridge), as commander parsed them. */
export interface RobotSetupFlags {
  readonly urdf?: string;
  readonly mjcf?: string;
  readonly fixedBase?: boolean;
  readonly imuLink?: string;
  readonly initPose?: unknown;
  readonly kp?: number;
  readonly kd?: number;
  readonly armature?: number;
  readonly pd?: string;
}

const URDF_SETUP = ['fixedBase', 'imuLink', 'initPose', 'kp', 'kd', 'armature', 'pd'] as const;
const MJCF_SETUP: readonly string[] = ['imuLink', 'initPose', 'kp', 'kd'];
const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;

/**
 * The robot set-up flags (`sim`, `bridge`): all apply to `--urdf FILE`; `--imu-link`,
 * `--init-pose`, `--kp`, `--kd` to `--mjcf FILE` too (an MJCF's base, armature and PD are the model
 * file's); none to a shipped robot, which has its own set-up. Throws a UsageError naming the first
 * stray one.
 */
export function refuseStraySetupFlags(o: RobotSetupFlags): void {
  const stray = URDF_SETUP.find((k) => o[k] !== undefined && !(o.mjcf && MJCF_SETUP.includes(k)));
  if (stray && o.mjcf) throw new UsageError(flagName(stray), 'does not apply to an MJCF model', 'the model file itself (--imu-link, --init-pose, --kp, --kd apply)');
  if (stray && !o.urdf) throw new UsageError(flagName(stray), 'only applies to a URDF robot', '--urdf FILE (a shipped robot has its own set-up)');
}

/**
 * `--command vx,vy,wz` is read only by a model whose observation has a velocity_commands term: the
 * policy's, or the world model's (a planner or shield builds its own observation). Refused
 * otherwise (a run with no policy holds its pose; a balance policy ignores the command), so a user
 * never believes the robot is being commanded when nothing reads the command.
 */
export function refuseUnreadCommand(o: { readonly command?: readonly number[]; readonly policy?: string; readonly worldModel?: string }): void {
  if (o.command === undefined) return;
  const reads = (dir: string) => hasVelocityTerm(loadModelFolder(dir).manifest);
  if (o.policy !== undefined && reads(o.policy)) return;
  if (o.worldModel !== undefined && reads(o.worldModel)) return;
  const expected = 'a policy (or world model) whose manifest has a velocity_commands observation term, or no --command';
  const what = o.command.join(',');
  if (o.policy === undefined)
    throw new UsageError('--command', `${what} would be read by nothing: there is no --policy${o.worldModel !== undefined ? ` and ${o.worldModel}'s manifest has no velocity_commands term` : ' (the robot holds its default pose)'}`, expected);
  throw new UsageError('--command', `${what} would be read by nothing: ${o.policy}'s manifest has no velocity_commands observation term${o.worldModel !== undefined ? `, nor has ${o.worldModel}'s` : ''}`, expected);
}
