/**
 * A <visual> or <collision> element: its geometry (box, cylinder, sphere or mesh, the mesh file
 * resolved on this machine when a base folder is given), origin and colour.
 */
import { resolveMeshPath } from './resolveMeshPath.ts';
import type { UrdfGeometry, UrdfShape, Vec3Tuple } from './parseUrdf.ts';
import { attr, child, children, number, numbers, parseOrigin, requireAttr, type Fail, type Note, type XmlNode } from './urdfXml.ts';

/** Radius (m) a point contact (a collision sphere of radius 0) is simulated with, in both engines. */
export const POINT_CONTACT_RADIUS = 0.001;

/**
 * A shape, or undefined for a <visual> whose mesh file is not on this machine (noted
 * URDF_VISUAL_MESH_MISSING: the simulators never read visuals, the viewer then draws none there).
 * A missing collision mesh is URDF_MESH_NOT_FOUND, unless collision meshes are not read
 * (`--mesh-collision none`: `optionalCollisionMeshes`), when it is left out with a note
 * (URDF_COLLISION_MESH_MISSING) and its geometry carries no `path`. A mesh found by its tail under
 * another folder than its absolute path is noted URDF_MESH_RELOCATED.
 */
export function parseShape(
  role: 'visual' | 'collision',
  node: XmlNode,
  where: string,
  namedColors: ReadonlyMap<string, [number, number, number, number]>,
  fail: Fail,
  note: Note,
  meshResolve: { baseDir: string; packagePaths: readonly string[]; optionalCollisionMeshes?: boolean } | undefined,
): UrdfShape | undefined {
  const geometryNode = child(node, 'geometry');
  if (geometryNode === undefined) fail('URDF_ATTRIBUTE', where, 'has no <geometry>', 'a <geometry> with box, cylinder, sphere or mesh');
  const gw = `${where} <geometry>`;
  let geometry: UrdfGeometry | undefined;
  const box = child(geometryNode!, 'box');
  const cylinder = child(geometryNode!, 'cylinder');
  const sphere = child(geometryNode!, 'sphere');
  const mesh = child(geometryNode!, 'mesh');
  if (box !== undefined) {
    const size = numbers(requireAttr(box, 'size', `${gw} <box>`, fail), 3, `${gw} <box>`, 'size', fail);
    if (!(size[0] > 0 && size[1] > 0 && size[2] > 0)) fail('URDF_NUMBER', `${gw} <box>`, `size is ${size.join(' ')}`, 'three sizes > 0 m');
    geometry = { kind: 'box', size: size as Vec3Tuple };
  } else if (cylinder !== undefined) {
    const cw = `${gw} <cylinder>`;
    const radius = number(requireAttr(cylinder, 'radius', cw, fail), cw, 'radius', fail);
    const length = number(requireAttr(cylinder, 'length', cw, fail), cw, 'length', fail);
    if (!(radius > 0 && length > 0)) fail('URDF_NUMBER', cw, `radius ${radius}, length ${length}`, 'radius and length > 0 m');
    geometry = { kind: 'cylinder', radius, length };
  } else if (sphere !== undefined) {
    const sw = `${gw} <sphere>`;
    let radius = number(requireAttr(sphere, 'radius', sw, fail), sw, 'radius', fail);
    if (radius === 0 && role === 'collision') {
      // Drake writes point contacts so (its Atlas's feet: 16 of them); a sphere needs a size here.
      note('URDF_POINT_CONTACT', sw, `radius 0, a point contact as Drake writes them: taken as a sphere of ${POINT_CONTACT_RADIUS * 1000} mm`);
      radius = POINT_CONTACT_RADIUS;
    }
    if (!(radius > 0)) fail('URDF_NUMBER', sw, `radius ${radius}`, 'radius > 0 m');
    geometry = { kind: 'sphere', radius };
  } else if (mesh !== undefined) {
    const mw = `${gw} <mesh>`;
    const filename = requireAttr(mesh, 'filename', mw, fail);
    const scaleText = attr(mesh, 'scale');
    const scale = scaleText === undefined ? [1, 1, 1] : numbers(scaleText, 3, mw, 'scale', fail);
    if (!(scale[0] !== 0 && scale[1] !== 0 && scale[2] !== 0)) fail('URDF_NUMBER', mw, `scale is ${scale.join(' ')}`, 'three non-zero scale factors');
    if (meshResolve === undefined) {
      geometry = { kind: 'mesh', filename, scale: scale as Vec3Tuple };
    } else {
      const r = resolveMeshPath(filename, meshResolve);
      if (!r.ok && r.reason === 'scheme' && role === 'visual') {
        note('URDF_VISUAL_MESH_MISSING', mw, `filename "${filename}" uses the scheme ${r.scheme}://, which axon does not read: the visual is left out; physics never reads it`);
        return undefined;
      }
      if (!r.ok && r.reason === 'scheme') fail('URDF_MESH_PATH', mw, `filename "${filename}" uses the scheme ${r.scheme}://`, 'package://, file:// or a path');
      if (!r.ok && r.reason === 'missing' && role === 'visual') {
        note('URDF_VISUAL_MESH_MISSING', mw, `mesh file "${filename}" not found (looked in ${r.looked.length === 1 ? r.looked[0] : `${r.looked.length} places, first ${r.looked[0]}`}${r.otherCase ? `; ${r.otherCase} exists, its name differing only in case` : ''}): the visual is left out; physics never reads it`);
        return undefined;
      }
      if (r.ok && r.relocated) note('URDF_MESH_RELOCATED', mw, `"${filename}" is not on this machine: taken from ${r.path}, the same folders and file under the URDF's`);
      if (!r.ok && r.reason === 'missing' && meshResolve.optionalCollisionMeshes) {
        // Nothing reads it (--mesh-collision none): a URDF copied without its meshes still loads.
        note('URDF_COLLISION_MESH_MISSING', mw, `mesh file "${filename}" not found (looked in ${r.looked.length === 1 ? r.looked[0] : `${r.looked.length} places, first ${r.looked[0]}`}): left out, as --mesh-collision none leaves out every collision mesh`);
        geometry = { kind: 'mesh', filename, scale: scale as Vec3Tuple };
      } else if (!r.ok && r.reason === 'missing') {
        const where = filename.startsWith('package://') ? 'the file in one of those places (add --urdf-package-path DIR, DIR holding the package folder or being the package: named as it, or its package.xml <name> naming it)' : 'an existing file';
        const otherCase = r.otherCase ? `; ${r.otherCase} exists, its name differing only in case (a file named on Windows or macOS, where case does not count): rename the file or fix the filename in the URDF` : '';
        fail('URDF_MESH_NOT_FOUND', mw, `mesh file "${filename}" not found; looked in: ${r.looked.join(', ')}${otherCase}`, `${where}, or --mesh-collision none to simulate without collision meshes`);
      } else {
        geometry = { kind: 'mesh', filename, scale: scale as Vec3Tuple, path: (r as { path: string }).path };
      }
    }
  } else {
    fail('URDF_ATTRIBUTE', gw, 'names no shape', 'one of <box>, <cylinder>, <sphere>, <mesh>');
  }
  let color: [number, number, number, number] | undefined;
  const materials = children(node, 'material');
  if (materials.length > 0) {
    const m = materials[0];
    const c = child(m, 'color');
    if (c !== undefined) {
      color = numbers(requireAttr(c, 'rgba', `${where} <material> <color>`, fail), 4, `${where} <material> <color>`, 'rgba', fail) as [number, number, number, number];
    } else {
      const name = attr(m, 'name');
      if (name !== undefined) color = namedColors.get(name);
    }
  }
  return { name: attr(node, 'name'), origin: parseOrigin(child(node, 'origin'), `${where} <origin>`, fail), geometry: geometry!, color };
}

