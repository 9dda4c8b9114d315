import { Quaternion, Vec3 } from 'cannon-es';
import type { UrdfModel } from '../urdf/parseUrdf.ts';
import type { SimRobotOptions } from '../SimRobotOptions.ts';
import { TreeFk, type FkBody } from './TreeFk.ts';

const _showPos = new Vec3();
const _showQuat = new Quaternion();

/**
 * Puts a SimRobot's bodies somewhere by forward kinematics (sim/kinematics/TreeFk.ts): at reset,
 * the episode's initial state (joint positions placed from the base pose, joint velocities
 * propagated down the tree with the base at rest, optionally dropped onto the ground, the
 * engine's per-body dynamics state cleared); to draw a recorded run, a pose.
 *
 * Joint positions and velocities are in robot joint order. Not for a physics step: allocates
 * only in the constructor and in showPose's first call.
 */
export class RobotPlacement {
  private readonly fk: TreeFk;
  private readonly basePosition: Vec3;
  private readonly baseOrientation: Quaternion;
  private readonly spawnOnGround: boolean | 'lift';
  /** How far (m) the last reset moved the robot up to put it on the ground (negative: down; 0: not moved). */
  lift = 0;
  private readonly jointCount: number;
  private showScratch: Float64Array | undefined;

  constructor(
    model: UrdfModel,
    linkIndex: ReadonlyMap<string, number>,
    private readonly bodies: readonly FkBody[],
    options: Pick<SimRobotOptions, 'basePosition' | 'baseOrientation' | 'spawnOnGround'>,
  ) {
    this.fk = new TreeFk(model, linkIndex);
    this.basePosition = new Vec3(...(options.basePosition ?? [0, 0, 0]));
    const bo = options.baseOrientation ?? [0, 0, 0, 1];
    this.baseOrientation = new Quaternion(bo[0], bo[1], bo[2], bo[3]);
    this.baseOrientation.normalize();
    this.spawnOnGround = options.spawnOnGround ?? false;
    this.jointCount = model.treeOrder.filter((j) => j.type !== 'fixed').length;
  }

  /** Places every body by forward kinematics from joint positions (undefined: zero pose). */
  place(positions: ArrayLike<number> | undefined): void {
    this.fk.place(this.basePosition, this.baseOrientation, positions);
    this.fk.placeBodies(this.bodies);
  }

  /**
   * The episode's initial state: bodies placed at joint positions (rad | m) and moving with joint
   * velocities (rad/s | m/s), base at rest; forces, solver impulses and interpolation history cleared.
   */
  reset(positions: Float64Array, velocities: Float64Array): void {
    this.place(positions);
    if (this.spawnOnGround) this.dropToGround();
    else this.lift = 0;
    // Body velocities from joint velocities, propagating link twists down the tree (base at rest).
    this.fk.twists(velocities);
    this.fk.setBodyVelocities(this.bodies);
    for (const b of this.bodies) {
      const body = b.body;
      body.force.setZero();
      body.torque.setZero();
      body.vlambda.setZero();
      body.wlambda.setZero();
      body.previousPosition.copy(body.position);
      body.interpolatedPosition.copy(body.position);
      body.previousQuaternion.copy(body.quaternion);
      body.interpolatedQuaternion.copy(body.quaternion);
      body.aabbNeedsUpdate = true;
      body.updateInertiaWorld(true);
    }
  }

  /**
   * Places the bodies at joint positions and, for a floating base, a base link pose (position m,
   * orientation x y z w): for drawing a recorded run (SimRobot.showPose). Velocities and forces are
   * left alone, and the configured spawn pose is restored afterwards.
   */
  showPose(positions: ArrayLike<number>, basePosition?: ArrayLike<number>, baseOrientation?: ArrayLike<number>): void {
    const q = (this.showScratch ??= new Float64Array(this.jointCount));
    for (let i = 0; i < q.length; i++) q[i] = positions[i];
    _showPos.copy(this.basePosition);
    _showQuat.copy(this.baseOrientation);
    if (basePosition) this.basePosition.set(basePosition[0], basePosition[1], basePosition[2]);
    if (baseOrientation) this.baseOrientation.set(baseOrientation[0], baseOrientation[1], baseOrientation[2], baseOrientation[3]);
    this.place(q);
    this.basePosition.copy(_showPos);
    this.baseOrientation.copy(_showQuat);
  }

  /**
   * Moves every body vertically so the lowest collision shape touches z = 0 (reset time); with
   * spawnOnGround 'lift', only up (a robot whose lowest shape is above the ground stays there).
   */
  private dropToGround(): void {
    this.lift = 0;
    let minZ = Infinity;
    for (const b of this.bodies) {
      if (b.body.shapes.length === 0) continue;
      b.body.updateAABB();
      if (b.body.aabb.lowerBound.z < minZ) minZ = b.body.aabb.lowerBound.z;
    }
    if (!Number.isFinite(minZ) || (this.spawnOnGround === 'lift' && minZ >= 0)) return;
    this.lift = -minZ;
    for (const b of this.bodies) b.body.position.z -= minZ;
    this.fk.shiftZ(-minZ);
  }
}
