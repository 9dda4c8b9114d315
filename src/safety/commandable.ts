/**
 * What SafetySupervisor.assertCommandable refuses before arming (configure time, may allocate):
 * static gains above the joints' kpMax / kdMax, and velocity mode with kd 0 on a driven joint (the
 * robot would not move while reporting running). docs/safety.md, "Gain bounds".
 */
import { AxonError } from '../core/errors.ts';
import type { JointCommand, RobotSpec } from '../core/robot.ts';
import type { JointLimits } from './JointLimits.ts';

export function assertCommandable(spec: RobotSpec, lim: JointLimits, cmd: JointCommand): void {
  assertGainsWithinBounds(spec, lim, cmd);
  if (cmd.mode !== 'velocity') return;
  const why = velocityUndriven(spec, lim, cmd.kd);
  if (why !== undefined) throw new AxonError('SAFETY_VELOCITY_GAIN', `robot ${spec.name}`, why, 'kd > 0 (N·m·s/rad | N·s/m) for every driven joint, in the robot spec or the model manifest pd.kd');
}

/**
 * For a velocity-mode command with these kd (undefined: the spec's): what it would leave undriven,
 * a driven joint with kd 0 or not a number (`left_knee (kd 0)`, ...), or undefined when every one
 * is driven. Allocates only when it finds one: a bridge server checks each velocity command frame.
 */
export function velocityUndriven(spec: RobotSpec, lim: JointLimits, kd: ArrayLike<number> | undefined): string | undefined {
  let bad: string[] | undefined;
  for (let i = 0; i < lim.n; i++) {
    if (lim.eLim[i] === 0) continue; // passive: nothing to drive
    if (spec.joints[i].ownVelocityLoop === true) continue; // the servo's own loop moves it
    const k = kd ? kd[i] : spec.joints[i].kd;
    if (!(k > 0)) (bad ??= []).push(`${spec.joints[i].name} (kd ${k})`);
  }
  return bad && `velocity mode with kd 0 commands no effort (the velocity gain is kd) on ${bad.join(', ')}: the robot would not move while reporting running`;
}

function assertGainsWithinBounds(spec: RobotSpec, lim: JointLimits, cmd: JointCommand): void {
  const over: string[] = [];
  for (let i = 0; i < lim.n; i++) {
    if (lim.eLim[i] === 0) continue; // passive: its gains are zeroed, never sent
    const name = spec.joints[i].name;
    const kp = cmd.kp?.[i];
    const kd = cmd.kd?.[i];
    if (kp !== undefined && kp > lim.kpMax[i]) over.push(`${name} kp ${kp} > kpMax ${lim.kpMax[i]}`);
    if (kd !== undefined && kd > lim.kdMax[i]) over.push(`${name} kd ${kd} > kdMax ${lim.kdMax[i]}`);
  }
  if (over.length > 0) {
    throw new AxonError(
      'SAFETY_GAIN_BOUND',
      `robot ${spec.name}`,
      `gains above the joints' bounds: ${over.join(', ')}`,
      'kp <= kpMax and kd <= kdMax for every joint (the robot spec\'s default gains, the model manifest\'s pd, --kp / --kd; docs/safety.md "Gain bounds")',
    );
  }
}
