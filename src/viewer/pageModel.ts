/**
 * What the page is told of the robot's model (src/viewer/attachViewer.ts sends it in the hello):
 * the links' visuals, with each mesh file the page can draw given a URL of its own
 * (/mesh/<n>/<name>, the only files served outside the page), and the kinematic tree the page
 * poses predicted rollouts with (page/kinematics.js).
 */
import { basename, extname } from 'node:path';
import type { RobotSpec } from '../core/robot.ts';

/** Mesh formats the page draws (three's STLLoader, OBJLoader, ColladaLoader). */
const MESH_EXT = new Set(['.stl', '.obj', '.dae']);

/** The visual part of a URDF (sim/'s UrdfModel satisfies it). Lengths in m, angles in rad. */
export interface ViewerModel {
  readonly name: string;
  readonly links: readonly {
    readonly name: string;
    readonly visuals: readonly {
      readonly origin: { readonly xyz: readonly number[]; readonly rpy: readonly number[] };
      readonly geometry:
        | { readonly kind: 'box'; readonly size: readonly number[] }
        | { readonly kind: 'cylinder'; readonly radius: number; readonly length: number }
        | { readonly kind: 'sphere'; readonly radius: number }
        | { readonly kind: 'mesh'; readonly filename: string; readonly scale: readonly number[]; readonly path?: string }
        // MuJoCo's shapes (sim/mujoco/mujocoView.ts): a capsule along z (length of its cylinder part),
        // an ellipsoid by its semi-axes, a compiled mesh as vertices (x y z, m) and faces (3 vertex indices each).
        | { readonly kind: 'capsule'; readonly radius: number; readonly length: number }
        | { readonly kind: 'ellipsoid'; readonly radii: readonly number[] }
        | { readonly kind: 'trimesh'; readonly vertices: readonly number[]; readonly faces: readonly number[] };
      readonly color: readonly number[] | undefined;
    }[];
  }[];
  /** The kinematic tree, for posing the robot at predicted joint positions in the page. */
  readonly root?: string;
  readonly treeOrder?: readonly {
    readonly name: string;
    readonly type: string;
    readonly parent: string;
    readonly child: string;
    readonly origin: { readonly xyz: readonly number[]; readonly rpy: readonly number[] };
    readonly axis: readonly number[];
  }[];
}

/** The model for the page and the mesh files to serve (file -> URL path); null when the robot has no model. */
export function pageModelOf(model: ViewerModel | undefined) {
  const meshUrls = new Map<string, string>(); // file -> URL path
  const pageModel = model
    ? {
        name: model.name,
        links: model.links.map((l) => ({
          name: l.name,
          visuals: l.visuals.map((v) => {
            const g = v.geometry;
            if (g.kind !== 'mesh') return v;
            const { path, ...rest } = g;
            if (path === undefined || !MESH_EXT.has(extname(path).toLowerCase())) return { ...v, geometry: rest };
            let url = meshUrls.get(path);
            if (url === undefined) {
              url = `/mesh/${meshUrls.size}/${encodeURIComponent(basename(path))}`;
              meshUrls.set(path, url);
            }
            return { ...v, geometry: { ...rest, url } };
          }),
        })),
      }
    : null;
  return { model: pageModel, meshUrls };
}

/** The kinematic tree for the page (page/kinematics.js), or null when the model has none. */
export function pageKinematics(model: ViewerModel | undefined, spec: RobotSpec) {
  if (!model?.treeOrder || model.root === undefined) return null;
  return {
    root: model.root,
    joints: model.treeOrder.map((j) => ({
      name: j.name,
      type: j.type,
      parent: j.parent,
      child: j.child,
      xyz: j.origin.xyz,
      rpy: j.origin.rpy,
      axis: j.axis,
      index: j.type === 'fixed' ? -1 : spec.joints.findIndex((s) => s.name === j.name),
    })),
  };
}
