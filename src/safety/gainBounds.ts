/**
 * The gain bounds a simulated robot gives its joints (JointSpec.kpMax / kdMax) when nothing else
 * does: the gains at which the joint's effort limit is reached at a 0.01 rad (or m) position
 * error, or at 1 % of its velocity limit. The actuator clamps the effort to the limit, so a larger
 * gain adds no effort anywhere: it only turns the PD into a bang-bang switch at the limit within a
 * smaller error, the chatter that drives explicit PD at the physics step unstable
 * (docs/simulation.md, "Gains that hold the mass, damping that stays stable"). The bound needs no
 * inertia (the stability bound kd·dt/I < 2 does, and a chain's I changes with its pose), and it
 * never cuts the joint's own gains (a spec gain above it is its bound), nor the stop damping
 * (SafetySupervisor's kd_stop saturates at 10 % of the velocity limit, 10 × below this kdMax).
 * docs/safety.md, "Gain bounds".
 */

/** Position error (rad | m) at which a joint's largest position gain reaches its effort limit. */
export const SIM_KP_SATURATION_ERROR = 0.01;
/** Speed, as a fraction of the joint's velocity limit, at which its largest damping reaches its effort limit. */
export const SIM_KD_SATURATION_FRACTION = 0.01;

/**
 * kpMax / kdMax for a simulated joint: absent when the effort limit is not finite and > 0 (a
 * passive joint is zeroed by the supervisor anyway; an unlimited actuator has no such bound), and
 * kdMax absent without a finite velocity limit > 0. Configure time.
 */
export function simGainBounds(j: { readonly effortLimit: number; readonly velocityLimit: number; readonly kp: number; readonly kd: number }): { kpMax?: number; kdMax?: number } {
  const e = j.effortLimit;
  if (!(Number.isFinite(e) && e > 0)) return {};
  const kpMax = Math.max(e / SIM_KP_SATURATION_ERROR, Number.isFinite(j.kp) ? j.kp : 0);
  const v = j.velocityLimit;
  if (!(Number.isFinite(v) && v > 0)) return { kpMax };
  return { kpMax, kdMax: Math.max(e / (SIM_KD_SATURATION_FRACTION * v), Number.isFinite(j.kd) ? j.kd : 0) };
}
