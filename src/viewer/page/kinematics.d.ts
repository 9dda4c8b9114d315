// Types of page/kinematics.js, for the tests that run it against the simulator.
import type { Matrix4 } from 'three';
export interface PageKinematics {
  root: string;
  joints: { name: string; type: string; parent: string; child: string; xyz: readonly number[]; rpy: readonly number[]; axis: readonly number[]; index: number }[];
}
export declare class Kinematics {
  constructor(kin: PageKinematics, linkNames: readonly string[]);
  readonly world: Matrix4[];
  solve(rootPos: ArrayLike<number>, rootQuat: ArrayLike<number>, q: ArrayLike<number>): Matrix4[];
}
export declare function tracedPoints(
  model: { links: readonly { name: string; visuals: readonly { origin: { xyz: readonly number[] } }[] }[] },
  kin: PageKinematics,
): { link: string; point: [number, number, number] }[];
