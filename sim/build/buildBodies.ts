import { basename } from 'node:path';
import { Body, Box, Cylinder, Plane, Quaternion, Sphere, Vec3, type Shape, type World } from 'cannon-es';
import { AxonError } from '../../src/core/errors.ts';
import { composePose, quatFromRpy } from '../physics/frames.ts';
import { meshCollisionShapes, type MeshCollisionMode, type MeshCollisionReport } from '../mesh/meshCollision.ts';
import type { UrdfLink, UrdfModel, UrdfNote } from '../urdf/parseUrdf.ts';
import { groupMass, type BodyInfo, type LinkGroup, type LinkInfo } from './links.ts';
import { applyMassProperties, computeCom } from './massProperties.ts';

/** Collision groups: the robot meets only the ground (no self-collision, docs/simulation.md "Traps"). */
export const GROUP_GROUND = 1;
export const GROUP_ROBOT = 2;

export interface BuildBodiesOptions {
  readonly fixedBase: boolean;
  /** How collision meshes become shapes; default 'hull'. */
  readonly meshCollision?: MeshCollisionMode;
  readonly maxHullVertices?: number;
  readonly log?: (line: string) => void;
}

/**
 * One cannon-es body per link group, added to the world: centre of mass and mass properties from
 * the URDF inertials (no armature yet), every link's offset in its body, collision shapes (meshes
 * fitted by sim/mesh/meshCollision.ts, one report each into `meshReports`), and notes on meshes
 * into `notes`. Throws SIM_MASSLESS_LINK for a moving group without mass.
 */
export function buildBodies(
  model: UrdfModel,
  links: LinkInfo[],
  groups: readonly LinkGroup[],
  world: World,
  options: BuildBodiesOptions,
  meshReports: MeshCollisionReport[],
  notes: UrdfNote[],
): BodyInfo[] {
  const meshMode = options.meshCollision ?? 'hull';
  let unresolvedMeshes = 0;
  const fallbacks: { where: string; file: string; why: string }[] = [];
  const bodies = groups.map((group, bi) => {
    const isStatic = bi === 0 && options.fixedBase;
    const com = new Vec3();
    const body = new Body({ mass: 0, type: isStatic ? Body.STATIC : Body.DYNAMIC });
    body.linearDamping = 0;
    body.angularDamping = 0;
    body.collisionFilterGroup = GROUP_ROBOT;
    body.collisionFilterMask = GROUP_GROUND;
    const info: BodyInfo = { body, rootLink: group.rootLink, links: group.links, com, isStatic };
    if (!isStatic && !(groupMass(info, links) > 0)) {
      const name = links[group.rootLink].urdf.name;
      throw new AxonError('SIM_MASSLESS_LINK', `<link name="${name}">`, 'a moving link (with the links fixed to it) has no <inertial> mass', 'an <inertial> with mass > 0 on a link that moves');
    }
    computeCom(info, links);
    for (const li of group.links) {
      const link = links[li];
      link.offsetPos.set(link.inGroupPos.x - com.x, link.inGroupPos.y - com.y, link.inGroupPos.z - com.z);
      link.offsetQuat.copy(link.inGroupQuat);
      for (const [ci, c] of link.urdf.collisions.entries()) {
        const p = new Vec3(...c.origin.xyz);
        const q = quatFromRpy(c.origin.rpy, new Quaternion());
        const offset = new Vec3();
        const orient = new Quaternion();
        composePose(link.offsetPos, link.offsetQuat, p, q, offset, orient);
        const g = c.geometry;
        if (g.kind === 'mesh') {
          if (meshMode === 'none') continue;
          if (g.path === undefined) {
            unresolvedMeshes++;
            continue;
          }
          const { parts, report } = meshCollisionShapes(g.path, g.scale, `<link name="${link.urdf.name}"> <collision> #${ci + 1} <mesh>`, {
            mode: meshMode,
            ...(options.maxHullVertices !== undefined ? { maxHullVertices: options.maxHullVertices } : {}),
            ...(options.log ? { log: options.log } : {}),
          });
          meshReports.push(report);
          if (report.note) notes.push({ code: 'SIM_MESH_READ', where: `<link name="${link.urdf.name}"> <collision> #${ci + 1}`, message: `${g.filename}: ${report.note}` });
          if (report.fallback) fallbacks.push({ where: `<link name="${link.urdf.name}"> <collision> #${ci + 1}`, file: g.filename, why: report.fallback });
          for (const part of parts) {
            const po = new Vec3();
            const pq = new Quaternion();
            composePose(offset, orient, part.offset, part.orientation, po, pq);
            body.addShape(part.shape, po, pq);
          }
          continue;
        }
        const shape = makeShape(g)!;
        if (g.kind === 'cylinder') {
          // cannon's Cylinder runs along its y axis; URDF's along z: rotate +90° about x (y -> z).
          const fix = new Quaternion().setFromAxisAngle(Vec3.UNIT_X, Math.PI / 2);
          orient.copy(orient.mult(fix, new Quaternion()));
        }
        body.addShape(shape, offset, orient);
      }
    }
    applyMassProperties(info, links);
    world.addBody(body);
    return info;
  });

  // One note per reason: TIAGo's 11 Collada collision meshes are one cause, said once with the files.
  for (const why of new Set(fallbacks.map((f) => f.why))) {
    const same = fallbacks.filter((f) => f.why === why);
    const more = same.length > 1 ? ` (and ${same.length - 1} more likewise: ${same.slice(1).map((f) => basename(f.file)).join(', ')})` : '';
    notes.push({ code: 'SIM_MESH_FALLBACK', where: same[0].where, message: `${same[0].file}: ${why}${more}` });
  }
  if (unresolvedMeshes > 0) {
    notes.push({ code: 'SIM_MESH_UNRESOLVED', where: `<robot name="${model.name}">`, message: `${unresolvedMeshes} collision mesh(es) without a file path (URDF parsed from text without baseDir): they do not collide` });
  }
  // Meshes that became shapes (a Collada file's report has none: its note says so).
  const r = meshReports.filter((x) => x.triangles > 0);
  if (r.length > 0) {
    const ms = r.reduce((a, x) => a + x.ms, 0);
    const simplified = r.filter((x) => x.simplified).length;
    notes.push({
      code: 'SIM_MESH_COLLISION',
      where: `<robot name="${model.name}">`,
      message: `${r.length} collision mesh(es) as ${meshMode === 'hull' ? 'convex hulls' : meshMode === 'box' ? 'fitted boxes' : 'fitted capsules'} (${r.reduce((a, x) => a + x.triangles, 0)} triangles in, ${r.reduce((a, x) => a + x.hullVertices, 0)} hull vertices out${simplified > 0 ? `, ${simplified} hull(s) capped at ${options.maxHullVertices ?? 64} vertices, largest cut ${(Math.max(...r.map((x) => x.cut)) * 1000).toFixed(1)} mm` : ''}), ${ms.toFixed(0)} ms${r.some((x) => x.cached) ? `, ${r.filter((x) => x.cached).length} from the cache` : ''}`,
    });
  }
  return bodies;
}

/** Adds the ground plane z = 0 (static, meets only the robot). */
export function addGround(world: World): void {
  const ground = new Body({ mass: 0, type: Body.STATIC, shape: new Plane() });
  ground.collisionFilterGroup = GROUP_GROUND;
  ground.collisionFilterMask = GROUP_ROBOT;
  world.addBody(ground);
}

function makeShape(g: UrdfLink['collisions'][number]['geometry']): Shape | undefined {
  // Meshes are fitted by meshCollisionShapes (sim/mesh/meshCollision.ts).
  switch (g.kind) {
    case 'box':
      return new Box(new Vec3(g.size[0] / 2, g.size[1] / 2, g.size[2] / 2));
    case 'sphere':
      return new Sphere(g.radius);
    case 'cylinder':
      return new Cylinder(g.radius, g.radius, g.length, 12);
    case 'mesh':
      return undefined;
  }
}
