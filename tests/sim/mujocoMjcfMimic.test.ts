import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot, type MujocoRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { axon } from '../helpers/cli.ts';
import { closeGripper, closePolicy } from '../helpers/gripperClose.ts';
import { writeAlohaGripper, writeMenageriePandaHand, writeOddCouplings, writePassiveCouplings, writeRotaryGripper } from '../helpers/menagerieGrippers.ts';

/**
 * An MJCF's joint couplings (`<equality><joint>`, mujoco_menagerie's grippers) as followers in
 * MuJoCo, as a URDF <mimic> is (sim/mujoco/mjcfMimic.ts; docs/mujoco.md, "Mimic joints"): the
 * follower moves with its leader through the model's own equality, its command ignored, its effort
 * 0; couplings that cannot be followers stay as they were, noted. A passive partner follows the
 * driven joint (ALOHA's gripper and mjx_panda's hand put their actuator on one finger: joint2
 * follows joint1 where joint1 is the driven one); a mimic group's tendon actuator gives its leader
 * the model's gains and force range; the equality axon scales is the one it chose; a follower
 * whose coupling leaves its range is noted. 200 Hz, implicit PD. AXON_PRINT=1 prints the figures
 * docs/mujoco.md quotes.
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-mimic-'));
const HZ = 200;
const robots: MujocoRobot[] = [];
const gains = () => ({ kp: 30, kd: 0.75 });
async function build(file: string, defaultPositions?: Record<string, number>): Promise<Awaited<ReturnType<typeof createMujocoMjcfRobot>>> {
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
    // The tendon's actuator is the group's: its gains and force range are the leader's (below).
    expect(notes.MUJOCO_MJCF_TENDON).toContain("finger_joint2 and its followers are moved by the model's actuator actuator8 through tendon split");
    expect(notes.MUJOCO_MJCF_TENDON).toContain('finger_joint1 on that tendon follows finger_joint2 (<equality><joint>) with no PD of its own');
    // The follower is not counted among the joints axon's PD drives.
    expect(notes.MUJOCO_MJCF_ACTUATORS).toBe("2 actuator(s) of the model replaced by axon's PD actuators on the 2 joint(s) they move (and 1 follower(s) moved by their leaders, with no PD of their own)");
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
  it('a chain, a loop, an inactive one (a passive joint1 of a driven joint2 follows it)', async () => {
    const r = await build(writeOddCouplings(dir));
    expect(r.spec.joints.filter((j) => j.mimic !== undefined).map((j) => [j.name, j.mimic])).toEqual([['p1', { joint: 'p2', multiplier: 1, offset: 0 }]]);
    const notes = notesOf(r);
    expect(notes.MUJOCO_MJCF_MIMIC).toContain('1 joint coupling(s) of the model (<equality><joint>, linear) make followers, as a URDF <mimic>: p1 = 1·p2 + 0 (passive)');
    const m = notes.MUJOCO_MJCF_EQUALITY;
    expect(m).toContain('c1 = f(c2) (part of a chain or loop of couplings: c2 follows another joint itself');
    expect(m).toContain('c2 = f(c3) (part of a chain or loop of couplings: c2 is coupled by another active <equality><joint> too');
    expect(m).toContain('d1 = f(d2) (part of a chain or loop');
    expect(m).toContain('d2 = f(d1) (part of a chain or loop');
    expect(m).not.toContain('p1 = f(p2)');
    expect(m).toContain('i1 = f(i2) (active="false": MuJoCo enforces it only once switched on)');
  });
});

describe("a passive finger follows the driven one (ALOHA's gripper, mjx_panda's hand)", () => {
  const aloha = writeAlohaGripper(dir);

  it('ALOHA: left/right_finger (joint2, passive) follows left/left_finger, no motor and not counted as driven; the notes say so', async () => {
    const r = await build(aloha.file);
    const j = byName(r);
    expect(j['left/right_finger'].mimic).toEqual({ joint: 'left/left_finger', multiplier: 1, offset: 0 });
    expect(j['left/left_finger'].mimic).toBeUndefined();
    expect([j['left/right_finger'].effortLimit, j['left/right_finger'].kp, j['left/right_finger'].kd]).toEqual([0, 0, 0]);
    expect([j['left/left_finger'].kp, j['left/left_finger'].kd]).toEqual([2000, 124]);
    expect(r.mjcfSetup.gains).toEqual({ flags: 0, manifest: 0, model: 2, default: 0, passive: 0, followers: 1 });
    const notes = notesOf(r);
    expect(notes.MUJOCO_MJCF_MIMIC).toContain('left/right_finger = 1·left/left_finger + 0 (passive; the equality solved for its joint2) (solref 0.02 1, solimp 0.9 0.95 0.001 0.5 2)');
    expect(notes.MUJOCO_MJCF_ACTUATORS).toBe("2 actuator(s) of the model replaced by axon's PD actuators on the 2 joint(s) they move (and 1 follower(s) moved by their leaders, with no PD of their own)");
    expect(notes.MUJOCO_MJCF_PASSIVE).toBe("1 joint(s) no actuator of the model moves follow a driven joint through the model's <equality><joint> (MUJOCO_MJCF_MIMIC): left/right_finger");
    expect(notes.MUJOCO_MJCF_EQUALITY).toBeUndefined();
  });

  // 5.9e-6 m at b1398e8 (5.4e-5 was quoted for it before, and 5.9e-6 before 5123471, whose saturation test drove the
  // leader with a constant ±74 N on some steps).
  // 2.1e-4 m since the fingers' actuatorfrcrange (±35 N, the vx300s class) is switched off in MuJoCo (review F2), on the
  // first tick alone (4e-5 m and less after it): the first command asks 58 N of the leader's 35, so it runs saturated, with
  // no damping to spread over the group, as a URDF leader does. With the range left on (5.9e-6 m) MuJoCo clamped, at the
  // step's start, a law axon judged within its limit over the step and reported unclamped: it applied what axon did not report.
  it('ALOHA closing 35 mm on its own gains: the passive finger within 2.5e-4 m of the driven one (it lagged 2.1e-3 m as the model had it)', async () => {
    const r = await build(aloha.file);
    const c = closeGripper(r, { leader: aloha.leader, mimics: aloha.mimics, open: 0.037, closed: 0.002, velocity: 0.1, kp: 2000, kd: 124 });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ gripper: 'ALOHA (MJCF)', hz: HZ, ...c }));
    expect(c.leaderEnd).toBeCloseTo(0.002, 2);
    expect(c.worst).toBeLessThan(2.5e-4);
    expect(c.followerEffort).toBe(0);
  });

  it('mjx_panda: finger_joint2 follows finger_joint1, the one actuator8 moves, within 1e-5 m while the hand closes 40 mm', async () => {
    const mjx = writeMenageriePandaHand(dir, 'mjx');
    const r = await build(mjx.file);
    const c = closeGripper(r, { leader: mjx.leader, mimics: mjx.mimics, open: 0.04, closed: 0, velocity: 0.2, kp: 350, kd: 10 });
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ gripper: 'mjx_panda hand (MJCF)', hz: HZ, ...c }));
    expect(byName(r).finger_joint2.mimic).toEqual({ joint: 'finger_joint1', multiplier: 1, offset: 0 });
    expect(c.leaderEnd).toBeCloseTo(0, 3);
    expect(c.worst).toBeLessThan(1e-5);
  });
});

describe('couplings with a passive partner: which joint follows, its multiplier and offset, and where MuJoCo puts it', () => {
  const pc = writePassiveCouplings(dir);

  it('a passive joint1 follows its joint2 as written; a passive joint2 follows its joint1, the constraint solved for it; two passive joints stay as they are', async () => {
    const r = await build(pc.file);
    const j = byName(r);
    // a2 − 0 = 0.02 − 0.5·(a1 − 0.1): a2 = −0.5·a1 + 0.07.
    expect(j.a2.mimic!.joint).toBe('a1');
    expect(j.a2.mimic!.multiplier).toBe(-0.5);
    expect(j.a2.mimic!.offset).toBeCloseTo(0.07, 12);
    // b1 − 0.1 = 0.02 + 2·(b2 + 0.05): b2 = 0.5·b1 − 0.11.
    expect(j.b2.mimic!.joint).toBe('b1');
    expect(j.b2.mimic!.multiplier).toBe(0.5);
    expect(j.b2.mimic!.offset).toBeCloseTo(-0.11, 12);
    expect(j.b1.mimic).toBeUndefined();
    expect([j.n1.mimic, j.n2.mimic]).toEqual([undefined, undefined]);
    expect(notesOf(r).MUJOCO_MJCF_EQUALITY).toContain("n1 = f(n2) (neither joint is driven by axon: none of the model's actuators moves n1 or n2, so both are passive)");
    // In MuJoCo: the leaders driven to 0.3, the followers where the model's equalities put them.
    const target = Float64Array.from(r.spec.joints, (x) => x.defaultPosition);
    target[r.jointIndex('a1')] = 0.3;
    target[r.jointIndex('b1')] = 0.3;
    for (let k = 0; k < 50; k++) {
      r.command({ mode: 'position', target });
      r.step(0.02);
    }
    const q = r.observe().jointPosition;
    expect(q[r.jointIndex('a1')]).toBeCloseTo(0.3, 3);
    expect(q[r.jointIndex('a2')]).toBeCloseTo(-0.08, 4);
    expect(q[r.jointIndex('b2')]).toBeCloseTo(0.04, 4);
  });

  it("a follower whose coupling takes it past its range is noted as a URDF <mimic>'s is, not as a default it holds", async () => {
    const r = await build(pc.file);
    const notes = r.notes.filter((n) => n.where === '<joint name="r1">');
    expect(notes.map((n) => n.code)).toEqual(['MUJOCO_MJCF_MIMIC_RANGE']);
    expect(notes[0].message).toBe(
      "over r2's range [-1, 1] the coupling puts this joint at [0, 2], outside its limits [-0.5, 0.5]: MuJoCo's equality carries it past its limit and the limit holds its leader back through it, both soft, neither winning (it starts clamped into its limits)",
    );
    const target = Float64Array.from(r.spec.joints, (x) => x.defaultPosition);
    for (let k = 0; k < 50; k++) {
      r.command({ mode: 'position', target });
      r.step(0.02);
    }
    const q = r.observe().jointPosition;
    if (process.env.AXON_PRINT) console.log(JSON.stringify({ r1: q[r.jointIndex('r1')], r2: q[r.jointIndex('r2')] }));
    expect(q[r.jointIndex('r1')]).toBeGreaterThan(0.55); // past its limit of 0.5, where the old note said it held
    expect(q[r.jointIndex('r2')]).toBeLessThan(-0.05); // held back from its target 0
  });
});

describe("a mimic group's tendon actuator: its gains and force range are the leader's, on the coupled motion", () => {
  it("menagerie's panda hand: finger_joint2 gets actuator8's kp 100, kv 10 and ±100 N (split: 0.5 + 0.5 per unit)", async () => {
    const r = await build(writeMenageriePandaHand(dir).file);
    const j = byName(r).finger_joint2;
    expect([j.kp, j.kd, j.effortLimit]).toEqual([100, 10, 100]);
    expect(r.mjcfSetup.gains).toEqual({ flags: 0, manifest: 0, model: 2, default: 0, passive: 0, followers: 1 });
    expect(notesOf(r).MUJOCO_MJCF_TENDON).toContain(
      "finger_joint2 and its followers are moved by the model's actuator actuator8 through tendon split: finger_joint2's PD takes that actuator's gains and force range on the coupled motion (kp 100, kv 10, effort limit 100: the tendon moves 1 per unit of finger_joint2 and the actuator's gear is 1, so gains × 1², force range × 1)",
    );
  });

  it('the rotary gripper: its tendon moves 1 + 0.25 per unit of the knuckle, so kp and kv × 1.25², the force range × 1.25', async () => {
    const r = await build(writeRotaryGripper(dir).file);
    const j = byName(r).knuckle;
    expect(j.kp).toBeCloseTo(100 * 1.25 ** 2, 9);
    expect(j.kd).toBeCloseTo(10 * 1.25 ** 2, 9);
    expect(j.effortLimit).toBeCloseTo(5 * 1.25, 12);
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

type Summary = { episode: { success: boolean; pose_offset: { max: number }; mimic_error?: { max: number; final: number; joint: string } }; safety: { state: string } };

describe('axon sim --mjcf on the panda hand', () => {
  it('a policy that commands only the leader closes both fingers; the summary gives episode.mimic_error', () => {
    const r = axon('sim', '--mjcf', panda.file, '--policy', closePolicy(['finger_joint2'], [-0.04], 1000), '--duration', '1', '--fast', '--json', '--physics-hz', String(HZ));
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
    const policy = closePolicy(['finger_joint1', 'finger_joint2'], [-0.04, -0.04], 1000);
    const r = axon('sim', '--mjcf', panda.file, '--policy', policy, '--duration', '0.5', '--fast', '--json', '--physics-hz', String(HZ));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/SIM_MIMIC_ACTION: .*finger_joint1 follows finger_joint2/g)).toHaveLength(1);
    const i = axon('inspect', policy, '--mjcf', panda.file, '--physics-hz', String(HZ));
    expect(i.code, i.stdout + i.stderr).toBe(0);
    expect(i.stdout).toContain('warning: SIM_MIMIC_ACTION: manifest.json#/joints/0: finger_joint1 follows finger_joint2 (coupled, q = 1·q(finger_joint2) + 0): the robot ignores its action and moves it with finger_joint2');
  });

  it('a policy that drives only the follower is refused (MODEL_ROBOT_MISMATCH), not a success with the gripper still', () => {
    const r = axon('sim', '--mjcf', panda.file, '--policy', closePolicy(['finger_joint1'], [-0.04], 1000), '--duration', '1', '--fast', '--json');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('MODEL_ROBOT_MISMATCH');
    expect(r.stderr).toContain('the policy cannot move finger_joint1: it follows finger_joint2');
  });
});
