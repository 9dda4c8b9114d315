import { linkFrameKeys, type Observation, type RobotSpec } from '../core/robot.ts';
import { printable } from '../core/printable.ts';
import { ManifestError, imuTerms, termWidth, observationSize, type HistoryFill, type ModelManifest, type ObservationTermName } from './manifest.ts';
import { expandScale, mapJoints, modelDefaults } from './jointMap.ts';

/** MuJoCo's mju_isBad bound (the supervisor's default badValue). */
const BAD_VALUE = 1e10;

interface TermState {
  readonly term: ObservationTermName;
  readonly width: number;
  readonly history: number;
  readonly scale: Float32Array;
  readonly clip: number;
  /** Added to the raw value before scale (the term's `bias`, Isaac Lab's bias modifier). */
  readonly bias: number;
  /** base_lin_vel only: read the base's centre-of-mass velocity instead of its origin's. */
  readonly com: boolean;
  /**
   * IMU terms read in another link than the IMU's (the term's `link`): the Observation.extras keys
   * of that link's orientation and angular velocity (RobotSpec.sensors.imuFrames); undefined: the IMU.
   */
  readonly frame: { readonly orientation: string; readonly angularVelocity: string } | undefined;
  /** gait_phase only: the gait cycle (s); NaN on other terms. */
  readonly period: number;
  /** gait_phase only: k on the first step after a reset (0, 1 or 2). */
  readonly countFrom: number;
  /** gait_phase only: both values are 0 while ‖velocityCommand‖ is below this (0: never). */
  readonly standBelow: number;
  /** Ring of `history` entries of `width` values, already scaled and clipped. */
  readonly ring: Float32Array;
  /** The newest good (finite) entry, scaled and clipped: what a bad value is replaced with. */
  readonly lastGood: Float32Array;
  /** Index of the newest entry in the ring. */
  head: number;
  /** Offset of this term in the flat output. */
  readonly offset: number;
}

/**
 * Turns an Observation into the flat Float32 vector a model takes, following the manifest's
 * terms in order: raw value -> + bias -> × scale -> clip -> history stack (oldest first unless the manifest
 * says newest first). All buffers are sized here; build() allocates nothing.
 *
 * Bad numbers never reach the model: a raw value that is NaN, ±Inf or |x| > 1e10 (a sensor
 * glitch, a NaN fed back as the last action) is replaced by that element's last good value (0
 * before the first), counted in `badValues`, and kept out of the history. The safety supervisor
 * sees the raw observation and holds; the model's inputs and recurrent state stay finite.
 */
export class ObservationBuilder {
  /** The model input, rewritten by every build(). */
  readonly output: Float32Array;
  /** Operator velocity command (vx m/s, vy m/s, yaw rate rad/s) for the velocity_commands term. */
  readonly velocityCommand = new Float32Array(3);
  /**
   * Where `velocityCommand` comes from: written into it at the start of every build() (a
   * VelocityCommand; its writeTo must not allocate). Without one the command stays as set (zeros).
   */
  commandSource: { writeTo(out: Float32Array, at: number): void } | undefined;
  private readonly terms: TermState[];
  private readonly robotIndex: Int32Array;
  private readonly defaults: Float32Array;
  private readonly newestFirst: boolean;
  /** per_frame layout: distance between consecutive history entries of one term (the frame width). */
  private readonly stride: number | undefined;
  private primed = false;
  /** What a history holds before it has filled (manifest observation.history_fill). */
  private readonly fill: HistoryFill;
  /** last_action as the reset reads it (history_fill "reset"): zeros, as unitree's ActionManager::reset() leaves it. */
  private readonly resetAction: Float32Array;
  /** Control period (s), 1 / control_hz: the gait clock's step. */
  private readonly dt: number;
  /** build() calls since construction or reset(), this one included: the gait clock's k. */
  private steps = 0;
  /** Bad raw values replaced since construction, and in the last build(). */
  badValues = 0;
  badValuesLastBuild = 0;
  /** Term of the last bad value replaced (undefined when none yet). */
  lastBadTerm: ObservationTermName | undefined;

  constructor(
    private readonly manifest: ModelManifest,
    spec: RobotSpec,
  ) {
    this.robotIndex = mapJoints(manifest.joints, spec, 'manifest.json#/joints');
    this.defaults = modelDefaults(manifest, spec, this.robotIndex);
    this.newestFirst = manifest.observation.history_order === 'newest_first';
    this.fill = manifest.observation.history_fill ?? 'first';
    this.resetAction = new Float32Array(termWidth(manifest, 'last_action'));
    this.dt = 1 / manifest.control_hz;
    const perFrame = manifest.observation.history_layout === 'per_frame';
    const frame = manifest.observation.terms.reduce((w, t) => w + termWidth(manifest, t.term), 0);
    this.stride = perFrame ? frame : undefined;
    let offset = 0;
    this.terms = manifest.observation.terms.map((t, i) => {
      const width = termWidth(manifest, t.term);
      const history = t.history ?? 1;
      if (imuTerms.has(t.term) && !spec.sensors.imu)
        throw new ManifestError('MODEL_ROBOT_MISMATCH', `manifest.json#/observation/terms/${i}`, `term ${t.term} needs an IMU and robot "${printable(spec.name)}" has none`);
      const com = t.point === 'com';
      if (com && spec.sensors.baseCom !== true)
        throw new ManifestError('MODEL_ROBOT_MISMATCH', `manifest.json#/observation/terms/${i}/point`, `is "com" and robot "${printable(spec.name)}" reports no centre-of-mass velocity`, 'point "origin", or a robot with sensors.baseCom');
      const other = t.link !== undefined && t.link !== manifest.imu_link ? t.link : undefined;
      if (other !== undefined && !(spec.sensors.imuFrames ?? []).includes(other))
        throw new ManifestError('MODEL_ROBOT_MISMATCH', `manifest.json#/observation/terms/${i}/link`, `reads term ${t.term} in link "${printable(other)}", and robot "${printable(spec.name)}" measures no orientation or angular velocity there (${frameSourcesText(spec)})`, 'a simulator of a robot with that link, a robot whose IMU is on it (the term without link, or imu_link naming it), or the robot\'s description to derive it through the joints (a bridge client: --urdf FILE)');
      const frame = other !== undefined ? linkFrameKeys(other) : undefined;
      const state: TermState = { term: t.term, width, history, scale: expandScale(t.scale, width), clip: t.clip ?? Infinity, bias: t.bias ?? 0, com, frame, period: t.period ?? Number.NaN, countFrom: t.count_from ?? 1, standBelow: t.stand_below ?? 0, ring: new Float32Array(width * history), lastGood: new Float32Array(width), head: 0, offset };
      offset += perFrame ? width : width * history;
      return state;
    });
    this.output = new Float32Array(observationSize(manifest));
  }

  /**
   * Where the joint positions sit in the output (the newest history entry of each joint_pos /
   * joint_pos_rel term): joint angle = output[slot] / scale + offset (the default pose for
   * joint_pos_rel, minus the term's bias), `joint` the robot's joint
   * index. A viewer uses it to pose the robot from a world model's predicted states.
   */
  jointPositionSlots(): { slot: number; joint: number; scale: number; offset: number }[] {
    const out: { slot: number; joint: number; scale: number; offset: number }[] = [];
    for (const s of this.terms) {
      if (s.term !== 'joint_pos' && s.term !== 'joint_pos_rel') continue;
      const newestAt = this.newestFirst ? 0 : s.history - 1;
      const base = s.offset + newestAt * (this.stride ?? s.width);
      for (let i = 0; i < s.width; i++) {
        if (s.scale[i] === 0 || out.some((o) => o.joint === this.robotIndex[i])) continue;
        out.push({ slot: base + i, joint: this.robotIndex[i], scale: s.scale[i], offset: (s.term === 'joint_pos_rel' ? this.defaults[i] : 0) - s.bias });
      }
    }
    return out;
  }

  /**
   * Forgets the history and restarts the gait clock: the next build() fills every other history slot
   * with its first value, zeros, or (history_fill "reset") the term as evaluated at the reset.
   */
  reset(): void {
    this.primed = false;
    this.steps = 0;
    for (const s of this.terms) s.lastGood.fill(0);
  }

  /** Writes the model input for `obs` into `output` and returns it. `lastAction` is the previous raw action (after clip). */
  build(obs: Observation, lastAction: Float32Array): Float32Array {
    this.commandSource?.writeTo(this.velocityCommand, 0);
    this.badValuesLastBuild = 0;
    // Before the clock moves: the reset's evaluation reads the gait clock one step before this one.
    if (!this.primed && this.fill === 'reset') this.fillAtReset(obs);
    this.steps++;
    for (const s of this.terms) {
      s.head = (s.head + 1) % s.history;
      const base = s.head * s.width;
      this.readTerm(s, obs, lastAction, s.ring, base);
      this.scaleEntry(s, base, true);
      if (!this.primed)
        for (let h = 0; h < s.history; h++) {
          if (h === s.head) continue;
          if (this.fill === 'zeros') s.ring.fill(0, h * s.width, (h + 1) * s.width);
          else s.ring.copyWithin(h * s.width, base, base + s.width);
        }
      for (let h = 0; h < s.history; h++) {
        // age 0 = newest; slot holding age a is head - a (mod history)
        const age = this.newestFirst ? h : s.history - 1 - h;
        const slot = (s.head - age + s.history) % s.history;
        // An element loop, not output.set(ring.subarray(...)): a subarray is a new view object per slot and tick.
        const from = slot * s.width, to = s.offset + h * (this.stride ?? s.width);
        for (let k = 0; k < s.width; k++) this.output[to + k] = s.ring[from + k];
      }
    }
    this.primed = true;
    this.badValues += this.badValuesLastBuild;
    return this.output;
  }

  /**
   * history_fill "reset", as unitree's C++ controllers fill a history (ObservationManager::reset()
   * calls each term once and pushes that value history_length times; the first step pushes its own
   * after it): every slot of every term gets the term evaluated at the reset, from the episode's first
   * observation (unitree's reset and first step read the same stored low-state: nothing sleeps between
   * them), with last_action zeros and the gait clock at k = count_from − 1 (docs/byom.md,
   * history_fill). Leaves the builder primed. Runs once per reset and allocates nothing.
   */
  private fillAtReset(obs: Observation): void {
    for (const s of this.terms) {
      const base = s.head * s.width;
      this.readTerm(s, obs, this.resetAction, s.ring, base);
      // A bad value here becomes 0 (lastGood after a reset) and is counted when the step itself reads it.
      this.scaleEntry(s, base, false);
      for (let h = 0; h < s.history; h++) if (h !== s.head) s.ring.copyWithin(h * s.width, base, base + s.width);
    }
    this.primed = true;
  }

  /** Raw entry at ring[base..] -> + bias -> × scale -> clip, a bad value replaced by the element's last good one (counted when `count`). */
  private scaleEntry(s: TermState, base: number, count: boolean): void {
    for (let k = 0; k < s.width; k++) {
      const raw = s.ring[base + k];
      let v = (raw + s.bias) * s.scale[k];
      if (!(Math.abs(raw) <= BAD_VALUE) || !(Math.abs(v) <= BAD_VALUE)) {
        v = s.lastGood[k];
        if (count) {
          this.badValuesLastBuild++;
          this.lastBadTerm = s.term;
        }
      } else if (v > s.clip) v = s.clip;
      else if (v < -s.clip) v = -s.clip;
      s.ring[base + k] = v;
      s.lastGood[k] = v;
    }
  }

  private readTerm(s: TermState, obs: Observation, lastAction: Float32Array, out: Float32Array, at: number): void {
    const idx = this.robotIndex;
    switch (s.term) {
      case 'joint_pos':
        for (let i = 0; i < idx.length; i++) out[at + i] = obs.jointPosition[idx[i]];
        return;
      case 'joint_pos_rel':
        for (let i = 0; i < idx.length; i++) out[at + i] = obs.jointPosition[idx[i]] - this.defaults[i];
        return;
      case 'joint_vel':
      case 'joint_vel_rel':
        for (let i = 0; i < idx.length; i++) out[at + i] = obs.jointVelocity[idx[i]];
        return;
      case 'joint_effort':
        for (let i = 0; i < idx.length; i++) out[at + i] = obs.jointEffort[idx[i]];
        return;
      case 'last_action':
        out.set(lastAction, at);
        return;
      case 'base_ang_vel': {
        const w = imuReading(s, obs, 'angularVelocity', out, at);
        if (w === undefined) return;
        out[at] = w[0];
        out[at + 1] = w[1];
        out[at + 2] = w[2];
        return;
      }
      case 'projected_gravity': {
        // World gravity direction (0, 0, -1) expressed in the base frame: R(q)^T · g.
        const q = imuReading(s, obs, 'orientation', out, at);
        if (q === undefined) return;
        rotateInverse(q, 0, 0, -1, out, at);
        return;
      }
      case 'base_lin_vel': {
        const b = obs.base;
        if (!b) {
          out.fill(0, at, at + 3);
          return;
        }
        // The robot fills comLinearVelocity when its spec says so (checked in the constructor).
        const v = s.com ? b.comLinearVelocity! : b.linearVelocity;
        rotateInverse(b.orientation, v[0], v[1], v[2], out, at);
        return;
      }
      case 'velocity_commands':
        out.set(this.velocityCommand, at);
        return;
      case 'base_euler_xyz': {
        const q = imuReading(s, obs, 'orientation', out, at);
        if (q === undefined) return;
        eulerXyz(q[0], q[1], q[2], q[3], out, at);
        return;
      }
      case 'gait_phase': {
        // As the vendors' deploy code: phase = (count · dt) % period / period, sin then cos.
        const phase = (((this.steps - 1 + s.countFrom) * this.dt) % s.period) / s.period;
        // unitree_rl_mjlab's phase term and controller: zeros while the command asks to stand; the clock runs on.
        const c = this.velocityCommand;
        if (s.standBelow > 0 && Math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) < s.standBelow) {
          out[at] = 0;
          out[at + 1] = 0;
          return;
        }
        out[at] = Math.sin(2 * Math.PI * phase);
        out[at + 1] = Math.cos(2 * Math.PI * phase);
        return;
      }
    }
  }
}

/**
 * An IMU term's reading: the IMU's orientation or angular velocity, or, for a term read in another
 * link, that link's (Observation.extras, linkFrameKeys). When the robot listed the link and wrote
 * nothing there: undefined, and out[at..at+2] = NaN, bad values that scaleEntry replaces by the
 * last good ones and counts. Allocates nothing.
 */
function imuReading(s: TermState, obs: Observation, which: 'orientation' | 'angularVelocity', out: Float32Array, at: number): Float32Array | undefined {
  const v = s.frame === undefined ? obs.imu![which] : obs.extras[s.frame[which]];
  if (v === undefined) out.fill(Number.NaN, at, at + 3);
  return v;
}

/** What a robot measures link frames with, for an error: its IMU only, or the links it reports. */
export function frameSourcesText(spec: RobotSpec): string {
  const f = spec.sensors.imuFrames ?? [];
  return f.length === 0 ? (spec.sensors.imu ? 'it measures them only with its IMU, on its own link' : 'it has no IMU') : `it reports its IMU and the links ${f.map((l) => printable(l)).join(', ')}`;
}

/** out[at..at+2] = R(q)^T · v for a unit quaternion q = (x, y, z, w). */
export function rotateInverse(q: ArrayLike<number>, vx: number, vy: number, vz: number, out: Float32Array, at: number): void {
  const x = -q[0], y = -q[1], z = -q[2], w = q[3];
  // v' = v + 2w (u × v) + 2 u × (u × v), u = (x, y, z) of the conjugate
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  out[at] = vx + w * tx + (y * tz - z * ty);
  out[at + 1] = vy + w * ty + (z * tx - x * tz);
  out[at + 2] = vz + w * tz + (x * ty - y * tx);
}

/**
 * out[at..at+2] = roll, pitch, yaw of a unit quaternion q = (x, y, z, w), each in [-π, π]: the x-y-z
 * Tait-Bryan angles of R = Rz(yaw)·Ry(pitch)·Rx(roll), pitch's sine clipped to [-1, 1] (as
 * humanoid-gym's sim2sim.py quaternion_to_euler_array and Isaac Gym's get_euler_xyz, wrapped).
 */
export function eulerXyz(x: number, y: number, z: number, w: number, out: Float32Array, at: number): void {
  out[at] = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  out[at + 1] = Math.asin(Math.min(1, Math.max(-1, 2 * (w * y - z * x))));
  out[at + 2] = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
}
