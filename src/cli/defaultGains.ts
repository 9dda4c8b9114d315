/** The PD gains axon gives a URDF robot's joints when neither the manifest nor a flag gives any. */

/**
 * PD gains when neither the manifest nor a flag gives any ("look first"): kp = 10 × the joint's
 * effort limit per rad (full effort at 0.1 rad of error), kd = kp / 40 (a 25 ms time constant).
 * On a floating base kp is capped at the robot's weight × 1 m per rad (M·g·1 m): a standing robot
 * is an inverted pendulum of stiffness M·g·h (h its centre-of-mass height, under 1 m), which the
 * ankles must beat, and stiffer legs chatter on the ground at 200 Hz (docs/simulation.md, the
 * 29-DoF vendor humanoid: knees at 10 × 139 N·m hop and fall, capped at 324 N·m/rad it stands at
 * 200 and 500 Hz). A joint without an effort limit gets kp 100 (capped the same way).
 */
export function defaultGains(effortLimit: number, robot?: { readonly mass: number /* kg */; readonly floating: boolean }): { kp: number; kd: number } {
  let kp = Number.isFinite(effortLimit) && effortLimit > 0 ? 10 * effortLimit : 100;
  if (robot?.floating && robot.mass > 0) kp = Math.min(kp, robot.mass * 9.81 * 1);
  return { kp, kd: kp * KD_PER_KP };
}

/** The rule's damping per unit of position gain (a 25 ms time constant): also the kd of a joint given a kp alone. */
export const KD_PER_KP = 1 / 40;
export const DEFAULT_GAINS_RULE = 'kp = 10 × effort limit (N·m/rad; N/m on a prismatic joint), 100 without one, on a floating base at most the robot weight × 1 m; kd = kp / 40';
