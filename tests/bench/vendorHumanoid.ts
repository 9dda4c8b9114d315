/**
 * Vendor humanoid (issue 16): the 29-DoF G1-like humanoid of tests/helpers/vendorHumanoid.ts set up
 * as `axon sim --urdf FILE --armature 0.01` sets it up with no policy (look first: implicit PD on
 * the stated default gains, spawned on the ground, IMU at imu_in_pelvis). Reports the load time
 * (URDF parse + STL meshes + hulls + bodies, mesh cache cleared, median of a few) and the
 * real-time factor (simulated s per wall s) of holding the default pose for 5 s at 200 and 500 Hz
 * physics, with a NaN check and the pelvis height at the end.
 * Run alone with `npx tsx tests/bench/vendorHumanoid.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { clearMeshCache } from '../../sim/index.ts';
import type { SimRobot } from '../../sim/index.ts';
import { urdfRobot, urdfSetup, type UrdfRobotFlags } from '../../src/cli/urdfSession.ts';
import { writeVendorHumanoid } from '../helpers/vendorHumanoid.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

const ARMATURE = 0.01; // kg·m², every joint
const CONTROL_DT = 0.02; // s: the deploy's 50 Hz policy step

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Cold load (mesh cache cleared) as `axon sim --urdf` does it: parse, set up, build. */
function load(flags: UrdfRobotFlags, physicsHz: number): SimRobot {
  clearMeshCache();
  return urdfRobot(urdfSetup(flags, undefined, 1 / physicsHz, '(none)'));
}

export interface VendorHold {
  readonly wallS: number;
  readonly steps: number;
  readonly finite: boolean;
  readonly pelvisStart: number; // m
  readonly pelvisEnd: number; // m
}

/** Holds the default pose on PD for `seconds` (one command, stepped a control period at a time). */
export function holdVendorHumanoid(r: SimRobot, seconds: number): VendorHold {
  r.command({ mode: 'position', target: Float64Array.from(r.spec.joints, (j) => j.defaultPosition) });
  const pelvisStart = r.observe().base!.position[2];
  const steps0 = r.stepCount;
  let finite = true;
  const t0 = performance.now();
  for (let k = 0; k < Math.round(seconds / CONTROL_DT); k++) {
    r.step(CONTROL_DT);
    const o = r.observe();
    for (let i = 0; i < o.jointPosition.length; i++) if (!Number.isFinite(o.jointPosition[i]) || !Number.isFinite(o.jointVelocity[i])) finite = false;
  }
  const wallS = (performance.now() - t0) / 1000;
  return { wallS, steps: r.stepCount - steps0, finite, pelvisStart, pelvisEnd: r.observe().base!.position[2] };
}

export async function benchVendorHumanoid(o: { loads?: number; seconds?: number } = {}): Promise<void> {
  const loads = o.loads ?? 5;
  const seconds = o.seconds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-vendor-'));
  try {
    const h = writeVendorHumanoid(dir);
    const flags: UrdfRobotFlags = { file: h.urdf, packagePaths: [], strict: false, armature: ARMATURE, pd: 'implicit' };
    const ms: number[] = [];
    let r: SimRobot | undefined;
    for (let k = 0; k < loads; k++) {
      const t0 = performance.now();
      r = load(flags, 500);
      ms.push(performance.now() - t0);
    }
    line('vendor humanoid: cold load (parse+STL+bodies)', `${median(ms).toFixed(0)} ms median of ${loads} (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}), ${r!.spec.joints.length} joints, ${r!.bodyLinkNames().length} bodies, ${h.meshFiles.length} STL files, ${h.mass.toFixed(1)} kg`);
    for (const hz of [200, 500]) {
      const robot = load(flags, hz);
      const s = holdVendorHumanoid(robot, seconds);
      const rtf = (s.steps * robot.physicsDt) / s.wallS;
      line(`vendor humanoid: hold ${seconds} s, PD implicit, ${hz} Hz`, `${rtf.toFixed(1)}x real time (${s.steps} steps in ${(s.wallS * 1000).toFixed(0)} ms, ${((s.wallS * 1e6) / s.steps).toFixed(0)} µs/step), ${s.finite ? 'no NaN' : 'NaN!'}, pelvis ${s.pelvisStart.toFixed(3)} -> ${s.pelvisEnd.toFixed(3)} m`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchVendorHumanoid();
