/**
 * The hard-limit stress run of docs/mujoco.md ("Joint limits", "What is not done"): a shipped robot
 * (argv[2], default humanoid) at each physics rate of argv[3] (default 50,100,200,500 Hz) for
 * argv[4] s (default 3), every joint commanded ±AMP rad (default 1.5) at kp 300 / kd KD (default 5),
 * the sign switching every 0.5 s, seed 1. Prints per rate how MujocoLimitCoupling.scale() decided
 * (exact / shrunk / kept / none), the peak joint speed (rad/s), the worst distance past a limit (rad)
 * and the effort guard's retakes. Switches: ONEBYONE=1 (each stop scaled alone, as before the
 * coupling), FALLBACK=1 (the uniform shrink only), RETAKE=stiffen (a retaken step stiffens again).
 * A figure script (`npx tsx tests/bench/limitStress.ts humanoid 100,200,500`), not part of npm test.
 */
import { MujocoActuators } from '../../sim/mujoco/MujocoActuators.ts';
import { MujocoHardLimits } from '../../sim/mujoco/MujocoHardLimits.ts';
import { createMujocoShippedRobot } from '../../sim/mujoco/createMujocoRobot.ts';
import { MujocoLimitCoupling } from '../../sim/mujoco/MujocoLimitCoupling.ts';
export const stats = { retakes: 0, retakeNa: {} as Record<number, number>, markedOnActive: 0 };
const origRetake = MujocoHardLimits.prototype.retake;
MujocoHardLimits.prototype.retake = function (this: any, marked: Int8Array, solref: Float64Array) {
  stats.retakes++; stats.retakeNa[this.na] = (stats.retakeNa[this.na] ?? 0) + 1;
  for (let a = 0; a < this.na; a++) if (marked[this.joint[this.activeK[a]]] !== 0) stats.markedOnActive++;
  return origRetake.call(this, marked, solref);
};
if (process.env.RETAKE === 'stiffen') {
  (MujocoActuators.prototype as any).saturateOver = function (this: any, views: any) {
    for (let i = 0; i < this.n; i++) if (this.overSign[i] !== 0) this.tauOf[i] = this.overSign[i] * Infinity;
    this.writeLaws(views); this.writeGroups(views);
    stats.retakes++;
    this.limits?.stiffen(views, this.qadr, this.vadr, this.inertia);
  };
}
process.on('exit', () => console.log('retake stats', JSON.stringify(stats)));

const counts: Record<string, number> = {};
let naHist: Record<number, number> = {};
const orig = MujocoLimitCoupling.prototype.scale;
let tScale = 0;
MujocoLimitCoupling.prototype.scale = function (...args: any[]) {
  const t0 = performance.now();
  const r = process.env.ONEBYONE ? "none" : process.env.FALLBACK ? (args[7] = false, (orig as any).apply(this, args)) : (orig as any).apply(this, args);
  tScale += performance.now() - t0;
  counts[r] = (counts[r] ?? 0) + 1; naHist[args[3]] = (naHist[args[3]] ?? 0) + 1;
  if (process.env.SDUMP && r !== 'exact') { const s = args[6] as Float64Array; console.log(r, Array.from(s.slice(0, args[3])).map((x) => x.toExponential(2)).join(' ')); }
  return r;
};
const name = process.argv[2] ?? 'humanoid';
const hzs = (process.argv[3] ?? '50,100,200,500').split(',').map(Number);
const seconds = Number(process.argv[4] ?? 3);
for (const hz of hzs) {
  for (const k in counts) delete counts[k]; naHist = {}; tScale = 0;
  const dt = 1 / hz;
  const robot = await createMujocoShippedRobot(name, { physicsDt: dt, seed: 1 });
  const n = robot.spec.joints.length;
  let maxV = 0, worst = 0, nan = false;
  const t0 = performance.now();
  const steps = Math.round(seconds / dt);
  for (let s = 0; s < steps; s++) {
    if (s % Math.round(0.5 / dt) === 0) {
      const sign = (Math.floor(s / Math.round(0.5 / dt)) % 2) ? 1 : -1;
      robot.command({ mode: 'position', target: new Float64Array(n).fill(Number(process.env.AMP ?? 1.5) * sign), kp: new Float64Array(n).fill(300), kd: new Float64Array(n).fill(Number(process.env.KD ?? 5)) });
    }
    robot.step(dt);
    const o = robot.observe();
    for (let i = 0; i < n; i++) {
      const j = robot.spec.joints[i]; const q = o.jointPosition[i];
      if (!Number.isFinite(q)) nan = true;
      maxV = Math.max(maxV, Math.abs(o.jointVelocity[i]));
      { const pp = Math.max(j.lower - q, q - j.upper); if (process.env.TRACE && pp > 0.3) console.log('step', s, j.name, 'pen', pp.toFixed(3), 'v', o.jointVelocity[i].toFixed(1)); worst = Math.max(worst, pp); }
    }
  }
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ name, hz, steps, counts, naHist, maxV: +maxV.toFixed(2), worstPen: +worst.toFixed(4), nan, ms: Math.round(ms), scaleMs: Math.round(tScale) }));
  robot.dispose();
}
