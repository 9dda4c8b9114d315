/**
 * World-model benchmark: batched ONNX predict and MPPI / CEM planning latency on the shipped
 * pendulum-wm (one onnxruntime thread), K = 256 and 1024 samples at H = 20, and the share of a 50 Hz
 * tick (20 ms) each takes. Figures are for this machine at this moment (docs/timing.md).
 *
 *   npx tsx tests/bench/worldmodel.ts        (or from tests/bench/run.ts: await benchWorldModel())
 */
import { performance } from 'node:perf_hooks';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import { loadModelFolder } from '../../src/model/manifest.ts';
import { OnnxWorldModel } from '../../src/worldmodel/OnnxWorldModel.ts';
import { QuadraticCost } from '../../src/worldmodel/TrajectoryCost.ts';
import { CemPlanner, MppiPlanner, type SamplingPlanner } from '../../src/worldmodel/Planner.ts';
import { encodeRolloutFrame, rolloutFrameBytes } from '../../src/viewer/frames.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

async function time(n: number, warm: number, f: () => Promise<unknown>): Promise<Float64Array> {
  for (let i = 0; i < warm; i++) await f();
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    t[i] = (performance.now() - t0) / 1000;
  }
  return t;
}

export async function benchWorldModel(dir = 'models/pendulum-wm'): Promise<void> {
  const folder = loadModelFolder(dir);
  const wm = await OnnxWorldModel.load(folder, { maxBatch: 1024, threads: 1 });
  const period = 1 / folder.manifest.control_hz;
  const S = wm.stateSize, A = wm.actionSize;
  for (const B of [1, 256, 1024]) {
    const s = new Float32Array(B * S).fill(0.3), a = new Float32Array(B * A).fill(0.1);
    const p = percentilesUs(await time(500, 50, () => wm.predict(s, a, B)));
    line(`world-model predict (${folder.manifest.name}, B=${B})`, `p50 ${p.p50} µs, p99 ${p.p99} µs`);
  }
  const cost = QuadraticCost.fromSpec(folder.manifest.world_model!.cost!, wm.stateNames, wm.isAngle, A);
  const state = Float32Array.of(Math.PI, 0);
  const out = new Float32Array(A);
  for (const [name, make] of [
    ['MPPI', (K: number) => new MppiPlanner(wm, cost, { samples: K, horizon: 20 })],
    ['CEM x3', (K: number) => new CemPlanner(wm, cost, { samples: K, horizon: 20, iterations: 3 })],
  ] as const) {
    for (const K of [256, 1024]) {
      const planner: SamplingPlanner = make(K);
      const p = percentilesUs(await time(name === 'MPPI' ? 200 : 80, 10, () => planner.plan(state, out)));
      line(`plan ${name} K=${K} H=20`, `p50 ${(p.p50 / 1000).toFixed(2)} ms, p99 ${(p.p99 / 1000).toFixed(2)} ms = ${((p.p99 / 1e6 / period) * 100).toFixed(0)}% of a ${1 / period} Hz tick at p99`);
    }
  }
  await benchTrace(wm, cost, state, period);
  await wm.close();
}

/**
 * What drawing the planner's rollouts costs: MPPI K 256, H 20 with and without a 64-row
 * RolloutTrace (rounds interleaved, so compare the two within this run), and the encode of one
 * rollout frame (off the tick, on the same thread, at most 10 per second).
 */
async function benchTrace(wm: OnnxWorldModel, cost: QuadraticCost, state: Float32Array, period: number): Promise<void> {
  const out = new Float32Array(wm.actionSize);
  const plain = new MppiPlanner(wm, cost, { samples: 256, horizon: 20 });
  const traced = new MppiPlanner(wm, cost, { samples: 256, horizon: 20 });
  const trace = traced.enableTrace(64);
  const t = { plain: [] as number[], traced: [] as number[] };
  for (let round = 0; round < 5; round++) {
    t.plain.push(...(await time(60, 5, () => plain.plan(state, out))));
    t.traced.push(...(await time(60, 5, () => traced.plan(state, out))));
  }
  const a = percentilesUs(Float64Array.from(t.plain)), b = percentilesUs(Float64Array.from(t.traced));
  line('plan MPPI K=256 H=20, no trace', `p50 ${(a.p50 / 1000).toFixed(3)} ms, p99 ${(a.p99 / 1000).toFixed(3)} ms`);
  line('plan MPPI K=256 H=20, 64-row trace', `p50 ${(b.p50 / 1000).toFixed(3)} ms, p99 ${(b.p99 / 1000).toFixed(3)} ms (p50 ratio ${(b.p50 / a.p50).toFixed(3)})`);
  const buf = new Uint8Array(rolloutFrameBytes(trace.rows, trace.steps, trace.stateSize));
  const view = new DataView(buf.buffer);
  const e = percentilesUs(
    await time(500, 50, async () =>
      encodeRolloutFrame(view, 1, trace.seq, trace.rows, trace.steps, trace.stateSize, trace.chosen, trace.scores, trace.states, trace.capacity),
    ),
  );
  line(`rollout frame encode (${buf.byteLength} B)`, `p50 ${e.p50} µs, p99 ${e.p99} µs, off the tick (${((e.p99 / 1e6 / period) * 100).toFixed(2)}% of a tick at p99)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchWorldModel();
