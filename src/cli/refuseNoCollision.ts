import { AxonError } from '../core/errors.ts';
import type { MeshCollisionMode, UrdfModel } from '../../sim/index.ts';

/**
 * A floating URDF robot with no collision shape that the simulators will build has nothing to
 * stand on axon's ground with: it falls through it until the state watchdog stops the run (3 m
 * down), and the fall hint could only guess at armature or gains. Refused by name before a robot is
 * built, as an MJCF whose geoms cannot touch the ground is (MUJOCO_MJCF_NO_CONTACT). K-Scale's
 * zbot2 robot.urdf is such a file under --mesh-collision none: every <collision> is a mesh. A fixed
 * base needs no ground contact and is not refused.
 */
export function refuseNoCollision(model: UrdfModel, meshCollision: MeshCollisionMode | undefined, fixedBase: boolean, file: string): void {
  if (fixedBase) return;
  const shapes = model.links.flatMap((l) => l.collisions);
  const meshes = shapes.filter((c) => c.geometry.kind === 'mesh').length;
  if (shapes.length > meshes || (meshes > 0 && meshCollision !== 'none')) return;
  if (meshes > 0)
    throw new AxonError(
      'SIM_NO_COLLISION',
      file,
      `robot ${model.name} has a floating base and no collision shape left: its ${meshes} <collision>(s) are all meshes and --mesh-collision none leaves every mesh out, so it would fall through the ground`,
      'the mesh files (beside the URDF, or --urdf-package-path) without --mesh-collision none (or with box or capsule), or --fixed-base',
    );
  throw new AxonError('SIM_NO_COLLISION', file, `robot ${model.name} has a floating base and no <collision> on any link, so it would fall through the ground`, 'collision shapes on the links that touch the ground (the feet), or --fixed-base');
}
