import { describe, expect, it } from 'vitest';
import { ControlLoop } from '../../../src/loop/ControlLoop.ts';
import { SimClock } from '../../../src/clock/SimClock.ts';
import { ObservationBuilder } from '../../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../../src/worldmodel/types.ts';
import { loadModelFolder, observationSize, validateManifest, type ModelManifest } from '../../../src/model/manifest.ts';
import { ActionChunker } from '../../../src/policy/ActionChunker.ts';
import { loadPolicy } from '../../../src/policy/loadPolicy.ts';
import { OnnxPolicy } from '../../../src/policy/OnnxPolicy.ts';
import { PointMassRobot, joint, spec } from '../../helpers/fakes.ts';
import { countingChunkPolicy, gruPolicy, linearPolicy } from '../../helpers/onnxFixtures.ts';
import { Rng } from '../../../src/core/rng.ts';

// An Isaac Lab style quadruped: the robot lists joints leg by leg, the policy type by type.
const legs = ['FL', 'FR', 'RL', 'RR'];
const parts = ['hip', 'thigh', 'calf'];
const robotOrder = legs.flatMap((l) => parts.map((p) => `${l}_${p}_joint`));
const modelOrder = parts.flatMap((p) => legs.map((l) => `${l}_${p}_joint`));
const defaults: Record<string, number> = { hip: 0.1, thigh: 0.8, calf: -1.5 };
const defaultOf = (name: string) => defaults[name.split('_')[1]] * (name.startsWith('R') ? 1.1 : 1);
const robotSpec = spec(robotOrder.map((n) => joint(n, { lower: -3, upper: 3, velocityLimit: 30, effortLimit: 40, defaultPosition: defaultOf(n), kp: 25, kd: 0.5 })), true);

async function runLoop(m: ModelManifest, dir: string, ticks: number, prepare?: (robot: PointMassRobot) => void) {
  const robot = new PointMassRobot(robotSpec, 0.005);
  robot.reset();
  prepare?.(robot);
  const folder = loadModelFolder(dir);
  const policy = await loadPolicy(folder);
  const loop = new ControlLoop({
    robot,
    clock: new SimClock(1 / m.control_hz, (dt) => robot.step(dt)),
    builder: new ObservationBuilder(folder.manifest, robot.spec),
    policy,
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(folder.manifest, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / m.control_hz),
    maxTicks: ticks,
  });
  const rec = { q: [] as number[][], v: [] as number[][], input: [] as number[][], action: [] as number[][], target: [] as number[][] };
  loop.records$.subscribe((r) => {
    rec.q.push(Array.from(r.observation.jointPosition));
    rec.v.push(Array.from(r.observation.jointVelocity));
    rec.input.push(Array.from(r.input));
    rec.action.push(Array.from(r.action));
    rec.target.push(Array.from(r.proposed.target));
  });
  await loop.run();
  await policy.close();
  return rec;
}

describe('bring your own model', () => {
  it('an Isaac Lab style 12-DoF policy with shuffled joint order and history 3: every input element and every joint target as computed by hand', async () => {
    const m = validateManifest({
      schema: 'axon.model/1',
      name: 'quadruped',
      kind: 'policy',
      robot: 'fake',
      joints: modelOrder,
      control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'actions' },
      observation: {
        terms: [
          { term: 'base_ang_vel', scale: 0.25, history: 3 },
          { term: 'projected_gravity', history: 3 },
          { term: 'joint_pos_rel', history: 3 },
          { term: 'joint_vel', scale: 0.05, history: 3 },
          { term: 'last_action', history: 3 },
        ],
      },
      action: { type: 'joint_position', scale: 0.25 },
    });
    const inDim = observationSize(m);
    expect(inDim).toBe(3 * (3 + 3 + 12 + 12 + 12));
    // action k = 0.01·(k+1) · (joint_pos_rel of model joint k, newest) + 0.02·k
    const w = new Float32Array(12 * inDim);
    const b = Float32Array.from({ length: 12 }, (_, k) => 0.02 * k);
    const posNewest = 3 * 3 + 3 * 3 + 2 * 12; // offset of the newest joint_pos_rel entry
    for (let k = 0; k < 12; k++) w[k * inDim + posNewest + k] = 0.01 * (k + 1);
    const dir = linearPolicy(m, inDim, 12, w, b);
    const s = Math.sin(0.1), c = Math.cos(0.1);
    const rec = await runLoop(m, dir, 5, (robot) => {
      robot.obs.imu!.orientation.set([s, 0, 0, c]); // rolled 0.2 rad about x
      robot.obs.imu!.angularVelocity.set([0.4, -0.8, 1.2]);
      robotOrder.forEach((n, i) => (robot.q[i] = defaultOf(n) + 0.01 * i));
    });
    const g = [0, -Math.sin(0.2), -Math.cos(0.2)]; // (0,0,-1) seen from a base rolled +0.2 rad
    const frame = (t: number) => {
      const tt = Math.max(0, t);
      const pos = modelOrder.map((n) => rec.q[tt][robotOrder.indexOf(n)] - defaultOf(n));
      const vel = modelOrder.map((n) => rec.v[tt][robotOrder.indexOf(n)] * 0.05);
      const last = t <= 0 ? new Array(12).fill(0) : rec.action[t - 1];
      return { ang: [0.1, -0.2, 0.3], g, pos, vel, last };
    };
    for (let t = 0; t < 5; t++) {
      const hist = [t - 2, t - 1, t].map((k) => frame(k)); // oldest first; primed with the first frame
      const lastHist = [t - 2, t - 1, t].map((k) => (k <= 0 ? new Array(12).fill(0) : rec.action[k - 1]));
      const expected = [...hist.flatMap((f) => f.ang), ...hist.flatMap((f) => f.g), ...hist.flatMap((f) => f.pos), ...hist.flatMap((f) => f.vel), ...lastHist.flat()];
      expect(rec.input[t]).toHaveLength(expected.length);
      rec.input[t].forEach((x, i) => expect(x, `tick ${t} input ${i}`).toBeCloseTo(expected[i], 5));
      // targets in robot order: default + 0.25 · action of the same joint name
      robotOrder.forEach((n, r) => {
        const k = modelOrder.indexOf(n);
        const a = 0.01 * (k + 1) * frame(t).pos[k] + 0.02 * k;
        expect(rec.action[t][k]).toBeCloseTo(a, 5);
        expect(rec.target[t][r]).toBeCloseTo(defaultOf(n) + 0.25 * a, 5);
      });
    }
  });

  it('a GRU policy carries its hidden state between ticks and starts from zeros after reset', async () => {
    const H = 4, inDim = 2, out = 1;
    const rng = new Rng(3);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-0.8, 0.8));
    const wts = { w: rand(3 * H * inDim), r: rand(3 * H * H), b: rand(6 * H), wo: rand(out * H) };
    const m = validateManifest({
      schema: 'axon.model/1', name: 'gru', kind: 'policy', robot: 'fake', joints: ['a', 'b'], control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', joints: ['a'] },
      recurrent: [{ input: 'h_in', output: 'h_out', shape: [1, 1, H] }],
    });
    const dir = gruPolicy(m, inDim, H, out, wts);
    const policy = await OnnxPolicy.load(loadModelFolder(dir));
    // Reference GRU (ONNX semantics, linear_before_reset = 0), in float64.
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    let h = new Array(H).fill(0);
    const step = (x: number[]) => {
      const gate = (gi: number, j: number, hv: number[]) => {
        let s = wts.b[gi * H + j] + wts.b[3 * H + gi * H + j];
        for (let i = 0; i < inDim; i++) s += wts.w[(gi * H + j) * inDim + i] * x[i];
        for (let i = 0; i < H; i++) s += wts.r[(gi * H + j) * H + i] * hv[i];
        return s;
      };
      const z = h.map((_, j) => sig(gate(0, j, h)));
      const r = h.map((_, j) => sig(gate(1, j, h)));
      const rh = h.map((v, i) => r[i] * v);
      const ht = h.map((_, j) => Math.tanh(gate(2, j, rh)));
      h = h.map((v, j) => (1 - z[j]) * ht[j] + z[j] * v);
      return h.reduce((s, v, i) => s + wts.wo[i] * v, 0);
    };
    const inputs = [[0.5, -0.2], [0.1, 0.9], [-0.7, 0.3], [0.2, 0.2]];
    for (const x of inputs) expect((await policy.act(Float32Array.from(x)))[0]).toBeCloseTo(step(x), 5);
    policy.reset();
    h = new Array(H).fill(0);
    expect((await policy.act(Float32Array.from(inputs[2])))[0]).toBeCloseTo(step(inputs[2]), 5);
    await policy.close();
  });

  const chunkManifest = (chunk: ModelManifest['action']['chunk']) =>
    validateManifest({
      schema: 'axon.model/1', name: 'chunked', kind: 'policy', robot: 'fake', joints: robotOrder.slice(0, 2), control_hz: 50,
      onnx: { file: 'model.onnx', input: 'obs', output: 'action' },
      observation: { terms: [{ term: 'joint_pos' }] },
      action: { type: 'joint_effort', chunk },
    });

  it('a chunk of 10 is queued: the model runs every `execute` ticks and the actions step through the chunk', async () => {
    const m = chunkManifest({ length: 10, execute: 4 });
    const dir = countingChunkPolicy(m, 2, 10, 2);
    const rec = await runLoop(m, dir, 9);
    for (let t = 0; t < 9; t++) {
      const query = t - (t % 4); // the model ran at ticks 0, 4, 8
      const q0 = rec.q[query][0];
      expect(rec.action[t][0]).toBeCloseTo(q0 + (t - query), 5);
      expect(rec.action[t][1]).toBeCloseTo(q0 + (t - query) + 10, 5);
    }
  });

  it('temporal ensembling averages every chunk covering the tick with weights exp(-m·i), oldest first', async () => {
    const decay = 0.5;
    const m = chunkManifest({ length: 10, ensemble_decay: decay });
    const dir = countingChunkPolicy(m, 2, 10, 2);
    const rec = await runLoop(m, dir, 6);
    for (let t = 0; t < 6; t++) {
      let num = 0, den = 0;
      for (let born = 0; born <= t; born++) {
        const wgt = Math.exp(-decay * born); // born 0 is the oldest chunk still covering t (t < 10)
        num += wgt * (rec.q[born][0] + (t - born));
        den += wgt;
      }
      expect(rec.action[t][0]).toBeCloseTo(num / den, 4);
    }
  });

  it('a queued chunk warms the model only before the ticks that will call it', () => {
    const m = chunkManifest({ length: 10, execute: 4 });
    const inner = { manifest: m, inputSize: 2, outputSize: 20, calls: 0, warms: 0, out: new Float32Array(20),
      reset() {}, act() { this.calls++; return this.out; }, prewarm() { this.warms++; }, async close() {} };
    const chunker = new ActionChunker(inner);
    chunker.reset();
    const warmedBefore: boolean[] = [];
    for (let t = 0; t < 9; t++) {
      const w = inner.warms;
      chunker.prewarm();
      warmedBefore.push(inner.warms > w);
      chunker.act(new Float32Array(2));
    }
    // The model runs at ticks 0, 4, 8: warmed before those and no other.
    expect(warmedBefore).toEqual([true, false, false, false, true, false, false, false, true]);
    expect(inner.calls).toBe(3);
  });
});
