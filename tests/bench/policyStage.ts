/**
 * The policy stage of `axon sim --realtime` (issue: "policy stage p99 <= 100 µs"), for the shipped
 * models, with the policy warm-up before each tick (Policy.prewarm) on and off, and the model on a
 * guarded worker thread (`run --guard-onnx`; the pre-tick warm-up is not run through it), alternating in one run so that all see
 * the same host. Run alone: `npx tsx tests/bench/policyStage.ts [seconds] [rounds]`.
 */
import { openSimSession } from '../../sim/session/index.ts';
import { SimClock } from '../../src/clock/SimClock.ts';
import type { Clock } from '../../src/clock/types.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

interface Figures {
  policy: { p50: number; p99: number };
  period: { p50: number; p99: number };
  warm?: { runs: number; skips: number };
}

async function once(robot: string, policy: string, physicsHz: number, seconds: number, prewarm: boolean, sleep: 'block' | 'timer', guardOnnx = false): Promise<Figures> {
  const session = await openSimSession({ robot, policy, physicsHz, prewarm, guardOnnx });
  try {
    let clock: Clock | undefined;
    const r = await session.runEpisode({ seed: 1, randomize: false, durationS: seconds, realtime: true, sleep, continueAfterTerminate: true }, (loop) => {
      clock = loop.clock;
    });
    const s = r.loop.stats;
    const sl = clock instanceof SimClock ? clock.sleeper : undefined;
    return { policy: s.stageUs().policy, period: s.periodErrorUs(), ...(sl ? { warm: { runs: sl.warmRuns, skips: sl.warmSkips } } : {}) };
  } finally {
    await session.close();
  }
}

/** @param sleep how the loop waits for each deadline (`axon sim --sleep`; block, the CLI's default) */
export async function benchPolicyStage(seconds = 5, rounds = 2, sleep: 'block' | 'timer' = 'block'): Promise<void> {
  for (const [robot, policy, hz] of [['cartpole', 'models/cartpole-balance', 200], ['humanoid', 'models/humanoid-balance', 200]] as const) {
    const on: Figures[] = [];
    const off: Figures[] = [];
    const guarded: Figures[] = [];
    for (let r = 0; r < rounds; r++) {
      on.push(await once(robot, policy, hz, seconds, true, sleep));
      off.push(await once(robot, policy, hz, seconds, false, sleep));
      guarded.push(await once(robot, policy, hz, seconds, true, sleep, true));
    }
    const med = (xs: Figures[], f: (x: Figures) => number) => xs.map(f).sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const fmt = (xs: Figures[]) =>
      `policy p50 ${med(xs, (x) => x.policy.p50)} µs, p99 ${med(xs, (x) => x.policy.p99)} µs; period error p99 ${med(xs, (x) => x.period.p99)} µs`;
    line(`policy stage ${robot}, sim --realtime --sleep ${sleep}, warm-up on`, `${fmt(on)} (warm-ups run/skipped ${on.map((x) => `${x.warm?.runs}/${x.warm?.skips}`).join(', ')})`);
    line(`policy stage ${robot}, sim --realtime --sleep ${sleep}, warm-up off`, fmt(off));
    const ratio = (f: (x: Figures) => number) => (med(on, f) / med(off, f)).toFixed(2);
    line(`  on/off ratio`, `p50 ${ratio((x) => x.policy.p50)}x, p99 ${ratio((x) => x.policy.p99)}x (median of ${rounds} rounds of ${seconds} s each)`);
    line(`policy stage ${robot}, guarded worker (its calls never warmed)`, fmt(guarded));
    const g = (f: (x: Figures) => number) => (med(guarded, f) / med(on, f)).toFixed(2);
    line(`  guarded/inline ratio`, `p50 ${g((x) => x.policy.p50)}x, p99 ${g((x) => x.policy.p99)}x`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPolicyStage(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 2), process.argv[4] === 'timer' ? 'timer' : 'block');
