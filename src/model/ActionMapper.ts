import type { ControlMode, JointCommand, RobotSpec } from '../core/robot.ts';
import type { ModelManifest, ActionType } from './manifest.ts';
import { actionSize } from './manifest.ts';
import { expandScale, mapJoints, modelDefaults } from './jointMap.ts';

/** MuJoCo's mju_isBad bound (the supervisor's default badValue). */
const BAD_VALUE = 1e10;

const modeOf: Record<ActionType, ControlMode> = {
  joint_position: 'position',
  joint_position_abs: 'position',
  joint_velocity: 'velocity',
  joint_effort: 'effort',
};

/**
 * Turns a model's raw output into a JointCommand in the robot's joint order: clip the raw
 * action, scale it, add the default pose for relative position actions, bound the result per
 * joint (action.target_clip) and map model joints to robot joints by name. Robot joints the model does not drive hold their default pose (position
 * mode) or get zero (velocity / effort); a model joint outside the action (position mode) holds the
 * manifest's `default_joint_pos`, clamped into its limits, the pose the policy was trained around
 * (Isaac Lab keeps such a joint's target at init_state.joint_pos), not the robot config's. NaN passes through untouched into the command: the
 * safety supervisor, not the mapper, rejects bad numbers. But only a finite action is fed back:
 * `feedback` (the `last_action` term) keeps the last action whose every value was finite and
 * |x| <= 1e10, so one bad action cannot latch into the next model inputs. It is the action after
 * the clip (`clipped`), or before it when the manifest's last_action term says `before_clip`.
 */
export class ActionMapper {
  readonly mode: ControlMode;
  /** The last finite raw action after clip (zeros after reset()). */
  readonly clipped: Float32Array;
  /** What the `last_action` term reads: `clipped`, or the last finite raw action before the clip (before_clip). */
  readonly feedback: Float32Array;
  /** The last map()'s action had a non-finite or absurd value (so `clipped` was kept). */
  lastBad = false;
  private readonly robotIndex: Int32Array;
  private readonly offset: Float32Array;
  private readonly scale: Float32Array;
  private readonly clip: number;
  /** Per action joint bounds on the command (manifest action.target_clip; ±Infinity when not given). */
  private readonly targetLo: Float64Array;
  private readonly targetHi: Float64Array;

  /**
   * `flagGains`: one kp / kd for every action joint over the manifest's `pd` (a user's `--kp`/`--kd`);
   * without a `pd` the robot's own gains are sent, and those already carry the flags.
   */
  constructor(
    manifest: ModelManifest,
    private readonly spec: RobotSpec,
    flagGains?: { readonly kp?: number; readonly kd?: number },
  ) {
    const names = manifest.action.joints ?? manifest.joints;
    this.mode = modeOf[manifest.action.type];
    this.robotIndex = mapJoints(names, spec, 'manifest.json#/action/joints');
    const n = actionSize(manifest);
    this.clipped = new Float32Array(n);
    const beforeClip = manifest.observation.terms.some((t) => t.term === 'last_action' && t.before_clip === true);
    this.feedback = beforeClip ? new Float32Array(n) : this.clipped;
    this.scale = expandScale(manifest.action.scale, n);
    this.clip = manifest.action.clip ?? Infinity;
    const tc = manifest.action.target_clip;
    this.targetLo = Float64Array.from({ length: n }, (_, i) => tc?.[i][0] ?? -Infinity);
    this.targetHi = Float64Array.from({ length: n }, (_, i) => tc?.[i][1] ?? Infinity);
    const allIndex = mapJoints(manifest.joints, spec, 'manifest.json#/joints');
    const allDefaults = modelDefaults(manifest, spec, allIndex);
    this.offset = new Float32Array(n);
    if (manifest.action.type === 'joint_position')
      for (let i = 0; i < n; i++) this.offset[i] = allDefaults[manifest.joints.indexOf(names[i])];
    this.gains = manifest.pd
      ? { kp: Float64Array.from(manifest.pd.kp, (v) => flagGains?.kp ?? v), kd: Float64Array.from(manifest.pd.kd, (v) => flagGains?.kd ?? v) }
      : undefined;
    // Model joints outside the action hold the model's default pose (docs/byom.md, pd.held): a
    // hardware config or bridge hello may carry another default than the one trained around.
    const outside = manifest.joints.map((j, k) => k).filter((k) => !names.includes(manifest.joints[k]));
    this.idleIndex = Int32Array.from(outside, (k) => allIndex[k]);
    this.idleTarget = Float64Array.from(outside, (k) => {
      const j = spec.joints[allIndex[k]];
      return Math.min(j.upper, Math.max(j.lower, allDefaults[k]));
    });
    // pd.held: the gains of model joints outside the action, sent with their default-pose target.
    const held = Object.entries(manifest.pd?.held ?? {});
    this.heldIndex = held.length > 0 ? mapJoints(held.map(([j]) => j), spec, 'manifest.json#/pd/held') : new Int32Array(0);
    this.heldKp = Float64Array.from(held, ([, g]) => flagGains?.kp ?? g.kp);
    this.heldKd = Float64Array.from(held, ([, g]) => flagGains?.kd ?? g.kd);
  }

  private readonly gains: { kp: Float64Array; kd: Float64Array } | undefined;
  private readonly heldIndex: Int32Array;
  /** Robot index and (clamped) model default of each model joint outside the action. */
  private readonly idleIndex: Int32Array;
  private readonly idleTarget: Float64Array;
  private readonly heldKp: Float64Array;
  private readonly heldKd: Float64Array;

  /** Forgets the last action (episode start, operator re-arm). */
  reset(): void {
    this.clipped.fill(0);
    this.feedback.fill(0);
    this.lastBad = false;
  }

  /** Writes the command for `raw` into `out` (allocated for the robot spec). */
  map(raw: Float32Array, out: JointCommand): void {
    const joints = this.spec.joints;
    let bad = false;
    for (let i = 0; i < this.robotIndex.length; i++) if (!(Math.abs(raw[i]) <= BAD_VALUE)) bad = true;
    this.lastBad = bad;
    out.mode = this.mode;
    for (let r = 0; r < joints.length; r++) {
      out.target[r] = this.mode === 'position' ? joints[r].defaultPosition : 0;
      if (out.kp) out.kp[r] = joints[r].kp;
      if (out.kd) out.kd[r] = joints[r].kd;
      if (out.feedforward) out.feedforward[r] = 0;
    }
    if (this.mode === 'position') for (let k = 0; k < this.idleIndex.length; k++) out.target[this.idleIndex[k]] = this.idleTarget[k];
    for (let h = 0; h < this.heldIndex.length; h++) {
      if (out.kp) out.kp[this.heldIndex[h]] = this.heldKp[h];
      if (out.kd) out.kd[this.heldIndex[h]] = this.heldKd[h];
    }
    for (let i = 0; i < this.robotIndex.length; i++) {
      let a = raw[i];
      if (!bad) this.feedback[i] = a; // overwritten below unless before_clip
      if (a > this.clip) a = this.clip;
      else if (a < -this.clip) a = -this.clip;
      if (!bad) this.clipped[i] = a;
      const r = this.robotIndex[i];
      // Isaac Lab's JointAction clip bounds the processed command, not the raw action.
      const t = this.offset[i] + this.scale[i] * a;
      out.target[r] = t > this.targetHi[i] ? this.targetHi[i] : t < this.targetLo[i] ? this.targetLo[i] : t;
      if (this.gains) {
        if (out.kp) out.kp[r] = this.gains.kp[i];
        if (out.kd) out.kd[r] = this.gains.kd[i];
      }
    }
  }
}
