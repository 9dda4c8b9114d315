import { AxonError } from '../core/errors.ts';
import type { MeshCollisionMode, UrdfModel } from '../../sim/index.ts';

/**
 * Collision mesh files each simulator turns into a shape: cannon-es reads STL and OBJ, MuJoCo STL,
 * OBJ and MSH. A Collada (.dae) collision gives none in either (SIM_MESH_FALLBACK,
 * MUJOCO_MESH_DROPPED; docs/urdf.md, "Meshes"), and neither does any other format.
 */
const BUILT_MESH = { cannon: /\.(stl|obj)$/i, mujoco: /\.(stl|obj|msh)$/i } as const;
const MSH = /\.msh$/i;

/**
 * A floating URDF robot with no collision shape that the simulators will build has nothing to
 * stand on axon's ground with: it falls through it until the state watchdog stops the run (3 m
 * down), and the fall hint could only guess at armature or gains. Refused by name before a robot is
 * built, as an MJCF whose geoms cannot touch the ground is (MUJOCO_MJCF_NO_CONTACT). K-Scale's
 * zbot2 robot.urdf is such a file under --mesh-collision none: every <collision> is a mesh. A
 * vendor whose collisions are all Collada is another (every .dae is left out). Only the shapes that
 * will be built count, in the engine in use (`physics`: MSH is built by MuJoCo only). A fixed base
 * needs no ground contact and is not refused.
 */
export function refuseNoCollision(model: UrdfModel, meshCollision: MeshCollisionMode | undefined, fixedBase: boolean, file: string, physics: 'cannon' | 'mujoco' = 'cannon'): void {
  if (fixedBase) return;
  const shapes = model.links.flatMap((l) => l.collisions);
  const meshes = shapes.flatMap((c) => (c.geometry.kind === 'mesh' ? [c.geometry.filename] : []));
  if (shapes.length > meshes.length) return;
  const unread = meshes.filter((f) => !BUILT_MESH[physics].test(f));
  if (meshes.length > unread.length && meshCollision !== 'none') return;
  if (meshes.length > 0 && meshCollision === 'none')
    throw new AxonError(
      'SIM_NO_COLLISION',
      file,
      `robot ${model.name} has a floating base and no collision shape left: its ${meshes.length} <collision>(s) are all meshes and --mesh-collision none leaves every mesh out, so it would fall through the ground`,
      'the mesh files (beside the URDF, or --urdf-package-path) without --mesh-collision none (or with box or capsule), or --fixed-base',
    );
  if (meshes.length > 0) {
    const names = [...new Set(unread.map((f) => f.split(/[\\/]/).at(-1) ?? f))];
    // MSH only: MuJoCo builds them, cannon-es (the default engine) does not.
    if (unread.every((f) => MSH.test(f)))
      throw new AxonError(
        'SIM_NO_COLLISION',
        file,
        `robot ${model.name} has a floating base and no collision shape cannon-es builds: its ${meshes.length} <collision>(s) are all meshes in MuJoCo's MSH format (${names.join(', ')}), which cannon-es does not read (it reads STL and OBJ), so it would fall through the ground`,
        '--physics mujoco (MuJoCo builds MSH), the collision meshes converted to STL or OBJ, or --fixed-base',
      );
    throw new AxonError(
      'SIM_NO_COLLISION',
      file,
      `robot ${model.name} has a floating base and no collision shape the simulators build: its ${meshes.length} <collision>(s) are all meshes neither simulator reads (${names.join(', ')}; cannon-es reads STL and OBJ, MuJoCo STL, OBJ and MSH), so it would fall through the ground`,
      'the collision meshes converted to STL or OBJ (a binary STL export of each part, the <collision> filenames changed to match), primitive <collision> shapes on the feet, or --fixed-base',
    );
  }
  throw new AxonError('SIM_NO_COLLISION', file, `robot ${model.name} has a floating base and no <collision> on any link, so it would fall through the ground`, 'collision shapes on the links that touch the ground (the feet), or --fixed-base');
}
