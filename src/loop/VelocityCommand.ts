/**
 * The operator's velocity command for a locomotion policy (the manifest's `velocity_commands`
 * term): forward speed vx (m/s), lateral speed vy (m/s), both in the robot's base (heading) frame,
 * x forward, y left; and yaw rate wz (rad/s, counter-clockwise seen from above).
 *
 * One source per run. Whoever commands (the `--command` flag, the viewer's keys, stick and
 * gamepad) calls `set()`, off the tick; the observation builder calls `writeTo()` on every tick
 * (ObservationBuilder.commandSource), which latches the value that tick used into `applied`, so a
 * recorder or viewer reading `applied` after the tick sees exactly what the policy saw even when a
 * `set()` lands while an async policy is in flight. Neither allocates.
 *
 * Every value is clamped to the manifest's `command_ranges` (lin_vel_x, lin_vel_y, ang_vel_z,
 * each [min, max]); an axis the manifest does not bound gets DEFAULT_COMMAND_RANGES (±1 m/s,
 * ±1 m/s, ±1 rad/s). Zero is always allowed, even on an axis whose range excludes it (a
 * curriculum's [0.3, 0.5] m/s): a clamp must never turn "stop" into "walk"; any other value in the
 * gap is clamped into the range as usual. A non-finite
 * value (NaN, ±Inf, |x| > 1e10) is refused as a whole: the command keeps its previous value (a
 * clamp is not a NaN guard).
 */
import { AxonError, UsageError } from '../core/errors.ts';
import type { ModelManifest } from '../model/manifest.ts';

/** [min, max] per axis: lin_vel_x, lin_vel_y (m/s), ang_vel_z (rad/s). */
export interface CommandRanges {
  readonly lin_vel_x?: readonly [number, number];
  readonly lin_vel_y?: readonly [number, number];
  readonly ang_vel_z?: readonly [number, number];
}

/** The clamp used for an axis the manifest's `command_ranges` does not give: ±1 m/s, ±1 m/s, ±1 rad/s. */
export const DEFAULT_COMMAND_RANGES = { lin_vel_x: [-1, 1], lin_vel_y: [-1, 1], ang_vel_z: [-1, 1] } as const satisfies Required<CommandRanges>;

const AXES = ['lin_vel_x', 'lin_vel_y', 'ang_vel_z'] as const;
/** Axis names as the CLI and the viewer show them, with units. */
export const COMMAND_AXES = ['vx (m/s)', 'vy (m/s)', 'wz (rad/s)'] as const;

/** What `set()` did. */
export type CommandSetResult =
  | { readonly ok: true; /** At least one axis was outside its range and was clamped. */ readonly clamped: boolean }
  | { readonly ok: false; readonly reason: string };

const isBad = (x: number) => !Number.isFinite(x) || Math.abs(x) > 1e10;

export class VelocityCommand {
  /** The current command: vx, vy (m/s), wz (rad/s), clamped. Written by set(). */
  readonly value = new Float64Array(3);
  /** The command the last tick used (latched by writeTo()). */
  readonly applied = new Float64Array(3);
  /** Lower and upper bound per axis (vx, vy, wz). */
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Which bounds came from the manifest (false: DEFAULT_COMMAND_RANGES). */
  readonly fromManifest: readonly [boolean, boolean, boolean];
  /** Incremented on every accepted set(): a reader can tell that the command changed. */
  version = 0;

  constructor(ranges?: CommandRanges) {
    this.min = new Float64Array(3);
    this.max = new Float64Array(3);
    const from: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const r = ranges?.[AXES[i]];
      const [lo, hi] = r ?? DEFAULT_COMMAND_RANGES[AXES[i]];
      if (isBad(lo) || isBad(hi) || !(lo <= hi)) throw new AxonError('COMMAND_RANGE', `command_ranges/${AXES[i]}`, `is [${lo}, ${hi}]`, '[min, max], finite, min <= max');
      this.min[i] = lo;
      this.max[i] = hi;
      from.push(r !== undefined);
    }
    this.fromManifest = from as unknown as [boolean, boolean, boolean];
  }

  /** The source for a model: its manifest's `command_ranges`, the defaults for axes it leaves out. */
  static forManifest(m: Pick<ModelManifest, 'command_ranges'>, initial?: readonly [number, number, number]): VelocityCommand {
    const c = new VelocityCommand(m.command_ranges as CommandRanges | undefined);
    if (initial) c.set(initial[0], initial[1], initial[2]);
    return c;
  }

  /**
   * The note to print when `requested` (a `--command` value) was clamped into the ranges, else
   * undefined: "--command 3,0,0 is outside vx [-1, 1] m/s (default): using 1,0,0".
   */
  clampNote(requested: readonly [number, number, number], flag = '--command'): string | undefined {
    const v = this.value;
    if (requested[0] === v[0] && requested[1] === v[1] && requested[2] === v[2]) return undefined;
    const u = ['m/s', 'm/s', 'rad/s'];
    const names = ['vx', 'vy', 'wz'];
    const out = names.map((n, i) => (requested[i] === v[i] ? '' : `${n} [${this.min[i]}, ${this.max[i]}] ${u[i]}${this.fromManifest[i] ? " (the manifest's command_ranges)" : ' (default clamp: the manifest has no command_ranges for it)'}`)).filter((x) => x);
    return `${flag} ${requested.join(',')} is outside ${out.join(', ')}: clamped to ${Array.from(v).join(',')}`;
  }

  /** Sets (vx, vy, wz), each clamped to its range; a non-finite value refuses the whole command. Off the tick. */
  set(vx: number, vy: number, wz: number): CommandSetResult {
    if (isBad(vx) || isBad(vy) || isBad(wz)) return { ok: false, reason: `not finite: (${vx}, ${vy}, ${wz})` };
    let clamped = false;
    const v = this.value;
    v[0] = vx;
    v[1] = vy;
    v[2] = wz;
    for (let i = 0; i < 3; i++) {
      if (v[i] === 0) continue; // stop: always allowed
      if (v[i] < this.min[i]) {
        v[i] = this.min[i];
        clamped = true;
      } else if (v[i] > this.max[i]) {
        v[i] = this.max[i];
        clamped = true;
      }
    }
    this.version++;
    return { ok: true, clamped };
  }

  /** Makes this the builder's command source (fed on every build()); returns the builder. */
  feed<B extends { commandSource: { writeTo(out: Float32Array, at: number): void } | undefined }>(builder: B): B {
    builder.commandSource = this;
    return builder;
  }

  /** Zero command (stand still): always allowed, whatever the ranges. */
  zero(): void {
    this.set(0, 0, 0);
  }

  /** On the tick: latches the current command into `applied` and writes it to out[at..at+2]. Real-time safe. */
  writeTo(out: Float32Array, at = 0): void {
    const v = this.value, a = this.applied;
    a[0] = v[0];
    a[1] = v[1];
    a[2] = v[2];
    out[at] = a[0];
    out[at + 1] = a[1];
    out[at + 2] = a[2];
  }

  /** The ranges, for a page or a message: [[min, max] vx, vy, wz]. */
  ranges(): [[number, number], [number, number], [number, number]] {
    return [
      [this.min[0], this.max[0]],
      [this.min[1], this.max[1]],
      [this.min[2], this.max[2]],
    ];
  }

  /** "vx [-1, 1] m/s, vy [-0.5, 0.5] m/s, wz [-1, 1] rad/s" (+ which are defaults). */
  describeRanges(): string {
    const u = ['m/s', 'm/s', 'rad/s'];
    const names = ['vx', 'vy', 'wz'];
    const parts = names.map((n, i) => `${n} [${this.min[i]}, ${this.max[i]}] ${u[i]}${this.fromManifest[i] ? '' : ' (default)'}${this.min[i] > 0 || this.max[i] < 0 ? ' (and 0: stopping is always allowed)' : ''}`);
    return parts.join(', ');
  }
}

/** The model reads a velocity command (its observation has a velocity_commands term). */
export function hasVelocityTerm(m: Pick<ModelManifest, 'observation'>): boolean {
  return m.observation.terms.some((t) => t.term === 'velocity_commands');
}

/**
 * Parses `vx,vy,wz` (the `--command` flag): three finite numbers separated by commas.
 * UsageError (code CLI_USAGE) naming `flag` and what was expected otherwise.
 */
export function parseVelocityCommand(text: string, flag = '--command'): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const expected = 'three finite numbers vx,vy,wz (m/s, m/s, rad/s), e.g. 0.5,0,0.2';
  if (parts.length !== 3) throw new UsageError(flag, `"${text}" has ${parts.length} value${parts.length === 1 ? '' : 's'}`, expected);
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const x = Number(parts[i]);
    if (parts[i] === '' || isBad(x)) throw new UsageError(flag, `"${text}": ${COMMAND_AXES[i]} is "${parts[i]}", not a finite number`, expected);
    out.push(x);
  }
  return out as [number, number, number];
}
