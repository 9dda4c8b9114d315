// Normals a loaded mesh can be lit with. three's STLLoader always sets a `normal` attribute from
// the file's facet normals, and the STL format lets a writer leave them `0 0 0` (readers derive
// them from the vertex order, right-hand rule; many CAD exports do): lit by MeshStandardMaterial,
// such a mesh is drawn black whatever its URDF colour; so is a Collada mesh with no NORMAL input
// (three's ColladaLoader then sets none). Then the normals are computed from the vertices (a
// non-indexed STL: one flat normal per facet, as the file should have said).

/**
 * Computes `geometry`'s vertex normals when it has none, or when any is zero-length or not finite
 * (one bad facet is enough to draw black triangles); returns true when it did.
 */
export function ensureNormals(geometry) {
  const n = geometry.attributes.normal;
  if (n && n.itemSize === 3 && n.count === geometry.attributes.position?.count) {
    const a = n.array;
    let ok = true;
    for (let i = 0; i < a.length && ok; i += 3) {
      const l = a[i] * a[i] + a[i + 1] * a[i + 1] + a[i + 2] * a[i + 2];
      ok = l > 1e-12 && Number.isFinite(l);
    }
    if (ok) return false;
  }
  geometry.computeVertexNormals();
  return true;
}
