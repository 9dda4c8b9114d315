/**
 * Physics engines side by side (issue 20): physics steps per second of cannon-es and MuJoCo (the
 * official WebAssembly build) on the same robots, set up the same way, and their ratio, in one
 * run: the cartpole (2 joints, fixed base; 500 Hz, effort held), the shipped humanoid (16 joints,
 * floating, foot contacts; 500 Hz, default pose held on PD) and the 29-DoF vendor fixture
 * (tests/helpers/vendorHumanoid.ts as `axon sim --urdf FILE --armature 0.01` sets it up; 200 Hz).
 * Stepped a 50 Hz control period at a time with an observe() after each, as the loop does; each
 * figure is the best of 3 rounds of 5 simulated seconds (this host is shared). Also MuJoCo's
 * module load time (paid once, only by `--physics mujoco`).
 * Run alone with `npx tsx tests/bench/engines.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createSimRobot } from '../../sim/index.ts';
import type { SimulatedRobot } from '../../src/core/robot.ts';
import { urdfRobot, urdfSetup } from '../../src/cli/urdfSession.ts';
import { writeVendorHumanoid } from '../helpers/vendorHumanoid.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);
const CONTROL_DT = 0.02; // s

/** Physics steps per second holding one command (best of `rounds` rounds of `seconds`). */
function stepsPerSecond(r: SimulatedRobot, mode: 'position' | 'effort', seconds = 5, rounds = 3): { rate: number; finite: boolean } {
  let best = 0;
  let finite = true;
  for (let k = 0; k < rounds; k++) {
    r.reset(1);
    r.command({ mode, target: Float64Array.from(r.spec.joints, (j) => (mode === 'position' ? j.defaultPosition : 0)) });
    const t0 = performance.now();
    for (let t = 0; t < Math.round(seconds / CONTROL_DT); t++) {
      r.step(CONTROL_DT);
      const o = r.observe();
      if (!Number.isFinite(o.jointPosition[0])) finite = false;
    }
    const wall = (performance.now() - t0) / 1000;
    best = Math.max(best, seconds / r.physicsDt / wall);
  }
  return { rate: best, finite };
}

export async function benchEngines(): Promise<void> {
  const t0 = performance.now();
  const { loadMujocoModule } = await import('../../sim/mujoco/loadMujoco.ts');
  await loadMujocoModule();
  line('MuJoCo module load (@mujoco/mujoco wasm)', `${Math.round(performance.now() - t0)} ms, once per process`);
  const mj = await import('../../sim/mujoco/createMujocoRobot.ts');
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-engines-'));
  try {
    const vendor = writeVendorHumanoid(dir);
    const flags = { file: vendor.urdf, packagePaths: [], strict: false, armature: 0.01 };
    const cases: { name: string; hz: number; mode: 'position' | 'effort'; cannon: () => SimulatedRobot; mujoco: () => Promise<SimulatedRobot & { dispose(): void }> }[] = [
      { name: 'cartpole', hz: 500, mode: 'effort', cannon: () => createSimRobot('cartpole', { physicsDt: 1 / 500 }), mujoco: () => mj.createMujocoShippedRobot('cartpole', { physicsDt: 1 / 500 }) },
      { name: 'humanoid (16 DoF)', hz: 500, mode: 'position', cannon: () => createSimRobot('humanoid', { physicsDt: 1 / 500 }), mujoco: () => mj.createMujocoShippedRobot('humanoid', { physicsDt: 1 / 500 }) },
      {
        name: 'vendor humanoid (29 DoF, meshes)',
        hz: 200,
        mode: 'position',
        cannon: () => urdfRobot(urdfSetup(flags, undefined, 1 / 200, '(none)')),
        mujoco: () => {
          const s = urdfSetup(flags, undefined, 1 / 200, '(none)');
          return mj.createMujocoUrdfRobot(vendor.urdf, s.model, s.options);
        },
      },
    ];
    for (const c of cases) {
      const a = stepsPerSecond(c.cannon(), c.mode);
      const robot = await c.mujoco();
      const b = stepsPerSecond(robot, c.mode);
      robot.dispose();
      const fmt = (x: { rate: number; finite: boolean }) => `${Math.round(x.rate)} steps/s (${(x.rate / c.hz).toFixed(1)}x real time)${x.finite ? '' : ' NaN!'}`;
      line(`engines ${c.name}, ${c.hz} Hz`, `cannon-es ${fmt(a)} | MuJoCo ${fmt(b)} | MuJoCo/cannon ${(b.rate / a.rate).toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchEngines();
