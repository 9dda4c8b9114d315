/**
 * R21 F9: an env.yaml re-saved by a key-sorting dump (PyYAML's yaml.dump, sort_keys=True by
 * default) lists observations.policy's terms alphabetically: the same observation size, a permuted
 * policy input, and from-isaaclab used to read it silently. Isaac Lab's own dump_yaml keeps the
 * config's order (group settings first, each term's func first), which a sorted group breaks: it is
 * now refused naming observations.policy. The fixture is the G1 env.yaml as Isaac Lab dumps it,
 * re-sorted line-wise so that its Python tags (tuples, slices) stay as a full dump keeps them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestFromIsaacLab } from '../../../../src/model/importers/isaaclab.ts';
import { ImportError } from '../../../../src/model/importers/common.ts';
import { parsePythonYaml } from '../../../../src/model/importers/pythonYaml.ts';

const JOINTS = [
  'left_hip_pitch_joint', 'right_hip_pitch_joint', 'waist_yaw_joint', 'left_hip_roll_joint', 'right_hip_roll_joint',
  'left_shoulder_pitch_joint', 'right_shoulder_pitch_joint', 'left_hip_yaw_joint', 'right_hip_yaw_joint', 'left_knee_joint',
  'right_knee_joint', 'left_ankle_pitch_joint', 'right_ankle_pitch_joint', 'left_ankle_roll_joint', 'right_ankle_roll_joint',
];
const TEXT = readFileSync('tests/fixtures/isaaclab-g1-env.yaml', 'utf8');
const indentOf = (l: string) => l.length - l.trimStart().length;

/** Block-style YAML with every mapping's keys sorted, as yaml.dump(sort_keys=True) writes it (block sequences at their key's indent, as PyYAML writes them). */
function sortKeys(lines: string[], indent: number): string[] {
  if (lines.length === 0 || indentOf(lines[0]) !== indent || lines[0].trimStart().startsWith('- ')) return lines;
  const entries: string[][] = [];
  for (const l of lines) {
    if (indentOf(l) === indent && !l.trimStart().startsWith('- ')) entries.push([l]);
    else entries[entries.length - 1].push(l);
  }
  const key = (e: string[]) => e[0].trim().split(':')[0];
  return entries
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .flatMap(([head, ...rest]) => [head, ...sortKeys(rest, indent + 2)]);
}
const sortedText = () => sortKeys(TEXT.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')), 0).join('\n') + '\n';
const load = (text: string) => parsePythonYaml(text, 'env.yaml', 'a mapping').cfg as Record<string, unknown>;
const imported = (cfg: Record<string, unknown>) => manifestFromIsaacLab(cfg, { joints: JOINTS, name: 'g1', robot: 'g1', notes: [] }, 'env.yaml');

describe('from-isaaclab: an env.yaml re-saved with sorted keys', () => {
  it('is refused naming observations.policy, not read as a permuted input', () => {
    const sorted = load(sortedText());
    // The sorted file still parses to the same terms, only in alphabetical order.
    expect(Object.keys((sorted.observations as any).policy).filter((k) => k.includes('_') && !['concatenate_terms', 'concatenate_dim', 'enable_corruption', 'history_length', 'flatten_history_dim'].includes(k))).toEqual([
      'base_ang_vel', 'joint_pos_rel', 'joint_vel_rel', 'last_action', 'projected_gravity', 'velocity_commands',
    ]);
    expect(() => imported(sorted)).toThrow(ImportError);
    expect(() => imported(sorted)).toThrow(
      /env\.yaml: observations\.policy: has its keys in alphabetical order \(base_ang_vel, concatenate_dim, concatenate_terms, .*; group setting concatenate_dim comes after term base_ang_vel\), as a key-sorting dump writes them .*the policy's input order, is lost/,
    );
    // Put back as the message says (the rest of the file may stay sorted), it is read in the config's order.
    sorted.observations = { ...(sorted.observations as object), policy: (load(TEXT).observations as any).policy };
    expect(imported(sorted).observation.terms.map((t) => t.term)).toEqual(['base_ang_vel', 'projected_gravity', 'velocity_commands', 'joint_pos_rel', 'joint_vel_rel', 'last_action']);
  });

  it("is refused when a 1.x-style group's settings happen to sort first, from the terms' own fields (Isaac Lab writes func first)", () => {
    const sorted = load(sortedText());
    const policy = (sorted.observations as any).policy as Record<string, unknown>;
    // Only terms named after the settings: settings first and still alphabetical.
    const group: Record<string, unknown> = { concatenate_terms: true, enable_corruption: true };
    for (const k of ['joint_pos_rel', 'joint_vel_rel', 'last_action', 'projected_gravity']) group[k] = policy[k];
    (sorted.observations as any).policy = group;
    expect(() => imported(sorted)).toThrow(/observations\.policy: has its keys in alphabetical order .*term joint_pos_rel's fields are sorted too \(clip, flatten_history_dim, func, \.\.\.; Isaac Lab writes func first\)/);
  });
});
