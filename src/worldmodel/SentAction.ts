import type { ControlMode, JointCommand, RobotSpec } from '../core/robot.ts';
import { actionSize, type ActionType, type ModelManifest } from '../model/manifest.ts';
import { expandScale, mapJoints, modelDefaults } from '../model/jointMap.ts';

const modeOf: Record<ActionType, ControlMode> = {
  joint_position: 'position',
  joint_position_abs: 'position',
  joint_velocity: 'velocity',
  joint_effort: 'effort',
};

/**
 * The raw action (a world model's action space) that a command the robot was actually sent stands
 * for: the inverse of ActionMapper.map, (target - offset) / scale on the action's joints. The
 * safety supervisor may have changed the proposal on its way out (soft start blend, rate limit,
 * clamps, a hold), and a monitor predicts from what the robot got (docs/world-model.md, "Monitor").
 * Allocates nothing per call.
 */
export class SentAction {
  readonly mode: ControlMode;
  private readonly robotIndex: Int32Array;
  private readonly offset: Float32Array;
  private readonly scale: Float32Array;

  constructor(manifest: ModelManifest, spec: RobotSpec) {
    const names = manifest.action.joints ?? manifest.joints;
    const n = actionSize(manifest);
    this.mode = modeOf[manifest.action.type];
    this.robotIndex = mapJoints(names, spec, 'manifest.json#/action/joints');
    this.scale = expandScale(manifest.action.scale, n);
    this.offset = new Float32Array(n);
    if (manifest.action.type === 'joint_position') {
      const defaults = modelDefaults(manifest, spec, mapJoints(manifest.joints, spec, 'manifest.json#/joints'));
      for (let i = 0; i < n; i++) this.offset[i] = defaults[manifest.joints.indexOf(names[i])];
    }
  }

  /**
   * Writes the raw action `cmd` stands for into `raw`; false (raw untouched past the first bad
   * element) when it cannot stand for one: another control mode (a supervisor's position hold of an
   * effort policy) or a value that is not finite.
   */
  read(cmd: JointCommand, raw: Float32Array): boolean {
    if (cmd.mode !== this.mode) return false;
    for (let i = 0; i < this.robotIndex.length; i++) {
      const s = this.scale[i];
      const v = s === 0 ? 0 : (cmd.target[this.robotIndex[i]] - this.offset[i]) / s;
      if (!Number.isFinite(v)) return false;
      raw[i] = v;
    }
    return true;
  }
}
