import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoMjcfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { loadMujocoModule } from '../../sim/mujoco/loadMujoco.ts';

/**
 * Review R24 F2–F6: what a model's own actuators mean, as MuJoCo applies them (the bound it
 * actually hits, a PD written as two actuators, stateful actuators, the *limited="false" flags).
 * Each expected number is MuJoCo's own, read from the unmodified model (`mujocoBound`).
 */

const dir = mkdtempSync(join(tmpdir(), 'axon-mjcf-actuators-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, xml: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const file = join(d, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

/** A fixed base with one link per joint; `joints` are the joints' XML, `actuators` the <actuator> body. */
function chain(model: string, joints: string[], actuators: string, extra = ''): string {
  const open = joints.map((j, i) => `<body name="b${i}" pos="${i === 0 ? 0 : 0.2} 0 0">${j}<geom type="sphere" size="0.05" pos="0.2 0 0" mass="1"/>`).join('\n      ');
  return `<mujoco model="${model}">
  <compiler angle="radian"/>
  <worldbody>
    <body name="base" pos="0 0 1">
      <geom type="box" size="0.05 0.05 0.05" mass="1"/>
      ${open}
      ${'</body>'.repeat(joints.length)}
    </body>
  </worldbody>
  <actuator>
    ${actuators}
  </actuator>${extra}
</mujoco>
`;
}

/** MuJoCo's actuator force on each joint of the unmodified model with every ctrl at `ctrl` (after mj_forward). */
async function mujocoBound(file: string, ctrl: number): Promise<Record<string, number>> {
  const mj = await loadMujocoModule();
  const { readFileSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const vfs = new mj.MjVFS();
  vfs.addBuffer(basename(file), readFileSync(file));
  const m = mj.MjModel.from_xml_path(basename(file), vfs);
  const d = new mj.MjData(m);
  for (let a = 0; a < m.nu; a++) (d.ctrl as Float64Array)[a] = ctrl;
  mj.mj_forward(m, d);
  const out: Record<string, number> = {};
  for (let j = 0; j < m.njnt; j++) out[mj.mj_id2name(m, mj.mjtObj.mjOBJ_JOINT.value, j)] = Math.abs((d.qfrc_actuator as Float64Array)[(m.jnt_dofadr as Int32Array)[j]]);
  d.delete();
  m.delete();
  vfs.delete();
  return out;
}

describe("an MJCF's actuators as MuJoCo bounds them (R24 F2, F5)", () => {
  const file = write(
    'bounds',
    chain(
      'bounds',
      [
        '<joint name="fr_small" axis="0 1 0"/>',
        '<joint name="fr_large" axis="0 1 0"/>',
        '<joint name="fl_false" axis="0 1 0"/>',
        '<joint name="cl_false" axis="0 1 0"/>',
        '<joint name="jfrc_false" axis="0 1 0" actuatorfrcrange="-3 3" actuatorfrclimited="false"/>',
      ],
      `<motor joint="fr_small" gear="50" ctrlrange="-1 1" forcerange="-3 3"/>
    <motor joint="fr_large" gear="50" ctrlrange="-1 1" forcerange="-0.5 0.5"/>
    <motor joint="fl_false" gear="10" ctrlrange="-1 1" forcerange="-2 2" forcelimited="false"/>
    <motor joint="cl_false" gear="10" ctrlrange="-1 1" ctrllimited="false" forcerange="-40 40"/>
    <motor joint="jfrc_false" ctrlrange="-10 10"/>`,
    ),
  );

  it("a motor's effort limit is the bound MuJoCo hits: the smaller of forcerange and ctrlrange × gain (× gear), and a range flagged limited=\"false\" bounds nothing", async () => {
    const mujoco = await mujocoBound(file, 1e6);
    // MuJoCo's own: 50 (ctrl ±1 × gear 50 under forcerange ±3 × 50), 25, 10, 400, 10.
    expect(mujoco).toEqual({ fr_small: 50, fr_large: 25, fl_false: 10, cl_false: 400, jfrc_false: 10 });
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 10, kd: 1 }) });
    try {
      expect(Object.fromEntries(r.spec.joints.map((j) => [j.name, j.effortLimit]))).toEqual(mujoco);
    } finally {
      r.dispose();
    }
  });
});

describe('a position and a velocity actuator on one joint (dm_control / robosuite PD), and limited="false" joints (R24 F3, F5)', () => {
  it("keeps the velocity actuator's kv × gear² as the joint's damping, whichever is declared first", async () => {
    for (const order of ['pv', 'vp']) {
      const p = '<position name="p1" joint="j1" kp="100" ctrlrange="-2 2" gear="2"/>';
      const v = '<velocity name="v1" joint="j1" kv="10" ctrlrange="-1 1" gear="2"/>';
      const file = write(`posvel_${order}`, chain('posvel', ['<joint name="j1" axis="0 1 0" range="-1 1"/>'], order === 'pv' ? `${p}\n    ${v}` : `${v}\n    ${p}`, '\n  <keyframe><key name="home" qpos="0.5"/></keyframe>'));
      const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 1, kd: 0.1 }) });
      try {
        expect(r.spec.joints[0]).toMatchObject({ name: 'j1', kp: 400, kd: 40, lower: -1, upper: 1, defaultPosition: 0.5 });
      } finally {
        r.dispose();
      }
    }
  });

  it('a <velocity kv> alone on a joint (no position servo) is named: its kv is not used', async () => {
    const file = write('velonly', chain('velonly', ['<joint name="wheel" axis="0 1 0"/>'], '<velocity joint="wheel" kv="5" gear="2"/>'));
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultGains: () => ({ kp: 100, kd: 2.5 }) });
    try {
      expect(r.spec.joints[0]).toMatchObject({ kp: 100, kd: 2.5 });
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_VELOCITY')?.message).toBe(
        "wheel (kv 20): moved by the model through a <velocity> actuator alone (a damper toward a commanded speed), which axon replaces by its position PD with the gains the joints' summary shows; the kv is not used",
      );
    } finally {
      r.dispose();
    }
  });

  it('a joint with a range and limited="false" is not limited (MuJoCo holds it nowhere), and a position actuator with ctrllimited="false" gives it no limits either', async () => {
    const file = write(
      'nolimit',
      chain(
        'nolimit',
        ['<joint name="free_hinge" axis="0 1 0" range="-0.5 0.5" limited="false"/>', '<joint name="ctrl_free" axis="0 1 0"/>'],
        `<position joint="free_hinge" kp="30"/>
    <position joint="ctrl_free" kp="30" ctrlrange="-0.5 0.5" ctrllimited="false"/>`,
      ),
    );
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002, defaultPositions: { free_hinge: 1 } });
    try {
      expect(r.spec.joints.map((j) => [j.name, j.type, j.lower, j.upper])).toEqual([
        ['free_hinge', 'continuous', -Infinity, Infinity],
        ['ctrl_free', 'continuous', -Infinity, Infinity],
      ]);
      expect(r.spec.joints[0].defaultPosition).toBe(1);
      expect(r.notes.map((n) => n.code)).not.toContain('SIM_DEFAULT_OUTSIDE_LIMITS');
      expect(r.notes.map((n) => n.code)).not.toContain('MUJOCO_MJCF_CTRLRANGE');
    } finally {
      r.dispose();
    }
  });
});

describe('stateful actuators: <intvelocity> (R24 F4, F6)', () => {
  const xml = (key: string) =>
    chain('intvel', ['<joint name="j" axis="0 1 0" limited="false"/>'], '<intvelocity joint="j" kp="50" ctrlrange="-0.2 0.2" actrange="-2 2"/>', key);

  it("loads a keyframe with act= (valid in MuJoCo: the actuator has state), which axon's stateless actuators replace, and starts at its qpos", async () => {
    const file = write('intvel_key', xml('\n  <keyframe><key name="home" qpos="0.1" ctrl="0" act="0.1"/></keyframe>'));
    // MuJoCo accepts the file as written.
    expect(await mujocoBound(file, 0)).toHaveProperty('j');
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.mjcfSetup.pose).toBe('keyframe "home"');
      expect(r.spec.joints[0].defaultPosition).toBeCloseTo(0.1, 12);
    } finally {
      r.dispose();
    }
  });

  it("takes its actrange (positions), not its ctrlrange (a velocity, rad/s), as the targets a joint without a range accepts", async () => {
    const file = write('intvel', xml(''));
    const r = await createMujocoMjcfRobot(file, { physicsDt: 0.002 });
    try {
      expect(r.spec.joints[0]).toMatchObject({ name: 'j', lower: -2, upper: 2, kp: 50 });
      expect(r.notes.find((n) => n.code === 'MUJOCO_MJCF_CTRLRANGE')?.message).toBe(
        "1 joint(s) without a range take their position actuator's ctrlrange as position limits (the targets the model accepts): j (j: an <intvelocity>'s actrange, its ctrlrange being a velocity)",
      );
    } finally {
      r.dispose();
    }
  });
});
