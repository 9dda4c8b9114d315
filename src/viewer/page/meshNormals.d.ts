// Types of page/meshNormals.js, for the tests that run it on the loaders' output.
import type { BufferGeometry } from 'three';
export declare function ensureNormals(geometry: BufferGeometry): boolean;
