/**
 * The loop of `axon sim --realtime` on the shipped humanoid (50 Hz control, 200 Hz physics): its
 * period error (|tick wake − deadline|, all ticks but tick 0) and the process's CPU share, with
 * the loop's thread waiting for each deadline by an event-loop timer ('timer', the default) or by
 * Atomics.wait ('block'), both then spinning a learned margin, against C's clock_nanosleep at the
 * same period. The three run in interleaved rounds (each round starts one further on) and each
 * prints its medians and its per-round p99 ratio to C's in the same round (docs/timing.md: judge a
 * clock by ratios in one run). Run alone: `npx tsx tests/bench/simLoop.ts [seconds] [rounds]`.
 */
import { fileURLToPath } from 'node:url';
import { openSimSession } from '../../sim/session/index.ts';
import { cReference, median, span } from './clock.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

export interface Figures {
  p50: number;
  p99: number;
  /** Share of one core (0..1), the whole process. */
  cpu: number;
  /** Grid slots the loop lost (a tick still running at the next deadline): not in the period error. */
  overruns?: number;
}

async function simLoop(sleep: 'timer' | 'block', seconds: number): Promise<Figures> {
  const session = await openSimSession({ robot: 'humanoid', policy: 'models/humanoid-balance', physicsHz: 200 });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await session.runEpisode({ seed: 1, randomize: false, durationS: seconds, realtime: true, sleep, continueAfterTerminate: true });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const p = r.loop.stats.periodErrorUs();
    return { p50: p.p50, p99: p.p99, cpu: (cpu.user + cpu.system) / 1e6 / wall, overruns: r.loop.stats.overruns };
  } finally {
    await session.close();
  }
}

/** One row of an interleaved loop bench: its label and one run of it (a string: why it cannot run here). */
export interface LoopRow {
  readonly label: string;
  readonly run: () => Promise<Figures | string>;
}

/** C's clock_nanosleep at `period` for `seconds`: the reference row of a loop bench. */
export function cRow(seconds: number, period: number): LoopRow {
  return {
    label: `C clock_nanosleep, ${Math.round(1 / period)} Hz`,
    run: async () => {
      const c = cReference(Math.round(seconds / period), period);
      return typeof c === 'string' ? c : { p50: c.p.p50, p99: c.p.p99, cpu: c.cpu };
    },
  };
}

/**
 * Runs `rows` (the first is the C reference) in `rounds` interleaved rounds, each round starting
 * one row further on, and prints each row's medians and the median of its per-round p99 ratio to
 * C's in the same round; with `base`, also the median per-round ratio of its `rows` to its `of` row
 * (what an attachment costs the bare loop).
 */
export async function interleaved(rows: readonly LoopRow[], rounds: number, note: string, base?: { readonly of: string; readonly rows: readonly string[] }): Promise<void> {
  const got = new Map<string, Figures[]>();
  const ratios = new Map<string, number[]>();
  const toBase = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  for (let r = 0; r < rounds; r++) {
    const round = new Map<string, Figures>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[(i + r) % rows.length];
      const f = await row.run();
      if (typeof f === 'string') {
        if (r === 0) line(row.label, f);
        continue;
      }
      round.set(row.label, f);
      got.set(row.label, [...(got.get(row.label) ?? []), f]);
    }
    const c = round.get(rows[0].label);
    const b = base !== undefined ? round.get(base.of) : undefined;
    for (const [label, f] of round) {
      if (c) push(ratios, label, f.p99 / Math.max(1, c.p99));
      if (b && base!.rows.includes(label)) push(toBase, label, f.p99 / Math.max(1, b.p99));
    }
  }
  for (const [label, fs] of got) {
    const rs = ratios.get(label);
    const bs = toBase.get(label);
    const vs = [rs ? `p99 ${median(rs).toFixed(2)}x C, rounds ${span(rs, 2)}x` : '', bs ? `${median(bs).toFixed(2)}x bare, rounds ${span(bs, 2)}x` : ''].filter(Boolean).join('; ');
    const ov = fs.every((f) => f.overruns !== undefined) ? `, overruns ${span(fs.map((f) => f.overruns!))}` : '';
    line(label, `period error p50 ${median(fs.map((f) => f.p50))} µs, p99 ${median(fs.map((f) => f.p99))} µs (rounds ${span(fs.map((f) => f.p99))}), CPU ${(median(fs.map((f) => f.cpu)) * 100).toFixed(1)}% of a core${ov}${vs ? `  [${vs}]` : ''}`);
  }
  line('  (medians of', note);
}

export async function benchSimLoop(seconds = 10, rounds = 3): Promise<void> {
  await interleaved(
    [
      cRow(seconds, 0.02),
      { label: 'sim --realtime loop, timer sleep', run: () => simLoop('timer', seconds) },
      { label: 'sim --realtime loop, block sleep', run: () => simLoop('block', seconds) },
    ],
    rounds,
    `${rounds} interleaved rounds of ${seconds} s each; CPU: the whole process, physics and policy included)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchSimLoop(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3));
