/**
 * The gain bounds a simulated robot gives its joints (JointSpec.kpMax / kdMax) when nothing else
 * does: a ceiling against absurd gains (a client's 1e9, a unit slip), not a tuning limit. It is
 * the gain at which the joint's effort limit is reached at a 1 mrad (or 1 mm) position error, or
 * at 0.1 % of its velocity limit. The actuator clamps the effort to the limit, so a larger gain
 * adds no effort anywhere: it only turns the PD into a bang-bang switch within a smaller error.
 * A trained policy's gains saturate at tens of mrad or more, so they never reach it. The bound
 * comes from the limits alone, never from the joint's default gains: a manifest's pd becomes the
 * defaults on a URDF or MJCF robot and not on a shipped one, and both must get the same bound.
 * Static gains above it (a spec default, a manifest's pd, --kp / --kd) are refused before arming
 * (SafetySupervisor.assertCommandable); gains that change per tick are clamped (gain_clamp).
 * The stop damping saturates at 10 % of the velocity limit, 100 × below this kdMax.
 * docs/safety.md, "Gain bounds".
 */

/** Position error (rad | m) at which a joint's largest position gain reaches its effort limit. */
export const SIM_KP_SATURATION_ERROR = 0.001;
/** Speed, as a fraction of the joint's velocity limit, at which its largest damping reaches its effort limit. */
export const SIM_KD_SATURATION_FRACTION = 0.001;

/**
 * kpMax / kdMax for a simulated joint: absent when the effort limit is not finite and > 0 (a
 * passive joint is zeroed by the supervisor anyway; an unlimited actuator has no such bound), and
 * kdMax absent without a finite velocity limit > 0. Configure time.
 */
export function simGainBounds(j: { readonly effortLimit: number; readonly velocityLimit: number }): { kpMax?: number; kdMax?: number } {
  const e = j.effortLimit;
  if (!(Number.isFinite(e) && e > 0)) return {};
  const kpMax = e / SIM_KP_SATURATION_ERROR;
  const v = j.velocityLimit;
  if (!(Number.isFinite(v) && v > 0)) return { kpMax };
  return { kpMax, kdMax: e / (SIM_KD_SATURATION_FRACTION * v) };
}
