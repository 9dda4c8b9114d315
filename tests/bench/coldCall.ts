/**
 * What one policy call costs against the time since the same policy's previous call, with the thread asleep
 * (`Atomics.wait`, as `--sleep block` waits) or spinning on the clock for that time, on the
 * shipped models through OnnxPolicy.act (the synchronous native call of `axon sim`). The gaps and
 * the two waits are interleaved so that every row sees the same host. A sequential sweep of
 * 256 KB in JS is timed the same way as a reference that the prefetcher keeps fast.
 * Run alone: `npx tsx tests/bench/coldCall.ts [rounds]`.
 */
import { loadModelFolder, observationSize } from '../../src/model/manifest.ts';
import { loadPolicy } from '../../src/policy/loadPolicy.ts';
import type { Policy } from '../../src/policy/Policy.ts';

const GAPS_MS = [0.05, 1, 5, 20];
const _sleeper = new Int32Array(new SharedArrayBuffer(4));
const nowUs = () => Number(process.hrtime.bigint()) / 1000;
const waits = {
  sleep: (ms: number) => void Atomics.wait(_sleeper, 0, 0, ms),
  spin: (ms: number) => {
    const end = nowUs() + ms * 1000;
    while (nowUs() < end);
  },
};

const sweep = new Float64Array(32768).fill(1);
function sweepJs(): number {
  let a = 0;
  for (let i = 0; i < sweep.length; i++) a += sweep[i];
  return a;
}

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

export async function benchColdCall(rounds = 40): Promise<void> {
  const policies: [string, Policy, Float32Array][] = [];
  for (const name of ['cartpole-balance', 'humanoid-balance']) {
    const folder = loadModelFolder(`models/${name}`);
    const input = new Float32Array(observationSize(folder.manifest)).fill(0.01);
    policies.push([name, await loadPolicy(folder), input]);
  }
  try {
    const times = new Map<string, number[]>();
    const add = (key: string, us: number) => (times.get(key) ?? times.set(key, []).get(key)!).push(us);
    for (let i = 0; i < 200; i++) for (const [, p, x] of policies) void p.act(x);
    for (let r = 0; r < rounds; r++)
      for (const gap of GAPS_MS)
        for (const [wait, fn] of Object.entries(waits)) {
          for (const [name, p, x] of policies) {
            void p.act(x);
            fn(gap);
            const t0 = nowUs();
            void p.act(x);
            const t1 = nowUs();
            void p.act(x);
            add(`${name} ${wait} ${gap}`, t1 - t0);
            add(`${name} again`, nowUs() - t1);
          }
          sweepJs();
          fn(gap);
          const t0 = nowUs();
          sweepJs();
          add(`js ${wait} ${gap}`, nowUs() - t0);
        }
    const fmt = (key: string) => {
      const xs = times.get(key)!;
      return `p50 ${quantile(xs, 0.5).toFixed(1)} µs, p90 ${quantile(xs, 0.9).toFixed(1)} µs`;
    };
    for (const [name] of policies) {
      console.log(`${name}: a second call at once: ${fmt(`${name} again`)}`);
      for (const gap of GAPS_MS) console.log(`  after ${String(gap).padStart(4)} ms: asleep ${fmt(`${name} sleep ${gap}`)}; spinning ${fmt(`${name} spin ${gap}`)}`);
    }
    console.log('a 256 KB sequential sweep in JS:');
    for (const gap of GAPS_MS) console.log(`  after ${String(gap).padStart(4)} ms: asleep ${fmt(`js sleep ${gap}`)}; spinning ${fmt(`js spin ${gap}`)}`);
  } finally {
    for (const [, p] of policies) await p.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchColdCall(Number(process.argv[2] ?? 40));
