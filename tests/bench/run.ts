/**
 * axon benchmarks (`npm run bench`). Figures are for this machine at this moment: compare them
 * as ratios within one run, never as absolute thresholds (TIMING.md).
 *
 * 1. loop overhead: the full pipeline with a trivial robot and policy, per tick
 * 2. ONNX policy latency: onnxruntime-node on the shipped cartpole model, one sample
 * 3. sim step rate: cannon-es cartpole physics substeps per second
 * 4. wall clock pacing at 500 Hz: timer only vs timer + spin, with the CPU each burns
 */
import { performance } from 'node:perf_hooks';
import { Subject } from 'rxjs';
import { ControlLoop } from '../../src/loop/ControlLoop.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import { WallClock } from '../../src/clock/WallClock.ts';
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
import { benchBridge } from './bridge.ts';
import { recordingBench } from './recording.ts';
import { benchWorldModel } from './worldmodel.ts';
import { benchAsync, benchEval } from './eval.ts';
import { benchMeshHumanoid } from './meshHumanoid.ts';
import { benchVendorHumanoid } from './vendorHumanoid.ts';

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
  const folder = loadModelFolder('models/cartpole-balance');
  const policy = await OnnxPolicy.load(folder);
  const input = new Float32Array(policy.inputSize).fill(0.1);
  const n = 3000;
  const times = new Float64Array(n);
  for (let i = 0; i < 300; i++) await policy.act(input);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await policy.act(input);
    times[i] = (performance.now() - t0) / 1000;
  }
  const p = percentilesUs(times);
  line('ONNX policy latency (cartpole, 1 sample)', `p50 ${p.p50} µs, p99 ${p.p99} µs, max ${p.max} µs over ${n} calls`);
  await policy.close();
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

async function pacing(label: string, spinMargin: number): Promise<void> {
  const n = 1500;
  const lateness = new Float64Array(n);
  const clock = new WallClock(0.002, { spinMargin });
  const done$ = new Subject<void>();
  let i = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const sub = clock.ticks(done$).subscribe((t) => {
      lateness[i++] = Math.abs(t.lateness);
      done$.next();
      if (i >= n) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const p = percentilesUs(lateness);
  line(`500 Hz pacing, ${label}`, `period error p50 ${p.p50} µs, p99 ${p.p99} µs, max ${p.max} µs, CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of a core, overruns ${clock.overruns}`);
}

console.log(`axon bench — node ${process.version}, ${new Date().toISOString()}`);
await loopOverhead();
await onnxLatency();
simRate();
await benchMeshHumanoid();
await benchVendorHumanoid();
await pacing('timer only', 0);
await pacing('timer + 1.1 ms spin', 0.0011);
await pacing('spin whole period', 0.01);
await benchAsync();
await benchEval();
await benchWorldModel();
await benchBus();
await benchBridge();
await recordingBench({ rounds: 3 });
