import type { CommandHold } from '../CommandHold.ts';
import type { JointInfo, MimicJoints } from '../build/index.ts';
import { applyJointEffort } from '../physics/jointCoordinates.ts';
import { wrapAngle } from '../physics/frames.ts';
import type { Actuators } from './Actuators.ts';

/**
 * What SimRobot's joints do in one physics step, from the held command and the joint state at
 * the step's start: the control law (sim/actuators/Actuators.ts), then either an explicit effort
 * with passive damping, friction and a limit spring-damper, or, with pd 'implicit', the joint's
 * drive, friction and hard limit rows in the solver (sim/physics/JointDrive.ts). A <mimic>
 * follower has no motor: only its damping, friction and limits.
 *
 * Real-time rules: apply() and readImplicit() allocate nothing.
 */
export class JointEfforts {
  /** Command target (rad | m | N·m) of each joint in the previous physics step: a drive row is warm started in full only while it holds. */
  private readonly prevDriveTarget: Float64Array;
  private readonly implicit: boolean;

  constructor(
    private readonly joints: readonly JointInfo[],
    private readonly act: Actuators,
    private readonly mimic: MimicJoints,
    /** Actuator effort applied in the last physics step (N·m | N), after saturation: SimRobot.actuatorEffort. */
    private readonly effort: Float64Array,
  ) {
    this.implicit = act.integration === 'implicit';
    this.prevDriveTarget = new Float64Array(joints.length).fill(NaN);
  }

  /** With pd 'implicit', `effort` = what the last step's motor did (the drive row at the velocity qd now). */
  readImplicit(qd: Float64Array): void {
    if (this.implicit) for (let i = 0; i < this.joints.length; i++) this.effort[i] = this.act.effortAfter(i, qd[i]);
  }

  /** Sets every joint's effort or rows for the next physics step; q, qd: joint state now (robot joint order). */
  apply(hold: CommandHold, q: Float64Array, qd: Float64Array): void {
    const n = this.joints.length;
    const mode = hold.mode;
    const target = hold.target;
    const act = this.act;
    const implicit = this.implicit;
    const h = act.dt;
    for (let i = 0; i < n; i++) {
      const j = this.joints[i];
      const s = j.spec;
      const qi = q[i];
      const qdi = qd[i];
      if (implicit) this.effort[i] = act.effortAfter(i, qdi); // what the last step's motor did
      const err = mode === 'position' ? (j.continuous ? wrapAngle(target[i] - qi) : target[i] - qi) : 0;
      // A follower has no motor (its command is ignored): only its damping, friction and limits.
      if (this.mimic.follower[i] === 1) act.compute(i, 'effort', 0, 0, 0, 0, 0, qdi);
      else act.compute(i, mode, target[i], err, hold.kp[i], hold.kd[i], hold.ff[i], qdi);
      let total = act.explicitEffort[i];
      if (implicit) {
        const drive = j.drive!;
        if (act.rowActive[i] === 1) drive.setDrive(act.rowTarget[i], act.rowCompliance[i], act.rowBound[i]);
        else drive.drive.enabled = false;
        drive.drive.commandHeld = target[i] === this.prevDriveTarget[i];
        this.prevDriveTarget[i] = target[i];
        drive.setFriction(h * act.friction[i]);
        // Joint limits: a hard one-sided row in the solver (sim/physics/JointDrive.ts setLimit).
        drive.setLimit(qi, qdi, s.lower, s.upper, h);
      } else {
        this.effort[i] = total;
        total += act.passiveExplicit(i, qdi);
        // Joint limits: a spring-damper outside [lower, upper].
        if (qi > s.upper) total += -j.limitK * (qi - s.upper) - (qdi > 0 ? j.limitD * qdi : 0);
        else if (qi < s.lower) total += -j.limitK * (qi - s.lower) - (qdi < 0 ? j.limitD * qdi : 0);
      }
      if (total !== 0) applyJointEffort(j, total);
    }
  }
}
