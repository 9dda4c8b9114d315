/**
 * axon benchmarks (`npm run bench`). Figures are for this machine at this moment: compare them
 * as ratios within one run, never as absolute thresholds (docs/timing.md).
 *
 * 1. loop overhead: the full pipeline with a trivial robot and policy, per tick
 * 2. ONNX policy latency: onnxruntime-node on the shipped models, one sample, synchronous native
 *    call vs the public async run(), hot (back to back) and after a 20 ms gap (as a 50 Hz loop calls it);
 *    a call's cost against the time since the previous call, asleep or spinning (tests/bench/coldCall.ts);
 *    then the policy stage of `sim --realtime` with the warm-up before each tick on and off
 *    (tests/bench/policyStage.ts), with their ratio
 * 3. sim step rate: cannon-es cartpole physics substeps per second
 * 4. pacing at 500 Hz (tests/bench/clock.ts): C clock_nanosleep, spin, setTimeout, axon's clocks,
 *    with the CPU each burns and the ratios to C (medians of interleaved rounds); then the humanoid's
 *    `sim --realtime` loop with --sleep timer and block against C at 50 Hz (tests/bench/simLoop.ts),
 *    and `axon run`'s loop on the emulated arm with --clock timer, block and worker (tests/bench/liveLoop.ts)
 * 5. LeRobotDataset (tests/bench/dataset.ts): export rate, and the loop's period error with --dataset on and off
 */
import { performance } from 'node:perf_hooks';
import { ControlLoop } from '../../src/loop/ControlLoop.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../src/worldmodel/types.ts';
import { ZeroPolicy } from '../../src/policy/Policy.ts';
import { OnnxPolicy } from '../../src/policy/OnnxPolicy.ts';
import { loadModelFolder, validateManifest, observationSize, actionSize } from '../../src/model/manifest.ts';
import { createSimRobot } from '../../sim/index.ts';
import { PointMassRobot, joint, manifest, spec } from '../helpers/fakes.ts';
import { benchBus } from './bus.ts';
import { benchFeetechBus } from './feetechBus.ts';
import { benchClocks } from './clock.ts';
import { benchSimLoop } from './simLoop.ts';
import { benchLiveLoop } from './liveLoop.ts';
import { benchBridgeLoop } from './bridgeLoop.ts';
import { benchBridge } from './bridge.ts';
import { recordingBench } from './recording.ts';
import { benchDataset } from './dataset.ts';
import { benchWorldModel } from './worldmodel.ts';
import { benchAsync, benchEval } from './eval.ts';
import { benchMeshHumanoid } from './meshHumanoid.ts';
import { benchVendorHumanoid } from './vendorHumanoid.ts';
import { benchEngines } from './engines.ts';
import { benchPolicyStage } from './policyStage.ts';
import { benchColdCall } from './coldCall.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

async function loopOverhead(): Promise<void> {
  const robot = new PointMassRobot(spec([joint('a'), joint('b')]), 0.02);
  const m = validateManifest(manifest());
  const ticks = 20_000;
  const loop = new ControlLoop({
    robot,
    clock: new SimClock(1 / 50, () => {}),
    builder: new ObservationBuilder(m, robot.spec),
    policy: new ZeroPolicy(m, observationSize(m), actionSize(m)),
    worldModel: new PassThroughHook(),
    mapper: new ActionMapper(m, robot.spec),
    safety: new SafetySupervisor(robot.spec, 1 / 50),
    maxTicks: ticks,
  });
  robot.commands.push = () => 0; // the fake keeps commands for tests; not here
  const t0 = performance.now();
  await loop.run();
  const us = ((performance.now() - t0) * 1000) / ticks;
  line('loop overhead per tick (no-op robot+policy)', `${us.toFixed(2)} µs mean over ${ticks} ticks (${Math.round(1e6 / us)} ticks/s)`);
  const s = loop.stats.stageUs();
  line('  stage p50/p99 µs', Object.entries(s).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', '));
}

async function onnxLatency(): Promise<void> {
  for (const dir of ['models/cartpole-balance', 'models/humanoid-balance']) {
    const folder = loadModelFolder(dir);
    for (const mode of ['sync', 'async'] as const) {
      const policy = await OnnxPolicy.load(folder, { mode });
      const input = new Float32Array(policy.inputSize).fill(0.1);
      for (let i = 0; i < 300; i++) await policy.act(input);
      const hot = new Float64Array(3000);
      for (let i = 0; i < hot.length; i++) {
        const t0 = performance.now();
        await policy.act(input);
        hot[i] = (performance.now() - t0) / 1000;
      }
      // As a 50 Hz loop calls it: 20 ms of other work in between (caches go cold on a shared host).
      const gap = new Float64Array(150);
      for (let i = 0; i < gap.length; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const t0 = performance.now();
        await policy.act(input);
        gap[i] = (performance.now() - t0) / 1000;
      }
      const h = percentilesUs(hot);
      const g = percentilesUs(gap);
      line(`ONNX policy ${dir.split('/')[1]}, ${mode}`, `hot p50 ${h.p50} µs, p99 ${h.p99} µs | after 20 ms p50 ${g.p50} µs, p99 ${g.p99} µs${policy.note ? ` (${policy.note})` : ''}`);
      await policy.close();
    }
  }
}

function simRate(): void {
  const robot = createSimRobot('cartpole');
  robot.reset(1);
  const seconds = 20;
  const t0 = performance.now();
  robot.step(seconds);
  const wall = (performance.now() - t0) / 1000;
  const steps = seconds / robot.physicsDt;
  line('sim step rate (cartpole, cannon-es)', `${Math.round(steps / wall)} substeps/s at dt ${robot.physicsDt * 1000} ms = ${(seconds / wall).toFixed(1)}x real time`);
}

console.log(`axon bench — node ${process.version}, ${new Date().toISOString()}`);
await loopOverhead();
await onnxLatency();
await benchColdCall();
await benchPolicyStage();
simRate();
await benchMeshHumanoid();
await benchVendorHumanoid();
await benchEngines();
await benchClocks();
await benchSimLoop(10, 3);
await benchLiveLoop(10, 3);
await benchBridgeLoop(10, 3);
await benchAsync();
await benchEval();
await benchWorldModel();
await benchDataset();
await benchBus();
await benchFeetechBus();
await benchBridge();
await recordingBench({ rounds: 3 });
