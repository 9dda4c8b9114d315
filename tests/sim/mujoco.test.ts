import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMujocoShippedRobot, createMujocoUrdfRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { loadMujocoModule } from '../../sim/mujoco/loadMujoco.ts';
import { createSimRobot, isRandomizable, randomize, type RandomizableRobot } from '../../sim/robots/index.ts';
import { SimRobot } from '../../sim/SimRobot.ts';
import { loadUrdf } from '../../sim/urdf/loadUrdf.ts';
import { StateWatchdog } from '../../sim/watchdog/StateWatchdog.ts';
import { Rng } from '../../src/core/rng.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';
import { VENDOR_DEFAULT_POSE, writeVendorHumanoid } from '../helpers/vendorHumanoid.ts';
import { axon } from '../helpers/cli.ts';

/** Issue 20: MuJoCo (the official WebAssembly build) behind the same SimulatedRobot contract. */


function run(r: SimulatedRobot, seconds: number, dt: number, target: Float64Array, mode: 'position' | 'effort'): void {
  for (let k = 0; k < Math.round(seconds / dt); k++) {
    r.command({ mode, target });
    r.step(dt);
  }
}

describe('MujocoRobot', () => {
  it('the cartpole moves as in cannon-es under the same force (1 s, same initial state)', async () => {
    const mj = await createMujocoShippedRobot('cartpole', { physicsDt: 0.002 });
    const cannon = createSimRobot('cartpole', { physicsDt: 0.002 });
    expect(mj.spec.joints.map((j) => [j.name, j.type, j.effortLimit])).toEqual(cannon.spec.joints.map((j) => [j.name, j.type, j.effortLimit]));
    const out: number[][] = [];
    for (const r of [mj, cannon]) {
      r.setEpisodeInitialState([0, 0.1], [0, 0]);
      r.reset();
      run(r, 1, 0.02, new Float64Array([1, 0]), 'effort');
      const o = r.observe();
      expect(o.time).toBeCloseTo(1, 9);
      out.push([...o.jointPosition, ...o.jointVelocity]);
    }
    for (let i = 0; i < 4; i++) expect(Math.abs(out[0][i] - out[1][i])).toBeLessThan(2e-3);
    expect(out[0][1]).toBeGreaterThan(0.2); // the pole fell forward
    mj.dispose();
  });

  it('the same seed draws the same randomised episode in both engines', async () => {
    const mj = await createMujocoShippedRobot('cartpole', { physicsDt: 0.002 });
    const cannon = createSimRobot('cartpole', { physicsDt: 0.002, randomize: true });
    // One randomize() for both engines: MujocoRobot is a RandomizableRobot (checked by the compiler).
    const neutral: RandomizableRobot = mj;
    expect(isRandomizable(neutral)).toBe(true);
    mj.reset(7);
    cannon.reset(7);
    expect(randomize(mj, new Rng(7))).toEqual(randomize(cannon, new Rng(7)));
    expect(Array.from(mj.observe().jointPosition)).toEqual(Array.from(cannon.observe().jointPosition));
    expect(mj.linkMass('pole')).toBeCloseTo(cannon.linkMass('pole'), 12);
    mj.dispose();
  });

  it('the shipped humanoid holds its pose on PD with IMU, foot contacts and base state', async () => {
    const r = await createMujocoShippedRobot('humanoid', { physicsDt: 0.002 });
    r.reset(1);
    const z0 = r.observe().base!.position[2];
    run(r, 3, 0.02, Float64Array.from(r.spec.joints, (j) => j.defaultPosition), 'position');
    const o = r.observe();
    expect(Math.abs(o.base!.position[2] - z0)).toBeLessThan(0.02);
    // Feet carry the weight (29.9 kg × 9.81 ≈ 293 N), split about evenly.
    const total = o.contacts![0] + o.contacts![1];
    expect(total).toBeGreaterThan(250);
    expect(total).toBeLessThan(340);
    expect(Math.min(o.contacts![0], o.contacts![1])).toBeGreaterThan(100);
    // Accelerometer at rest reads the gravity reaction, +z up in the pelvis frame (sensor noise 0.05).
    expect(o.imu!.linearAcceleration[2]).toBeGreaterThan(9.3);
    expect(o.imu!.linearAcceleration[2]).toBeLessThan(10.3);
    expect(Math.hypot(...o.base!.linearVelocity)).toBeLessThan(0.05);
    // Effort reported: the knees hold the body (N·m, non-zero, within the limit).
    const knee = r.jointIndex('left_knee');
    expect(Math.abs(o.jointEffort[knee])).toBeGreaterThan(1);
    expect(Math.abs(o.jointEffort[knee])).toBeLessThanOrEqual(r.spec.joints[knee].effortLimit + 1e-9);
    r.dispose();
  });

  it("a root with mass 0 (pybullet's static base): fixed to the world with a note; floating when a heavy link is fixed to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-massless-'));
    const inertial = (m: number) => `<inertial><mass value="${m}"/><inertia ixx="0.05" ixy="0" ixz="0" iyy="0.06" iyz="0" izz="0.03"/></inertial>`;
    const arm = `<link name="arm">${inertial(1)}<collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision></link><joint name="j" type="revolute"><parent link="PARENT"/><child link="arm"/><origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="50" velocity="3"/></joint>`;
    const open = async (urdf: string, o: { fixedBase?: boolean } = {}) => {
      const file = join(dir, 'r.urdf');
      writeFileSync(file, urdf);
      return createMujocoUrdfRobot(file, loadUrdf(file), { physicsDt: 0.005, pd: 'implicit', ...o });
    };
    // A floating base drops under gravity (its spawn height is not its resting one); a fixed one never moves.
    const baseDrop = (r: Awaited<ReturnType<typeof open>>) => {
      r.reset();
      const z0 = r.observe().base!.position[2];
      for (let k = 0; k < 40; k++) r.step(0.005);
      return Math.abs(r.observe().base!.position[2] - z0);
    };
    try {
      const fixed = await open(`<robot name="t"><link name="base">${inertial(0)}</link>${arm.replace('PARENT', 'base')}</robot>`);
      expect(fixed.notes.map((n) => n.code)).toEqual(expect.arrayContaining(['URDF_ROOT_MASSLESS', 'SIM_FIXED_BASE']));
      expect(baseDrop(fixed)).toBe(0);
      fixed.dispose();
      const carried = await open(`<robot name="t"><link name="base">${inertial(0)}</link><link name="body">${inertial(2)}<collision><geometry><box size="0.3 0.3 0.1"/></geometry></collision></link><joint name="f" type="fixed"><parent link="base"/><child link="body"/></joint>${arm.replace('PARENT', 'body')}</robot>`);
      expect(carried.notes.map((n) => n.code)).not.toContain('SIM_FIXED_BASE');
      expect(baseDrop(carried)).toBeGreaterThan(1e-3);
      carried.dispose();
      // told to float: the massless root gets the default inertial (its file tensor is dropped, not mixed with it)
      const floating = await open(`<robot name="t"><link name="base">${inertial(0)}</link>${arm.replace('PARENT', 'base')}</robot>`, { fixedBase: false });
      expect(floating.notes.map((n) => n.code)).toContain('URDF_NO_INERTIAL');
      expect(baseDrop(floating)).toBeGreaterThan(1e-3);
      floating.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a tensor parseUrdf repaired (Fetch's fingers) reaches MuJoCo as repaired, in either <inertia> form; --strict refuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-inertia-'));
    const file = join(dir, 'r.urdf');
    writeFileSync(
      file,
      `<robot name="t"><link name="world"/><joint name="w" type="fixed"><parent link="world"/><child link="a"/></joint>
  <link name="a"><inertial><mass value="2"/><inertia ixx="0.1" ixy="0" ixz="0" iyy="0.1" iyz="0" izz="0.1"/></inertial></link>
  <link name="b"><inertial><origin xyz="0 0 0.05"/><mass value="0.08"/><inertia ixx="0.002" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"></inertia></inertial></link>
  <joint name="j" type="prismatic"><parent link="a"/><child link="b"/><axis xyz="1 0 0"/><limit lower="0" upper="0.05" effort="60" velocity="0.1"/></joint>
</robot>`,
    );
    try {
      const r = await createMujocoUrdfRobot(file, loadUrdf(file), { physicsDt: 0.005, pd: 'implicit' });
      const mj = await loadMujocoModule();
      const b = mj.mj_name2id(r.model, mj.mjtObj.mjOBJ_BODY.value, 'b');
      expect(Array.from((r.model.body_inertia as Float64Array).subarray(3 * b, 3 * b + 3)).map((x) => +x.toFixed(9))).toEqual([0.002, 0.002, 0.002]);
      expect(r.notes.map((n) => n.code)).toContain('URDF_INERTIA_REPAIRED');
      r.dispose();
      await expect(createMujocoUrdfRobot(file, loadUrdf(file), { physicsDt: 0.005, pd: 'implicit', strict: true })).rejects.toThrow(/not positive definite/);
      // a frame link on a fixed joint as PAL's tiago.urdf writes its antennas (1e-6 kg, a tensor that is not
      // positive definite): cannon-es merges it as massless, and MuJoCo, which refused the tensor, does the same
      const antenna = join(dir, 'antenna.urdf');
      writeFileSync(
        antenna,
        readFileSync(file, 'utf8').replace(
          '</robot>',
          `<link name="base_antenna_left_link"><inertial><mass value="0.000001"/><inertia ixx="0.00000002371" ixy="0.00000006119" ixz="0.00000001179" iyy="0.00000002833" iyz="0.00000000774" izz="0.00000003849"/></inertial></link>
  <joint name="base_antenna_left_joint" type="fixed"><parent link="a"/><child link="base_antenna_left_link"/><origin xyz="0 0.1 0.2"/></joint></robot>`,
        ),
      );
      const withAntenna = await createMujocoUrdfRobot(antenna, loadUrdf(antenna), { physicsDt: 0.005, pd: 'implicit' });
      expect(withAntenna.notes.map((n) => n.code)).toContain('URDF_FRAME_LINK');
      const ant = mj.mj_name2id(withAntenna.model, mj.mjtObj.mjOBJ_BODY.value, 'base_antenna_left_link');
      expect((withAntenna.model.body_mass as Float64Array)[ant]).toBe(0);
      withAntenna.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("merged frame links and point masses reach MuJoCo from parseUrdf's typed field: the notes' wording, or no notes at all, changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-frames-'));
    const inertial = (m: number, i = '0.05 0 0 0.06 0 0.03') => {
      const [ixx, ixy, ixz, iyy, iyz, izz] = i.split(' ');
      return `<inertial><mass value="${m}"/><inertia ixx="${ixx}" ixy="${ixy}" ixz="${ixz}" iyy="${iyy}" iyz="${iyz}" izz="${izz}"/></inertial>`;
    };
    const Z = '0 0 0 0 0 0';
    const fixed = (link: string, parent: string, origin: string) => `<joint name="${link}_joint" type="fixed"><parent link="${parent}"/><child link="${link}"/><origin ${origin}/></joint>`;
    // As vendors write them (PAL's TIAGo antenna: 1e-6 kg and a tensor MuJoCo refuses as not positive definite).
    const file = join(dir, 'r.urdf');
    writeFileSync(
      file,
      `<robot name="t"><link name="base">${inertial(2)}<collision><geometry><box size="0.3 0.3 0.1"/></geometry></collision></link>
  <link name="arm">${inertial(1)}<collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision></link>
  <joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="50" velocity="3"/></joint>
  <link name="imu_link"/>${fixed('imu_link', 'base', 'xyz="0 0 0.05"')}
  <link name="camera_link">${inertial(0, Z)}</link>${fixed('camera_link', 'base', 'xyz="0.1 0 0.3" rpy="0 0.5 0"')}
  <link name="tool0">${inertial(1e-9, Z)}</link>${fixed('tool0', 'arm', 'xyz="0 0 0.2"')}
  <link name="antenna">${inertial(0.000001, '0.00000002371 0.00000006119 0.00000001179 0.00000002833 0.00000000774 0.00000003849')}</link>${fixed('antenna', 'base', 'xyz="0 0.1 0.2"')}
  <link name="battery">${inertial(0.5, Z)}</link>${fixed('battery', 'base', 'xyz="-0.1 0 0.05"')}
</robot>`,
    );
    const massless = join(dir, 'massless.urdf');
    writeFileSync(massless, `<robot name="m"><link name="base">${inertial(0)}</link><link name="arm">${inertial(1)}</link><joint name="j" type="revolute"><parent link="base"/><child link="arm"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="50" velocity="3"/></joint></robot>`);
    const o = { physicsDt: 0.005, pd: 'implicit' } as const;
    const mj = await loadMujocoModule();
    const inertials = (r: Awaited<ReturnType<typeof createMujocoUrdfRobot>>) => ({ mass: Array.from(r.model.body_mass as Float64Array), inertia: Array.from(r.model.body_inertia as Float64Array) });
    try {
      for (const f of [file, massless]) {
        const model = loadUrdf(f);
        const asParsed = await createMujocoUrdfRobot(f, model, o);
        const expected = inertials(asParsed);
        asParsed.dispose();
        // Reworded notes (another wording, another `where`), and none at all: the same model.
        const reworded = { ...model, notes: model.notes.map((n) => ({ code: n.code, where: `elsewhere: ${n.code}`, message: 'worded otherwise' })) };
        for (const m of [reworded, { ...model, notes: [] }]) {
          const r = await createMujocoUrdfRobot(f, m, o);
          expect(inertials(r)).toEqual(expected);
          r.dispose();
        }
      }
      const r = await createMujocoUrdfRobot(file, { ...loadUrdf(file), notes: [] }, o);
      const body = (name: string) => mj.mj_name2id(r.model, mj.mjtObj.mjOBJ_BODY.value, name);
      const mass = r.model.body_mass as Float64Array;
      const inertia = r.model.body_inertia as Float64Array;
      for (const l of ['camera_link', 'tool0', 'antenna']) {
        expect(mass[body(l)]).toBe(0);
        expect(Array.from(inertia.subarray(3 * body(l), 3 * body(l) + 3))).toEqual([0, 0, 0]);
      }
      expect(mass[body('battery')]).toBe(0.5);
      expect(Array.from(inertia.subarray(3 * body('battery'), 3 * body('battery') + 3))).toEqual([0, 0, 0]);
      r.dispose();
      // The root of mass 0 (pybullet's static base): its file tensor dropped with no note to say so.
      const m = await createMujocoUrdfRobot(massless, { ...loadUrdf(massless), notes: [] }, o);
      const base = mj.mj_name2id(m.model, mj.mjtObj.mjOBJ_BODY.value, 'base');
      expect(Array.from((m.model.body_inertia as Float64Array).subarray(3 * base, 3 * base + 3))).toEqual([0, 0, 0]);
      m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Drake's point contacts (collision spheres of radius 0, its Atlas's feet) are 1 mm spheres in both engines, one note", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-point-'));
    const file = join(dir, 'foot.urdf');
    const point = (x: number) => `<collision><origin xyz="${x} 0 -0.05"/><geometry><sphere radius="0.0"/></geometry></collision>`;
    writeFileSync(file, `<robot name="foot"><link name="base"><inertial><mass value="2"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial>${point(0.1)}${point(-0.1)}<visual><geometry><sphere radius="0.05"/></geometry></visual></link></robot>`);
    try {
      const model = loadUrdf(file);
      expect(model.linkByName.get('base')!.collisions.map((c) => c.geometry)).toEqual([{ kind: 'sphere', radius: 0.001 }, { kind: 'sphere', radius: 0.001 }]);
      expect(model.notes.filter((n) => n.code === 'URDF_POINT_CONTACT').map((n) => n.message)).toEqual(['radius 0, a point contact as Drake writes them: taken as a sphere of 1 mm (and 1 more point contacts likewise)']);
      const r = await createMujocoUrdfRobot(file, model, { physicsDt: 0.005, pd: 'implicit', basePosition: [0, 0, 0.3] });
      const mj = await loadMujocoModule();
      const sizes: number[] = [];
      for (let g = 0; g < r.model.ngeom; g++) if ((r.model.geom_type as Int32Array)[g] === mj.mjtGeom.mjGEOM_SPHERE.value) sizes.push((r.model.geom_size as Float64Array)[3 * g]);
      expect(sizes).toEqual([0.001, 0.001]);
      r.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a link without <inertial> but with a collision shape (a vendor's camera_link) weighs what cannon-es says, and its shape still collides", async () => {
    // MuJoCo's URDF compiler weighs such a link's collision geoms at 1000 kg/m³ (its 10 cm box: 1.0 kg);
    // the URDF says no <inertial>, no mass, and cannon-es keeps it a massless frame.
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-geommass-'));
    const inertial = (m: number, z = 0) => `<inertial><origin xyz="0 0 ${z}"/><mass value="${m}"/><inertia ixx="0.05" ixy="0" ixz="0" iyy="0.06" iyz="0" izz="0.03"/></inertial>`;
    const box = '<collision><geometry><box size="0.1 0.1 0.1"/></geometry></collision>';
    const fixed = (link: string, parent: string, xyz: string) => `<joint name="${link}_joint" type="fixed"><parent link="${parent}"/><child link="${link}"/><origin xyz="${xyz}"/></joint>`;
    const arm = (own: string, extra = '') => `<link name="arm">${own}${box}</link><joint name="j" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="50" velocity="3"/></joint>${extra}`;
    const urdfs = {
      // a camera mount on the base, offset by its joint: the base body's centre of mass is the base's own
      camera: `<link name="base">${inertial(2, 0.02)}<collision><geometry><box size="0.3 0.3 0.05"/></geometry></collision></link><link name="camera_link">${box}</link>${fixed('camera_link', 'base', '0.2 0 0.1')}${arm(inertial(1))}`,
      // a moving link without <inertial> (axon's default 0.1 kg in both) carrying a cover with a collision box
      coveredDefault: `<link name="base">${inertial(2)}</link>${arm('', `<link name="cover">${box}</link>${fixed('cover', 'arm', '0 0 0.1')}`)}`,
      // a moving link without <inertial> whose mass is a motor fixed to it: the link's own box weighs nothing
      motorOnly: `<link name="base">${inertial(2)}</link>${arm('', `<link name="motor">${inertial(0.5)}</link>${fixed('motor', 'arm', '0 0 0.1')}`)}`,
      // a root without <inertial> but with a collision box: fixed to the world, weightless, in both
      massless_root: `<link name="base">${box}</link>${arm(inertial(1))}`,
    };
    const expectedTotal = { camera: 3, coveredDefault: 2.1, motorOnly: 2.5, massless_root: 1 };
    const mj = await loadMujocoModule();
    try {
      for (const [name, links] of Object.entries(urdfs) as [keyof typeof urdfs, string][]) {
        const file = join(dir, `${name}.urdf`);
        writeFileSync(file, `<robot name="${name}">${links}</robot>`);
        const model = loadUrdf(file);
        const o = { physicsDt: 0.005, pd: 'implicit', basePosition: [0.1, -0.2, 0.5] } as const;
        const cannon = new SimRobot(model, o);
        const m = await createMujocoUrdfRobot(file, model, o);
        const names = model.links.map((l) => l.name);
        const masses = (r: { linkMass(l: string): number }) => names.map((l) => +r.linkMass(l).toFixed(12));
        expect(masses(m), name).toEqual(masses(cannon));
        expect((m.model.body_subtreemass as Float64Array)[0], name).toBeCloseTo(expectedTotal[name], 12);
        expect(masses(cannon).reduce((a, b) => a + b, 0), name).toBeCloseTo(expectedTotal[name], 12);
        // The base body's centre of mass (world, m): cannon-es's merged body against MuJoCo's bodies welded to the base.
        cannon.reset();
        m.reset();
        mj.mj_forward(m.model, m.data);
        const weld = m.model.body_weldid as Int32Array;
        const base = mj.mj_name2id(m.model, mj.mjtObj.mjOBJ_BODY.value, 'base');
        const mass = m.model.body_mass as Float64Array;
        const xipos = m.data.xipos as Float64Array;
        let total = 0;
        const com = [0, 0, 0];
        for (let b = 1; b < m.model.nbody; b++) {
          if (weld[b] !== weld[base]) continue;
          total += mass[b];
          for (let k = 0; k < 3; k++) com[k] += mass[b] * xipos[3 * b + k];
        }
        if (name !== 'massless_root') {
          const c = cannon.bodyOf('base').position;
          expect(total, name).toBeCloseTo(cannon.bodyMass('base'), 12);
          expect(com.map((v) => v / total), name).toEqual([c.x, c.y, c.z].map((v) => expect.closeTo(v, 9)));
        } else expect(total).toBe(0);
        const massless = m.notes.find((n) => n.code === 'MUJOCO_GEOM_MASSLESS');
        expect(massless?.message, name).toMatch({ camera: /: camera_link$/, coveredDefault: /: cover$/, motorOnly: /: arm$/, massless_root: /: base$/ }[name]);
        m.dispose();
      }
      // Its shape still collides: a floating base whose only collision is the massless camera box,
      // 0.2 m below it, dropped from 0.5 m, rests on that box (its bottom on the ground) in both engines.
      const file = join(dir, 'resting.urdf');
      writeFileSync(file, `<robot name="resting"><link name="base">${inertial(2, 0.02)}</link><link name="camera_link">${box}</link>${fixed('camera_link', 'base', '0 0 -0.2')}</robot>`);
      const model = loadUrdf(file);
      const o = { physicsDt: 0.005, pd: 'implicit', basePosition: [0, 0, 0.5] } as const;
      const m = await createMujocoUrdfRobot(file, model, o);
      for (const r of [new SimRobot(model, o), m]) {
        r.reset();
        for (let k = 0; k < 300; k++) r.step(0.005);
        expect(r.observe().base!.position[2]).toBeCloseTo(0.25, 2);
      }
      m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a URDF joint whose default lies outside its limits starts and holds at the nearest one, with the note cannon-es gives (Go2's calf)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-limits-'));
    const file = join(dir, 'leg.urdf');
    writeFileSync(
      file,
      `<robot name="leg">
  <link name="base"><inertial><mass value="2"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial></link>
  <joint name="calf" type="revolute"><parent link="base"/><child link="shin"/><axis xyz="0 1 0"/><limit lower="-2.7227" upper="-0.83776" effort="10" velocity="5"/></joint>
  <link name="shin"><inertial><mass value="0.2"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial></link>
</robot>`,
    );
    try {
      const model = loadUrdf(file);
      const cannon = new SimRobot(model, { fixedBase: true });
      const mj = await createMujocoUrdfRobot(file, model, { fixedBase: true });
      for (const r of [cannon, mj]) {
        expect(r.spec.joints[0].defaultPosition).toBe(-0.83776);
        expect(r.observe().jointPosition[0]).toBeCloseTo(-0.83776, 6);
      }
      const note = (r: { notes: readonly { code: string; where: string; message: string }[] }) => r.notes.find((n) => n.code === 'SIM_DEFAULT_OUTSIDE_LIMITS');
      expect(note(mj)).toEqual(note(cannon));
      expect(note(mj)?.where).toBe('<joint name="calf">');
      mj.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('the 29-DoF vendor humanoid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-mj-vendor-'));
    const vendor = writeVendorHumanoid(dir);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("replaces the URDF's own <mujoco> block with a note, and leaves a commented-out one alone (Booster T1's URDF has one)", async () => {
      // The fixture has a <mujoco> block of its own, as Unitree's URDFs do: out first.
      const text = readFileSync(vendor.urdf, 'utf8').replace(/<mujoco\b[^>]*\/>|<mujoco\b[^>]*>[\s\S]*?<\/mujoco>/g, '');
      const block = '<mujoco><compiler meshdir="../meshes" discardvisual="false"/></mujoco>';
      const notes = async (urdf: string) => {
        const file = join(dir, 'g1_description', 'with_block.urdf'); // beside the original: its mesh paths resolve the same
        writeFileSync(file, urdf);
        const r = await createMujocoUrdfRobot(file, loadUrdf(file), { physicsDt: 0.005, pd: 'implicit', spawnOnGround: true });
        const codes = r.notes.map((n) => n.code);
        r.dispose();
        return codes;
      };
      expect(await notes(text.replace(/<robot\b([^>]*)>/, `<robot$1>${block}`))).toContain('MUJOCO_URDF_EXTENSION');
      expect(await notes(text.replace(/<robot\b([^>]*)>/, `<robot$1><!-- ${block} -->`))).not.toContain('MUJOCO_URDF_EXTENSION');
    });

    it('holds its pose 20 s at 200 Hz (MuJoCo URDF compiler, meshes through the VFS, armature 0.01)', async () => {
      const HZ = 200;
      const jointDefaults: Record<string, { kp: number; kd: number; armature: number; defaultPosition: number }> = {};
      for (const n of vendor.sdkJoints) {
        const [kp, kd] = /ankle/.test(n) ? [200, 5] : /hip|waist/.test(n) ? [150, 4] : /knee/.test(n) ? [200, 5] : /wrist/.test(n) ? [20, 2] : [40, 10];
        jointDefaults[n] = { kp, kd, armature: 0.01, defaultPosition: VENDOR_DEFAULT_POSE[n] ?? 0 };
      }
      const model = loadUrdf(vendor.urdf);
      const r = await createMujocoUrdfRobot(vendor.urdf, model, { physicsDt: 1 / HZ, pd: 'implicit', jointDefaults, spawnOnGround: true, imuLink: 'imu_in_pelvis' });
      expect(r.spec.joints).toHaveLength(29);
      r.reset();
      const target = Float64Array.from(r.spec.joints, (j) => j.defaultPosition);
      const watchdog = new StateWatchdog(r.spec);
      let o = r.observe();
      watchdog.reset(o);
      const z0 = o.base!.position[2];
      const [x0, y0] = [o.base!.position[0], o.base!.position[1]];
      let maxDz = 0;
      for (let k = 0; k < 20 * HZ; k++) {
        r.command({ mode: 'position', target });
        r.step(1 / HZ);
        o = r.observe();
        watchdog.check(o);
        maxDz = Math.max(maxDz, Math.abs(o.base!.position[2] - z0));
      }
      expect(watchdog.reason).toBeUndefined();
      expect(maxDz).toBeLessThan(0.03);
      expect(Math.hypot(o.base!.position[0] - x0, o.base!.position[1] - y0)).toBeLessThan(0.08);
      let worst = 0;
      for (let i = 0; i < target.length; i++) worst = Math.max(worst, Math.abs(o.jointPosition[i] - target[i]));
      expect(worst).toBeLessThan(0.15);
      r.dispose();
    });
  });
});

describe('axon sim --physics mujoco', () => {
  it('runs the cartpole policy through the full loop and says which engine ran', () => {
    const r = axon('sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--physics', 'mujoco', '--duration', '4', '--fast', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s).toMatchObject({ command: 'sim', physics: 'mujoco', ticks: 200, episode: { success: true, return: 200 } });
  });

  it('loads MuJoCo only when asked: nothing outside sim/mujoco imports it statically', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) {
          if (e !== 'node_modules' && !e.startsWith('.') && p !== join('sim', 'mujoco')) walk(p);
        } else if (p.endsWith('.ts')) files.push(p);
      }
    };
    for (const d of ['src', 'sim', 'hardware']) walk(d);
    const offenders = files.filter((f) => /^\s*import\s[^(]*from\s+['"](@mujoco\/mujoco|[./]+.*\/mujoco\/[^'"]*)['"]/m.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('axon sim2sim', () => {
  it('cartpole: the same randomised episode in both engines agrees (exit 0), per joint divergence reported', () => {
    const r = axon('sim2sim', '--policy', 'models/cartpole-balance', '--robot', 'cartpole', '--seed', '3', '--randomize', '--duration', '4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.lastLine);
    expect(s).toMatchObject({ command: 'sim2sim', agree: true, ticks_compared: 200, engines: { cannon: { success: true }, mujoco: { success: true } } });
    expect(s.joints.map((j: { name: string }) => j.name)).toEqual(['slider', 'hinge']);
    for (const j of s.joints) {
      expect(j.max).toBeLessThan(0.01);
      expect(j.first_over_s).toBeNull();
    }
  });

  it('fails the check when one engine has a joint with the wrong sign (exit 1, the joint named)', () => {
    const r = axon('sim2sim', '--policy', 'models/cartpole-balance', '--robot', 'cartpole', '--seed', '3', '--randomize', '--duration', '4', '--flip-sign', 'mujoco:hinge', '--json');
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.lastLine);
    expect(s.agree).toBe(false);
    expect(s.engines.cannon.success).toBe(true);
    expect(s.engines.mujoco.success).toBe(false);
    expect(s.disagreement.join(' ')).toContain('success');
    const hinge = s.joints.find((j: { name: string }) => j.name === 'hinge');
    expect(hinge.first_over_s).toBeLessThan(2);
  });
});

