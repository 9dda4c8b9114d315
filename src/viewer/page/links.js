// The robot's links for the viewer page: one three.js Group per link from the model's visuals
// (URDF or MJCF primitives, inline meshes, and mesh files fetched once per URL from the server's
// /mesh/<n>/<file> routes). `meshes` counts what was requested, loaded and failed (for tests).
import * as THREE from 'three';
import { STLLoader } from 'three/addons/loaders/STLLoader.js';
import { OBJLoader } from 'three/addons/loaders/OBJLoader.js';
import { ColladaLoader } from 'three/addons/loaders/ColladaLoader.js';
import { ensureNormals } from './meshNormals.js';

export const meshes = { requested: 0, loaded: 0, failed: 0, vertices: 0, errors: [] };
const meshCache = new Map(); // url -> Promise<Object3D | BufferGeometry>
function loadMeshAsset(url) {
  let p = meshCache.get(url);
  if (p) return p;
  const ext = url.split('.').pop().toLowerCase();
  p = new Promise((resolve, reject) => {
    if (ext === 'stl') new STLLoader().load(url, resolve, undefined, reject);
    else if (ext === 'obj') new OBJLoader().load(url, resolve, undefined, reject);
    else if (ext === 'dae')
      new ColladaLoader().load(url, (c) => {
        // URDF meshes are read in their own (z-up) frame: undo the loader's Z_UP -> Y_UP turn; keep <unit> scaling.
        c.scene.rotation.set(0, 0, 0);
        c.scene.updateMatrix();
        resolve(c.scene);
      }, undefined, reject);
    else reject(new Error(`unknown mesh format .${ext}`));
  });
  meshCache.set(url, p);
  return p;
}
function countVertices(o) {
  let n = 0;
  o.traverse((c) => { if (c.isMesh && c.geometry?.attributes?.position) n += c.geometry.attributes.position.count; });
  return n;
}
/** Puts the mesh behind `url` into `holder` (scale set by the caller), colouring it when the URDF names a colour. */
function attachMesh(holder, url, color, material) {
  meshes.requested++;
  loadMeshAsset(url).then(
    (asset) => {
      let obj;
      // An STL whose facets say `normal 0 0 0`, a Collada file without normals, would be drawn
      // black: normals from the vertices (meshNormals.js), once per asset (clones share geometry).
      if (asset.isBufferGeometry) {
        ensureNormals(asset);
        obj = new THREE.Mesh(asset, material);
      } else {
        asset.traverse((c) => { if (c.isMesh && c.geometry?.attributes?.position) ensureNormals(c.geometry); });
        obj = asset.clone(true);
        if (color) obj.traverse((c) => { if (c.isMesh) c.material = material; });
      }
      holder.add(obj);
      meshes.loaded++;
      meshes.vertices += countVertices(obj);
    },
    (err) => {
      meshes.failed++;
      meshes.errors.push(`${url}: ${err?.message ?? err}`);
      holder.add(new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.05, 0.05), material)); // placeholder
    },
  );
}

/**
 * One Object3D per link from the URDF visuals, added to `scene`. `ghost`: one translucent
 * material for every visual (the robot at the end of the predicted trajectory).
 */
export function buildLinks(scene, model, linkNames, ghost) {
  const out = [];
  if (!model) return out;
  const byName = new Map(model.links.map((l) => [l.name, l]));
  for (const name of linkNames) {
    const group = new THREE.Group();
    group.name = name;
    for (const vis of byName.get(name)?.visuals ?? []) {
      const g = vis.geometry;
      let geom;
      let align;
      const c = vis.color ?? [0.7, 0.7, 0.72, 1];
      const mat = ghost ?? new THREE.MeshStandardMaterial({ color: new THREE.Color(c[0], c[1], c[2]), transparent: c[3] < 1, opacity: c[3], roughness: 0.6 });
      let mesh;
      if (g.kind === 'mesh') {
        mesh = new THREE.Group();
        mesh.scale.set(g.scale[0], g.scale[1], g.scale[2]);
        if (g.url) attachMesh(mesh, g.url, vis.color, mat);
        else mesh.add(new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.05, 0.05), mat)); // not resolved on the server: a placeholder
      } else {
        if (g.kind === 'box') geom = new THREE.BoxGeometry(g.size[0], g.size[1], g.size[2]);
        else if (g.kind === 'sphere') geom = new THREE.SphereGeometry(g.radius, 24, 16);
        else if (g.kind === 'ellipsoid') {
          geom = new THREE.SphereGeometry(1, 24, 16);
          geom.scale(g.radii[0], g.radii[1], g.radii[2]);
        } else if (g.kind === 'trimesh') {
          geom = new THREE.BufferGeometry();
          geom.setAttribute('position', new THREE.Float32BufferAttribute(g.vertices, 3));
          geom.setIndex(g.faces);
          geom.computeVertexNormals();
        } else if (g.kind === 'capsule') {
          geom = new THREE.CapsuleGeometry(g.radius, g.length, 8, 24);
          align = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2); // three's y axis -> MuJoCo's z axis
        } else {
          geom = new THREE.CylinderGeometry(g.radius, g.radius, g.length, 24);
          align = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2); // three's y axis -> URDF's z axis
        }
        mesh = new THREE.Mesh(geom, mat);
      }
      const [x, y, z] = vis.origin.xyz, [r, p, yw] = vis.origin.rpy;
      mesh.position.set(x, y, z);
      mesh.quaternion.setFromEuler(new THREE.Euler(r, p, yw, 'ZYX')); // URDF: R = Rz(yaw) Ry(pitch) Rx(roll)
      if (align) mesh.quaternion.multiply(align);
      group.add(mesh);
    }
    scene.add(group);
    out.push(group);
  }
  return out;
}
