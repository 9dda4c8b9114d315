import type { UrdfNote } from '../urdf/parseUrdf.ts';

/**
 * A joint's default (start and hold) position clamped into its limits, with the note
 * SIM_DEFAULT_OUTSIDE_LIMITS when it was outside: the same rule for a URDF robot in either engine
 * and an MJCF model (whose keyframe or qpos0 may sit outside a range, as Allegro's thumb base does).
 * `from` names where the value came from when that is worth saying (`keyframe "home"`, `qpos0`).
 * Configure time only.
 */
export function defaultWithinLimits(joint: string, wanted: number, lower: number, upper: number, notes: UrdfNote[], from?: string): number {
  if (wanted >= lower && wanted <= upper) return wanted;
  const held = wanted < lower ? lower : upper;
  notes.push({
    code: 'SIM_DEFAULT_OUTSIDE_LIMITS',
    where: `<joint name="${joint}">`,
    message: `default position ${wanted}${from ? ` (${from})` : ''} is outside its limits [${lower}, ${upper}]: it starts and holds at ${held} (give a pose within the limits: --init-pose or the manifest's default_joint_pos)`,
  });
  return held;
}
