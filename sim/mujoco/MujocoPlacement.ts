import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import type { FloatingBase } from './floatingBase.ts';
import type { MujocoRobotOptions } from './MujocoRobotOptions.ts';
import type { MujocoViews } from './MujocoViews.ts';

/** Where the robot's coordinates sit in qpos / qvel (configure time). */
export interface MujocoCoordinates {
  /** qpos address of each moving joint (robot joint order). */
  readonly qadr: Int32Array;
  /** qvel (dof) address of each moving joint. */
  readonly vadr: Int32Array;
  /** The floating base (a free joint, or three slides and a ball); undefined for a fixed base. */
  readonly base: FloatingBase | undefined;
}

/**
 * Puts a MujocoRobot at its episode's initial state at reset, as the cannon-es side's
 * sim/kinematics/RobotPlacement.ts: a floating base at its configured pose (the free joint's
 * qpos, or the slides' counted from the body's pos; orientation normalised), joint positions and velocities in qpos / qvel, kinematics
 * computed (mj_forward), and with spawnOnGround the base lowered so that the lowest point of the
 * robot's collision geometry touches z = 0 (with 'lift', only raised: a robot above z = 0 stays).
 *
 * Reset time only (not for a physics step); allocates only in the constructor.
 */
export class MujocoPlacement {
  /**
   * What spawnOnGround puts on the ground: the robot's geoms (not on the world body) that can
   * collide (contype or conaffinity set, or named in a <contact><pair>; an MJCF's visual class has
   * both 0 and may reach below the feet), or all of them when none can.
   */
  private readonly robotGeoms: Int32Array;
  /** How far (m) the last reset moved the base up to put it on the ground (negative: down; 0: not moved). */
  lift = 0;

  constructor(
    private readonly mj: MainModule,
    private readonly model: MjModel,
    private readonly data: MjData,
    private readonly views: MujocoViews,
    private readonly coords: MujocoCoordinates,
    private readonly options: Pick<MujocoRobotOptions, 'basePosition' | 'baseOrientation' | 'spawnOnGround'>,
  ) {
    const gb = model.geom_bodyid as Int32Array;
    const contype = model.geom_contype as Int32Array;
    const conaff = model.geom_conaffinity as Int32Array;
    // A geom named in a <contact><pair> collides whatever its bits (apptronik_apollo's soles: contype and conaffinity 0, paired with the floor in scene.xml).
    const paired = new Set<number>();
    const p1 = model.pair_geom1 as Int32Array;
    const p2 = model.pair_geom2 as Int32Array;
    for (let p = 0; p < model.npair; p++) {
      paired.add(p1[p]);
      paired.add(p2[p]);
    }
    const all: number[] = [];
    const colliding: number[] = [];
    for (let g = 0; g < model.ngeom; g++) {
      if (gb[g] === 0) continue;
      all.push(g);
      if (contype[g] !== 0 || conaff[g] !== 0 || paired.has(g)) colliding.push(g);
    }
    this.robotGeoms = Int32Array.from(colliding.length > 0 ? colliding : all);
  }

  /**
   * The episode's initial state, on data just reset (mj_resetData, views refreshed): joint
   * positions (rad | m) and velocities (rad/s | m/s), robot joint order; the base at rest.
   */
  reset(positions: Float64Array, velocities: Float64Array): void {
    const mj = this.mj;
    const m = this.model;
    const d = this.data;
    const { qadr, vadr, base } = this.coords;
    const qpos = this.views.qpos;
    const qvel = this.views.qvel;
    if (base) {
      const p = this.options.basePosition ?? [0, 0, 0];
      const bo = this.options.baseOrientation ?? [0, 0, 0, 1];
      const a = base.qadr;
      const o = base.origin;
      qpos[a] = p[0] - o[0];
      qpos[a + 1] = p[1] - o[1];
      qpos[a + 2] = p[2] - o[2];
      const norm = Math.hypot(bo[0], bo[1], bo[2], bo[3]) || 1;
      qpos[a + 3] = bo[3] / norm;
      qpos[a + 4] = bo[0] / norm;
      qpos[a + 5] = bo[1] / norm;
      qpos[a + 6] = bo[2] / norm;
    }
    for (let i = 0; i < qadr.length; i++) {
      qpos[qadr[i]] = positions[i];
      qvel[vadr[i]] = velocities[i];
    }
    mj.mj_forward(m, d);
    this.lift = 0;
    if (this.options.spawnOnGround && base) {
      const low = this.lowestPoint();
      if (this.options.spawnOnGround !== 'lift' || low < 0) {
        this.lift = -low;
        qpos[base.qadr + 2] -= low;
        mj.mj_forward(m, d);
      }
    }
  }

  /** Lowest z (m) of the robot's collision geometry in the current pose (mesh vertices, primitives exactly). */
  private lowestPoint(): number {
    const mj = this.mj;
    const m = this.model;
    const type = m.geom_type as Int32Array;
    const size = m.geom_size as Float64Array;
    const gx = this.data.geom_xpos as Float64Array;
    const gm = this.data.geom_xmat as Float64Array;
    const dataid = m.geom_dataid as Int32Array;
    const vadr = m.mesh_vertadr as Int32Array;
    const vnum = m.mesh_vertnum as Int32Array;
    const vert = m.mesh_vert as Float32Array;
    const aabb = m.geom_aabb as Float64Array;
    const T = mj.mjtGeom;
    let low = Infinity;
    for (let k = 0; k < this.robotGeoms.length; k++) {
      const g = this.robotGeoms[k];
      const cz = gx[g * 3 + 2];
      const r0 = gm[g * 9 + 6], r1 = gm[g * 9 + 7], r2 = gm[g * 9 + 8]; // world z row
      const t = type[g];
      let z: number;
      if (t === T.mjGEOM_SPHERE.value) z = cz - size[g * 3];
      else if (t === T.mjGEOM_CAPSULE.value) z = cz - Math.abs(r2) * size[g * 3 + 1] - size[g * 3];
      else if (t === T.mjGEOM_CYLINDER.value) z = cz - Math.abs(r2) * size[g * 3 + 1] - size[g * 3] * Math.sqrt(Math.max(0, 1 - r2 * r2));
      else if (t === T.mjGEOM_BOX.value) z = cz - Math.abs(r0) * size[g * 3] - Math.abs(r1) * size[g * 3 + 1] - Math.abs(r2) * size[g * 3 + 2];
      else if (t === T.mjGEOM_MESH.value && dataid[g] >= 0) {
        const mesh = dataid[g];
        z = Infinity;
        for (let v = vadr[mesh]; v < vadr[mesh] + vnum[mesh]; v++) {
          const vz = cz + r0 * vert[v * 3] + r1 * vert[v * 3 + 1] + r2 * vert[v * 3 + 2];
          if (vz < z) z = vz;
        }
      } else {
        // Anything else: its bounding box (centre and half sizes in the geom frame).
        const a = g * 6;
        z = cz + r0 * aabb[a] + r1 * aabb[a + 1] + r2 * aabb[a + 2] - Math.abs(r0) * aabb[a + 3] - Math.abs(r1) * aabb[a + 4] - Math.abs(r2) * aabb[a + 5];
      }
      if (z < low) low = z;
    }
    return Number.isFinite(low) ? low : 0;
  }
}
