import type { UrdfNote } from './parseUrdf.ts';

/** Notes that an exported URDF repeats once per mesh, link or joint, each said once with a count (`what` the count is of). */
const MERGED_NOTES: readonly (readonly [string, string])[] = [
  ['URDF_MESH_RELOCATED', 'mesh files'],
  ['URDF_VISUAL_MESH_MISSING', 'visual meshes'],
  ['URDF_COLLISION_MESH_MISSING', 'collision meshes'],
  ['URDF_POINT_CONTACT', 'point contacts'],
  ['URDF_LIMIT_DEFAULTED', 'joints'],
  ['URDF_LIMIT_ZERO', 'joints'],
  ['URDF_LIMIT_RANGE_ZERO', 'joints'],
  ['URDF_INERTIAL_SCALE', 'inertials'],
  ['URDF_MIMIC', 'mimic joints'],
  ['URDF_MIMIC_FIXED_LEADER', 'mimic joints'],
];

/** Every note of MERGED_NOTES said once (parseUrdf's last step). */
export function mergeNotes(notes: UrdfNote[]): UrdfNote[] {
  return MERGED_NOTES.reduce((acc, [code, what]) => oneNotePer(acc, code, what), notes);
}

/** Notes of `code` beyond the first become a count on it: an exported URDF repeats one cause per mesh. */
export function oneNotePer(notes: UrdfNote[], code: string, what: string): UrdfNote[] {
  const same = notes.filter((n) => n.code === code);
  if (same.length < 2) return notes;
  const first = notes.indexOf(same[0]);
  const merged = { ...same[0], message: `${same[0].message} (and ${same.length - 1} more ${what} likewise)` };
  return notes.flatMap((n, i) => (i === first ? [merged] : n.code === code ? [] : [n]));
}
