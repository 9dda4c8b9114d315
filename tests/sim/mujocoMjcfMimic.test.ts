import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import type { ModelManifest } from '../../src/model/manifest.ts';
import { axon } from '../helpers/cli.ts';
import { closeGripper } from '../helpers/gripperClose.ts';
import { writeMenageriePandaHand, writeOddCouplings, writeRotaryGripper } from '../helpers/menagerieGrippers.ts';
import { linearPolicy } from '../helpers/onnxFixtures.ts';

/**
 * An MJCF's joint couplings (`<equality><joint>`, mujoco_menagerie's grippers) as followers in
 * MuJoCo, as a URDF <mimic> is (sim/mujoco/mjcfMimic.ts; docs/mujoco.md, "Mimic joints"): the
 * follower moves with its leader through the model's own equality, its command ignored, its effort
 * 0; couplings that cannot be followers stay as they were, noted. 200 Hz, implicit PD. AXON_PRINT=1
 * prints the figures docs/mujoco.md quotes.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-mimic-'));
const HZ = 200;
const robots: MujocoRobot[] = [];
const gains = () => ({ kp: 30, kd: 0.75 });
async function build(file: string, defaultPositions?: Record<string, number>): Promise<MujocoRobot> {
  const r = await createMujocoMjcfRobot(file, { physicsDt: 1 / HZ, defaultGains: gains, ...(defaultPositions ? { defaultPositions } : {}) });
  robots.push(r);
  return r;
}
afterAll(() => {
  robots.forEach((r) => r.dispose());
  rmSync(dir, { recursive: true, force: true });
});
const notesOf = (r: MujocoRobot) => Object.fromEntries(r.notes.map((n) => [n.code, n.message]));
const byName = (r: MujocoRobot) => Object.fromEntries(r.spec.joints.map((j) => [j.name, j]));

const panda = writeMenageriePandaHand(dir);
const rotary = writeRotaryGripper(dir);

describe("menagerie's panda hand: finger_joint1 follows finger_joint2 (<equality><joint>, a tendon actuator on both)", () => {
  it('the follower is JointSpec.mimic, the leader and the wrist driven; the notes say so', async () => {
    const r = await build(panda.file);
    expect(r.spec.joints.map((j) => j.name)).toEqual(['joint7', 'finger_joint1', 'finger_joint2']);
    const j = byName(r);
    expect(j.finger_joint1.mimic).toEqual({ joint: 'finger_joint2', multiplier: 1, offset: 0 });
    expect(j.finger_joint2.mimic).toBeUndefined();
    expect(j.joint7.mimic).toBeUndefined();
    const notes = notesOf(r);
    expect(notes.MUJOCO_MJCF_MIMIC).toContain('1 joint coupling(s) of the model (<equality><joint>, linear) make followers, as a URDF <mimic>: finger_joint1 = 1·finger_joint2 + 0');
    expect(notes.MUJOCO_MJCF_TENDON).toContain("finger_joint2: moved by the model through a tendon, whose actuator axon does not read: each gets axon's PD on its own");
    expect(notes.MUJOCO_MJCF_TENDON).toContain('finger_joint1 on that tendon follows finger_joint2 (<equality><joint>) with no PD of its own');
    expect(notes.MUJOCO_MJCF_EQUALITY).toBeUndefined();
    // The keyframe opens both fingers, on the coupling: no SIM_MIMIC_DEFAULT.
    expect(notes.SIM_MIMIC_DEFAULT).toBeUndefined();
    expect(Array.from(r.observe().jointPosition.subarray(1), (x) => +x.toFixed(6))).toEqual([0.04, 0.04]);
  });

  it('closing on the leader alone: the follower tracks it within 1e-5 m, its garbage targets ignored, its effort 0', async () => {
    const r = await build(panda.file);
    const c = closeGripper(r, { leader: 'finger_joint2', mimics: panda.mimics, open: 0.04, closed: 0, velocity: 0.2, kp: 1000, kd: 25 });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ gripper: 'menagerie panda hand (MJCF)', hz: HZ, ...c }));
    expect(c.leaderEnd).toBeCloseTo(0, 3);
    expect(c.worst).toBeLessThan(1e-5);
    expect(c.followerEffort).toBe(0);
  });

  it("a command on the follower alone moves nothing: the leader's target holds both", async () => {
    const r = await build(panda.file);
    const target = Float64Array.from([0, 0, 0.04]); // finger_joint1 asked to close, finger_joint2 to stay open
    for (let k = 0; k < 50; k++) {
      r.command({ mode: 'position', target, kp: new Float64Array(3).fill(1000), kd: new Float64Array(3).fill(25) });
      r.step(0.02);
    }
    const q = r.observe().jointPosition;
    expect(q[1]).toBeCloseTo(0.04, 4);
    expect(q[2]).toBeCloseTo(0.04, 4);
  });
});

describe('a rotary gripper: multipliers -0.5 and 1.5, an offset, reference positions (ref), a follower riding on its leader', () => {
  it("multiplier c1 and offset q1₀ + c0 − c1·q2₀ (MuJoCo counts polycoef from qpos0); the non-linear coupling and the held joint stay driven, noted", async () => {
    const r = await build(rotary.file);
    const j = byName(r);
    expect(j.inner.mimic!.joint).toBe('knuckle');
    expect(j.inner.mimic!.multiplier).toBe(-0.5);
    expect(j.inner.mimic!.offset).toBeCloseTo(0.02, 12); // −0.05 + 0.02 − (−0.5)(0.1)
    expect(j.knuckle_r.mimic!.multiplier).toBe(1.5);
    expect(j.knuckle_r.mimic!.offset).toBeCloseTo(-0.15, 12); // 0 + 0 − 1.5·0.1
    for (const n of ['knuckle', 'thumb', 'thumb_tip', 'lock']) expect(j[n].mimic, n).toBeUndefined();
    // The follower on the knuckle's link damps through a tendon over itself and its leader (as a URDF's, compileUrdf.ts).
    expect(r.mj.mj_name2id(r.model, r.mj.mjtObj.mjOBJ_TENDON.value, 'axon_mimic_inner')).toBeGreaterThanOrEqual(0);
    const notes = notesOf(r);
    expect(notes.MUJOCO_MJCF_MIMIC).toContain('2 joint coupling(s) of the model (<equality><joint>, linear) make followers, as a URDF <mimic>: inner = -0.5·knuckle + 0.02 (solref 0.005 1, solimp 0.95 0.99 0.001 0.5 2), knuckle_r = 1.5·knuckle - 0.15 (solref 0.02 1, solimp 0.9 0.95 0.001 0.5 2)');
    // The model's equalities stay (polycoef and all); a follower's is made as hard as a URDF <mimic>'s (2 physics steps, 0.9999), the others keep theirs.
    const eq = (name: string) => r.mj.mj_name2id(r.model, r.mj.mjtObj.mjOBJ_EQUALITY.value, name);
    const solref = (e: number) => Array.from((r.model.eq_solref as Float64Array).subarray(2 * e, 2 * e + 2));
    const solimp = (e: number) => Array.from((r.model.eq_solimp as Float64Array).subarray(5 * e, 5 * e + 5));
    expect(r.model.neq).toBe(4);
    expect(Array.from((r.model.eq_data as Float64Array).subarray(11 * eq('inner_follows'), 11 * eq('inner_follows') + 5))).toEqual([0.02, -0.5, 0, 0, 0]);
    expect(solref(eq('inner_follows'))).toEqual([2 / HZ, 1]);
    expect(solimp(eq('inner_follows'))).toEqual([0.9999, 0.9999, 0.001, 0.5, 2]);
    expect(solref(eq('thumb_curl'))).toEqual([0.02, 1]);
    expect(solimp(eq('thumb_curl'))).toEqual([0.9, 0.95, 0.001, 0.5, 2]);
    expect(notes.MUJOCO_MJCF_EQUALITY).toContain('thumb_tip = f(thumb) (polycoef "0 1 0.3 0 0" is not linear');
    expect(notes.MUJOCO_MJCF_EQUALITY).toContain('lock held (no joint2: it holds lock at qpos0 + 0.05, with no joint to follow)');
    // Its pose is qpos0 (no keyframe): the followers start on the coupling, not at their references.
    const q = r.observe().jointPosition;
    const at = (n: string) => q[r.jointIndex(n)];
    expect(at('inner')).toBeCloseTo(-0.5 * 0.1 + 0.02, 6);
    expect(at('knuckle_r')).toBeCloseTo(0, 6);
    expect(notes.SIM_MIMIC_DEFAULT).toBeUndefined();
  });

  it('closing the knuckle 0 -> 0.8 rad: both followers within 1e-4 rad of where it puts them, its effort 0', async () => {
    const r = await build(rotary.file, { knuckle: 0 });
    const c = closeGripper(r, { leader: 'knuckle', mimics: rotary.mimics, open: 0, closed: 0.8, velocity: 2, kp: 100, kd: 2.5 });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ gripper: 'rotary (MJCF)', hz: HZ, ...c }));
    expect(c.leaderEnd).toBeCloseTo(0.8, 2);
    expect(c.worst).toBeLessThan(1e-4);
    expect(c.final).toBeLessThan(1e-6);
    expect(c.followerEffort).toBe(0);
  });

  it('the non-linear coupling keeps both joints driven: targets that disagree load both motors', async () => {
    const r = await build(rotary.file);
    const target = Float64Array.from(r.spec.joints, (j) => j.defaultPosition);
    target[r.jointIndex('thumb_tip')] = 0.3; // thumb stays at 0: the coupling wants thumb_tip at 0
    for (let k = 0; k < 25; k++) {
      r.command({ mode: 'position', target });
      r.step(0.02);
    }
    const e = r.observe().jointEffort;
    expect(Math.abs(e[r.jointIndex('thumb_tip')])).toBeGreaterThan(0.5);
    expect(Math.abs(e[r.jointIndex('thumb')])).toBeGreaterThan(0.1);
  });
});

describe('couplings that cannot be followers stay as the model has them, each noted with why', () => {
  it('a chain, a loop, a coupling onto a passive joint, an inactive one', async () => {
    const r = await build(writeOddCouplings(dir));
    expect(r.spec.joints.filter((j) => j.mimic !== undefined)).toEqual([]);
    const notes = notesOf(r);
    expect(notes.MUJOCO_MJCF_MIMIC).toBeUndefined();
    const m = notes.MUJOCO_MJCF_EQUALITY;
    expect(m).toContain('c1 = f(c2) (part of a chain or loop of couplings: c2 follows another joint itself');
    expect(m).toContain('c2 = f(c3) (part of a chain or loop of couplings: c2 is coupled by another active <equality><joint> too');
    expect(m).toContain('d1 = f(d2) (part of a chain or loop');
    expect(m).toContain('d2 = f(d1) (part of a chain or loop');
    expect(m).toContain("p1 = f(p2) (p1 is not driven by axon: none of the model's actuators moves it, so it is passive)");
    expect(m).toContain('i1 = f(i2) (active="false": MuJoCo enforces it only once switched on)');
  });
});

describe('an inactive equality on the same two joints, listed before the one that couples them', () => {
  it('the equality made the follower\'s is the one scaled each step; the inactive one keeps its solref', async () => {
    const spare = writeMenageriePandaHand(dir, 'spare');
    const r = await build(spare.file);
    expect(byName(r).finger_joint1.mimic).toEqual({ joint: 'finger_joint2', multiplier: 1, offset: 0 });
    const c = closeGripper(r, { leader: spare.leader, mimics: spare.mimics, open: 0.04, closed: 0, velocity: 0.2, kp: 1000, kd: 25 });
    expect(c.worst).toBeLessThan(1e-5);
    const solref = Array.from(r.model.eq_solref as Float64Array);
    expect(solref.slice(0, 2)).toEqual([0.02, 1]); // half_stroke, inactive: MuJoCo's default, untouched
    expect(solref[2]).toBeLessThan(0); // the fingers' coupling: scaled, MuJoCo's direct form
    expect(solref[3]).toBeLessThan(0);
  });
});

/** A policy whose action is a constant offset from the default pose on `joints` (joint_position, scale 1). */
function offsetPolicy(joints: string[], offsets: number[], kp: number): string {
  const m: ModelManifest = {
    schema: 'axon.model/1',
    name: 'close',
    kind: 'policy',
    robot: 'panda_hand',
    joints,
    control_hz: 50,
    onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
    observation: { terms: [{ term: 'joint_pos_rel' }] },
    action: { type: 'joint_position', scale: 1 },
    pd: { kp: joints.map(() => kp), kd: joints.map(() => kp / 40) },
  };
  return linearPolicy(m, joints.length, joints.length, new Float32Array(joints.length * joints.length), Float32Array.from(offsets));
}

type Summary = { episode: { success: boolean; pose_offset: { max: number }; mimic_error?: { max: number; final: number; joint: string } }; safety: { state: string } };

describe('axon sim --mjcf on the panda hand', () => {
  it('a policy that commands only the leader closes both fingers; the summary gives episode.mimic_error', () => {
    const r = axon('sim', '--mjcf', panda.file, '--policy', offsetPolicy(['finger_joint2'], [-0.04], 1000), '--duration', '1', '--fast', '--json', '--physics-hz', String(HZ));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('note MUJOCO_MJCF_MIMIC');
    const s = JSON.parse(r.lastLine) as Summary;
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ cli: 'sim --mjcf hand.xml, leader closed', episode: s.episode }));
    expect(s.episode.pose_offset.max).toBeGreaterThan(0.039); // it closed
    expect(s.episode.mimic_error!.joint).toBe('finger_joint1');
    expect(s.episode.mimic_error!.max).toBeLessThan(1e-4);
    expect(s.safety.state).toBe('running');
  });

  it('a policy that drives the follower and its leader runs, said once (SIM_MIMIC_ACTION), and inspect --mjcf warns the same', () => {
    const policy = offsetPolicy(['finger_joint1', 'finger_joint2'], [-0.04, -0.04], 1000);
    const r = axon('sim', '--mjcf', panda.file, '--policy', policy, '--duration', '0.5', '--fast', '--json', '--physics-hz', String(HZ));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/SIM_MIMIC_ACTION: .*finger_joint1 follows finger_joint2/g)).toHaveLength(1);
    const i = axon('inspect', policy, '--mjcf', panda.file, '--physics-hz', String(HZ));
    expect(i.code, i.stdout + i.stderr).toBe(0);
    expect(i.stdout).toContain('warning: SIM_MIMIC_ACTION: manifest.json#/joints/0: finger_joint1 follows finger_joint2 (<mimic>, q = 1·q(finger_joint2) + 0): the robot ignores its action and moves it with finger_joint2');
  });

  it('a policy that drives only the follower is refused (MODEL_ROBOT_MISMATCH), not a success with the gripper still', () => {
    const r = axon('sim', '--mjcf', panda.file, '--policy', offsetPolicy(['finger_joint1'], [-0.04], 1000), '--duration', '1', '--fast', '--json');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('MODEL_ROBOT_MISMATCH');
    expect(r.stderr).toContain('the policy cannot move finger_joint1: it follows finger_joint2');
  });
});
