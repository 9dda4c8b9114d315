import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A tetrahedron given inline (body frame of "tip"), off-centre so that MuJoCo's re-centring shows. */
export const TET = [
  [0.1, 0, 0],
  [0.2, 0, 0],
  [0.1, 0.1, 0],
  [0.1, 0, 0.1],
];

/**
 * An MJCF robot with one of each shape the viewer draws from MuJoCo: a floating base with a box
 * (and a collision-only sphere in group 3, not drawn), an arm on a hinge with a capsule, a tip
 * with an inline mesh; a floor plane in the world (not drawn). Written as `dir/shapes.xml`.
 */
export function writeMjcfShapes(dir: string): { file: string; TET: number[][] } {
  const file = join(dir, 'shapes.xml');
  writeFileSync(
    file,
    `<mujoco model="shapes">
  <asset>
    <mesh name="tet" vertex="${TET.flat().join(' ')}"/>
    <material name="red" rgba="1 0 0 1"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="1 1 0.1"/>
    <body name="base" pos="0 0 0.3">
      <freejoint/>
      <geom type="box" size="0.1 0.05 0.02" pos="0 0 0.01" mass="2" rgba="0 0 1 1"/>
      <geom type="sphere" size="0.03" group="3" mass="0.1"/>
      <body name="arm" pos="0 0 0.05">
        <joint name="hinge" axis="0 1 0" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.02" mass="0.3" material="red"/>
        <body name="tip" pos="0.2 0 0">
          <geom type="mesh" mesh="tet" mass="0.1"/>
        </body>
      </body>
    </body>
  </worldbody>
</mujoco>
`,
  );
  return { file, TET };
}
