import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axon } from '../helpers/cli.ts';
import { numpyScalarYaml, orderedDictYaml } from '../helpers/pyyamlNumpy.ts';

const JOINTS = ['FL_hip_joint', 'FR_hip_joint', 'RL_hip_joint', 'RR_hip_joint', 'FL_thigh_joint', 'FR_thigh_joint', 'RL_thigh_joint', 'RR_thigh_joint', 'FL_calf_joint', 'FR_calf_joint', 'RL_calf_joint', 'RR_calf_joint'];
const BASE = readFileSync('tests/fixtures/isaaclab-env.yaml', 'utf8');
const POSE = `      joint_pos:
        .*L_hip_joint: 0.1
        .*R_hip_joint: -0.1
        F[L,R]_thigh_joint: 0.8
        R[L,R]_thigh_joint: 1.0
        .*_calf_joint: -1.5
`;
/** The pose the plain mapping gives, in JOINTS order. */
const DEFAULTS = [0.1, -0.1, 0.1, -0.1, 0.8, 0.8, 1, 1, -1.5, -1.5, -1.5, -1.5];

function envFile(edits: [string, string][]): string {
  let text = BASE;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`fixture has no ${from}`);
    text = text.replace(from, to);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'axon-isaaclab-py-')), 'env.yaml');
  writeFileSync(file, text);
  return file;
}
const fromIsaacLab = (file: string, joints = JOINTS.join(',')) => axon('manifest', 'from-isaaclab', file, '--joints', joints);

describe('manifest from-isaaclab: Python objects in env.yaml', () => {
  it('reads init_state.joint_pos dumped as an OrderedDict as the pose it holds (not zeros), and actuator gains given as OrderedDicts', () => {
    expect(BASE).toContain(POSE);
    const pairs: [string, number][] = [['.*L_hip_joint', 0.1], ['.*R_hip_joint', -0.1], ['F[L,R]_thigh_joint', 0.8], ['R[L,R]_thigh_joint', 1.0], ['.*_calf_joint', -1.5]];
    const actuators = `    actuators:
      legs:
        class_type: isaaclab.actuators.actuator_pd:ImplicitActuator
        joint_names_expr: [.*]
        stiffness:${orderedDictYaml(8, [['.*_hip_joint', 20], ['.*_thigh_joint', 25], ['.*_calf_joint', 30]])}
        damping:${orderedDictYaml(8, [['.*', 0.5]])}
`;
    const file = envFile([[POSE, `      joint_pos:${orderedDictYaml(6, pairs)}\n`], ['    init_state:\n', `${actuators}    init_state:\n`]]);
    const r = fromIsaacLab(file);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.default_joint_pos).toEqual(DEFAULTS);
    expect(m.pd.kp).toEqual(JOINTS.map((j) => (j.includes('hip') ? 20 : j.includes('thigh') ? 25 : 30)));
    expect(m.pd.kd).toEqual(JOINTS.map(() => 0.5));
  });

  it('refuses a joint_pos that is present but not a mapping, naming the key (never a zero pose, exit 0)', () => {
    const file = envFile([[POSE, '      joint_pos: [0.1, -0.1, 0.8]\n']]);
    const r = fromIsaacLab(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[IMPORT_CONFIG]: env.yaml: scene.robot.init_state.joint_pos: is [0.1,-0.1,0.8], not a mapping');
    expect(r.stdout).toBe('');
  });

  it('reads numpy scalars (an observation scale, a default angle) as their numbers, with a note', () => {
    const file = envFile([
      // PyYAML anchors the dtype where it first writes it (init_state comes first) and aliases it after.
      ['        F[L,R]_thigh_joint: 0.8\n', `        F[L,R]_thigh_joint:${numpyScalarYaml(8, 0.8, { anchor: 'id001' })}\n`],
      ['      scale: 0.25\n', `      scale:${numpyScalarYaml(6, 0.25, { alias: 'id001' })}\n`],
    ]);
    const r = fromIsaacLab(file);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.default_joint_pos).toEqual(DEFAULTS);
    expect(m.observation.terms.find((t: { term: string }) => t.term === 'base_ang_vel').scale).toBe(0.25);
    expect(r.stderr).toContain('not mapped: env.yaml: numpy scalars read as their values: scene.robot.init_state.joint_pos.F[L,R]_thigh_joint = 0.8 (f8), observations.policy.base_ang_vel.scale = 0.25 (f8)');
  });

  it('refuses a numpy scalar it cannot decode, naming the env.yaml key', () => {
    const file = envFile([['      scale: 0.25\n', `      scale:${numpyScalarYaml(6, 0, { dtype: 'f2', bytes: new Uint8Array(2) })}\n`]]);
    const r = fromIsaacLab(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[IMPORT_CONFIG]: env.yaml: observations.policy.base_ang_vel.scale: is a numpy scalar of dtype "f2", which axon does not decode');
  });
});

describe('--joints as Python prints env.scene["robot"].joint_names', () => {
  it('takes the pasted list with single or double quotes, as the comma list', () => {
    const plain = fromIsaacLab('tests/fixtures/isaaclab-env.yaml');
    expect(plain.code, plain.stderr).toBe(0);
    for (const joints of [`[${JOINTS.map((j) => `'${j}'`).join(', ')}]`, `[${JOINTS.map((j) => `"${j}"`).join(', ')}]`, `(${JOINTS.map((j) => `'${j}'`).join(',')},)`]) {
      const r = fromIsaacLab('tests/fixtures/isaaclab-env.yaml', joints);
      expect(r.code, `${joints}\n${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(plain.stdout));
    }
  });

  it('refuses a list it cannot read, saying what is wrong', () => {
    const noClose = fromIsaacLab('tests/fixtures/isaaclab-env.yaml', `['FL_hip_joint', 'FR_hip_joint'`);
    expect(noClose.code).toBe(2);
    expect(noClose.stderr).toContain('--joints starts with "[" but does not end with "]"');
    const quote = fromIsaacLab('tests/fixtures/isaaclab-env.yaml', `['FL_hip_joint', 'FR_hip_joint]`);
    expect(quote.code).toBe(2);
    expect(quote.stderr).toContain('--joints entry 2 opens a single quote and does not close it');
    const half = fromIsaacLab('tests/fixtures/isaaclab-env.yaml', `FL_hip_joint', FR_hip_joint`);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain(`--joints entry 1 ("FL_hip_joint'") has a quote that is not around the whole name`);
  });
});
