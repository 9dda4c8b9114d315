/**
 * Bring-your-own-model and distributed eval figures (issues 9 and 12):
 * - async inference: a 500 Hz wall-clock loop with no policy work vs a policy that takes 30 ms per
 *   call in a worker thread (the loop must not notice), with the action age it reports;
 * - episodes/s for local --workers 1 and 2, and for the Redis queue with 1 and 2 worker processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ControlLoop } from '../../src/loop/ControlLoop.ts';
import { WallClock } from '../../src/clock/WallClock.ts';
import { ObservationBuilder } from '../../src/model/ObservationBuilder.ts';
import { ActionMapper } from '../../src/model/ActionMapper.ts';
import { SafetySupervisor } from '../../src/safety/SafetySupervisor.ts';
import { PassThroughHook } from '../../src/worldmodel/types.ts';
import { loadModelFolder, validateManifest, observationSize, actionSize } from '../../src/model/manifest.ts';
import { AsyncPolicy } from '../../src/policy/AsyncPolicy.ts';
import { ZeroPolicy, type Policy } from '../../src/policy/Policy.ts';
import { runPool } from '../../src/eval/pool.ts';
import { sessions } from '../../sim/session/index.ts';
import { runQueueEval } from '../../src/eval/queue.ts';
import type { EvalSpec } from '../../src/eval/types.ts';
import { PointMassRobot, joint, manifest, spec } from '../helpers/fakes.ts';
import { linearPolicy } from '../helpers/onnxFixtures.ts';
import { hasRedis, startRedis } from '../helpers/redis.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

async function loopAt500(policy: Policy, m: ReturnType<typeof validateManifest>, ticks: number) {
  const robotSpec = spec([joint('a', { lower: -10, upper: 10, velocityLimit: 100 }), joint('b', { lower: -10, upper: 10, velocityLimit: 100 })]);
  const robot = new PointMassRobot(robotSpec, 0.002);
  robot.commands.push = () => 0;
  const loop = new ControlLoop({ robot, clock: new WallClock(1 / 500), builder: new ObservationBuilder(m, robot.spec), policy, worldModel: new PassThroughHook(), mapper: new ActionMapper(m, robot.spec), safety: new SafetySupervisor(robot.spec, 1 / 500, { staleAfterS: 10 }), maxTicks: ticks });
  let maxAge = 0;
  loop.records$.subscribe((r) => {
    robot.step(1 / 500);
    if (r.actionAge > maxAge) maxAge = r.actionAge;
  });
  const r = await loop.run();
  return { p: r.stats.periodErrorUs(), overruns: r.stats.overruns, rate: r.stats.rateHz(), maxAge };
}

export async function benchAsync(): Promise<void> {
  const m = validateManifest(manifest({ control_hz: 500, action: { type: 'joint_position', scale: 1 } }));
  const ticks = 1500;
  const none = await loopAt500(new ZeroPolicy(m, observationSize(m), actionSize(m)), m, ticks);
  const dir = linearPolicy(m, 4, 2, new Float32Array(8), Float32Array.from([0.5, 0.5]));
  const slow = await AsyncPolicy.load(loadModelFolder(dir), { stallS: 1, delayMs: 30 });
  const withSlow = await loopAt500(slow, m, ticks);
  await slow.close();
  line('500 Hz loop, no policy work', `${none.rate.toFixed(1)} Hz, period error p50 ${none.p.p50} µs p99 ${none.p.p99} µs, overruns ${none.overruns}`);
  line('500 Hz loop, 30 ms policy in a worker', `${withSlow.rate.toFixed(1)} Hz, period error p50 ${withSlow.p.p50} µs p99 ${withSlow.p.p99} µs, overruns ${withSlow.overruns}, action age max ${withSlow.maxAge} ticks`);
}

// 300 by default; AXON_BENCH_EPISODES=1000 shows the scaling once worker start-up (~1.8 s) is amortised.
const EPISODES = Number(process.env.AXON_BENCH_EPISODES ?? 300);
const evalSpec: EvalSpec = { session: { robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 }, randomize: true, seed: 1, episodes: EPISODES };

export async function benchEval(): Promise<void> {
  for (const workers of [1, 2]) {
    const t0 = performance.now();
    await runPool(evalSpec, workers, () => {}, sessions);
    const s = (performance.now() - t0) / 1000;
    line(`eval --workers ${workers} (${EPISODES} cartpole episodes of 10 s)`, `${(EPISODES / s).toFixed(2)} episodes/s`);
  }
  if (!hasRedis) {
    line('eval --queue', 'skipped: redis-server is not installed');
    return;
  }
  const redis = await startRedis();
  try {
    for (const n of [1, 2]) {
      const workers: ChildProcess[] = Array.from({ length: n }, () => spawn(process.execPath, ['bin/axon.js', 'worker', '--queue', redis.url], { stdio: 'ignore' }));
      await new Promise((r) => setTimeout(r, 3000)); // let the workers start (tsx + onnxruntime)
      const t0 = performance.now();
      const r = await runQueueEval(redis.url, evalSpec);
      const s = (performance.now() - t0) / 1000;
      line(`eval --queue, ${n} worker process${n > 1 ? 'es' : ''}`, `${(EPISODES / s).toFixed(2)} episodes/s (per worker: ${Object.values(r.perWorker).join(', ')})`);
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((res) => w.once('exit', res))));
    }
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchAsync();
  await benchEval();
}
