/**
 * Mesh humanoid (issue 10): cold load time of a ~30-joint humanoid with 30+ STL meshes (URDF parse,
 * STL reads, convex hulls, bodies and constraints), then 2 s standing on PD at its default pose:
 * NaN check, worst joint constraint error, pelvis height start/end.
 * Run alone with `npx tsx tests/bench/meshHumanoid.ts`.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { clearMeshCache, createUrdfSimRobot } from '../../sim/index.ts';
import type { SimRobot } from '../../sim/index.ts';
import { generateMeshHumanoid } from '../helpers/meshHumanoid.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

export interface MeshHumanoidStand {
  readonly finite: boolean;
  readonly maxPivotError: number; // m
  readonly maxAxisError: number; // rad
  readonly pelvisStart: number; // m
  readonly pelvisEnd: number; // m
  readonly pelvisMin: number; // m
}

/** Holds the default pose on PD for `seconds`, checking every 0.02 s. */
export function standMeshHumanoid(r: SimRobot, seconds = 2): MeshHumanoidStand {
  const n = r.spec.joints.length;
  r.command({ mode: 'position', target: Float64Array.from(r.spec.joints, (j) => j.defaultPosition) });
  const e = new Float64Array(2);
  const pelvisStart = r.observe().base!.position[2];
  let pelvisMin = pelvisStart;
  let finite = true;
  let pivot = 0;
  let axis = 0;
  for (let k = 0; k < Math.round(seconds / 0.02); k++) {
    r.step(0.02);
    const o = r.observe();
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(o.jointPosition[i]) || !Number.isFinite(o.jointVelocity[i])) finite = false;
      r.jointError(i, e);
      if (!Number.isFinite(e[0]) || !Number.isFinite(e[1])) finite = false;
      pivot = Math.max(pivot, e[0]);
      axis = Math.max(axis, e[1]);
    }
    if (!o.base!.position.every(Number.isFinite)) finite = false;
    pelvisMin = Math.min(pelvisMin, o.base!.position[2]);
  }
  return { finite, maxPivotError: pivot, maxAxisError: axis, pelvisStart, pelvisEnd: r.observe().base!.position[2], pelvisMin };
}

export async function benchMeshHumanoid(): Promise<void> {
  const t0 = performance.now();
  const h = generateMeshHumanoid();
  const genMs = performance.now() - t0;
  try {
    clearMeshCache();
    const t1 = performance.now();
    const r = createUrdfSimRobot(h.urdfFile, { packagePaths: [h.dir], jointDefaults: h.jointDefaults, ...h.options });
    const loadMs = performance.now() - t1;
    const reports = r.meshReports;
    const tris = reports.reduce((s, m) => s + m.triangles, 0);
    const hullV = reports.reduce((s, m) => s + m.hullVertices, 0);
    const cached = reports.filter((m) => m.cached).length;
    line('mesh humanoid: generate (STL + URDF)', `${genMs.toFixed(0)} ms, ${h.meshFiles.length} STL files`);
    line('mesh humanoid: cold load (parse+STL+hulls)', `${loadMs.toFixed(0)} ms (target < 2000 ms)`);
    line('mesh humanoid: joints / meshes', `${r.spec.joints.length} actuated joints, ${r.bodyLinkNames().length} bodies, ${reports.length} collision meshes (${tris} triangles -> ${hullV} hull vertices, ${cached} from cache), ${h.totalMass.toFixed(1)} kg`);
    const t2 = performance.now();
    const s = standMeshHumanoid(r, 2);
    const standMs = performance.now() - t2;
    line('mesh humanoid: stand 2 s on PD', `${s.finite ? 'no NaN' : 'NaN!'}, ${r.stepCount} steps in ${standMs.toFixed(0)} ms (${((r.stepCount * r.physicsDt) / (standMs / 1000)).toFixed(1)}x real time)`);
    line('mesh humanoid: joint constraint error max', `pivot ${(s.maxPivotError * 1000).toFixed(2)} mm, axis ${(s.maxAxisError * 1000).toFixed(2)} mrad`);
    line('mesh humanoid: pelvis height', `start ${s.pelvisStart.toFixed(3)} m, end ${s.pelvisEnd.toFixed(3)} m, min ${s.pelvisMin.toFixed(3)} m`);
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchMeshHumanoid();
