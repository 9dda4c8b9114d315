/**
 * 500 Hz pacing, interleaved rounds on the same machine (docs/timing.md: judge a clock by ratios within one run):
 * C clock_nanosleep(TIMER_ABSTIME) (built here with gcc when present), a full spin, a plain
 * setTimeout, the former timer + 1.1 ms spin, and axon's clocks. Period error = |wake − deadline|
 * where the tick is handled; CPU share = process.cpuUsage over wall time (all threads).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Subject, type Observable } from 'rxjs';
import { WallClock, type WallClockOptions } from '../../src/clock/WallClock.ts';
import { WorkerClock } from '../../src/clock/WorkerClock.ts';
import { AdaptiveSleeper } from '../../src/clock/AdaptiveSleeper.ts';
import { steadyNow } from '../../src/clock/sleep.ts';
import type { Clock } from '../../src/clock/types.ts';
import { percentilesUs, type Percentiles } from '../../src/loop/LoopStats.ts';

const PERIOD = 0.002;
const N = 1500;

export interface PacingResult {
  readonly label: string;
  readonly p: Percentiles;
  /** Share of one core (0..1). */
  readonly cpu: number;
  readonly extra?: string;
}

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

/** The C reference, `n` ticks at `period`: compiled into a temp dir; the reason instead when there is no gcc. */
export function cReference(n = N, period = PERIOD): PacingResult | string {
  const src = fileURLToPath(new URL('./clock_ref.c', import.meta.url));
  if (spawnSync('gcc', ['--version']).status !== 0) return 'gcc not found: C clock_nanosleep reference skipped';
  const dir = mkdtempSync(join(tmpdir(), 'axon-clockref-'));
  try {
    const exe = join(dir, 'clock_ref');
    execFileSync('gcc', ['-O2', '-o', exe, src]);
    const [p50, p99, max, cpu, overruns] = execFileSync(exe, [String(n), String(period)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { label: 'C clock_nanosleep(TIMER_ABSTIME)', p: { p50, p99, max }, cpu, extra: `overruns ${overruns}` };
  } catch (e) {
    return `C reference failed: ${(e as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `clock` for N ticks with an instant handler; |lateness| as the clock reports it where the tick is handled. */
async function runClock(clock: Clock): Promise<{ p: Percentiles; cpu: number }> {
  const lateness = new Float64Array(N);
  const done$ = new Subject<void>();
  let i = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const sub = clock.ticks(done$).subscribe((t) => {
      lateness[i++] = Math.abs(t.lateness);
      done$.next();
      if (i >= N) {
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      }
    });
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { p: percentilesUs(lateness.subarray(1)), cpu: (cpu.user + cpu.system) / 1e6 / wall };
}

async function wallClock(label: string, o: WallClockOptions): Promise<PacingResult> {
  const clock = new WallClock(PERIOD, o);
  const r = await runClock(clock);
  const s = clock.sleeper;
  return { label, ...r, extra: `margin ${(s.margin * 1e6).toFixed(0)} µs, overruns ${clock.overruns}` };
}

/** setTimeout to each deadline, nothing else (the ceiling, docs/timing.md). */
async function timerOnly(): Promise<PacingResult> {
  const lateness = new Float64Array(N);
  const cpu0 = process.cpuUsage();
  const start = steadyNow();
  let k = 1;
  let overruns = 0;
  for (let i = 0; i < N; i++) {
    const deadline = start + k * PERIOD;
    await new Promise((r) => setTimeout(r, (deadline - steadyNow()) * 1000));
    const t = steadyNow();
    lateness[i] = Math.abs(t - deadline);
    const behind = Math.floor((t - start) / PERIOD) + 1;
    if (behind > k + 1) overruns += behind - (k + 1);
    k = Math.max(k + 1, behind);
  }
  const wall = steadyNow() - start;
  const cpu = process.cpuUsage(cpu0);
  return { label: 'plain setTimeout', p: percentilesUs(lateness), cpu: (cpu.user + cpu.system) / 1e6 / wall, extra: `overruns ${overruns}` };
}

/** Atomics.wait straight to each deadline on this thread, no spin: the Node counterpart of the C loop. */
function atomicsOnly(): PacingResult {
  const s = new AdaptiveSleeper({ period: PERIOD, fixedMargin: 0 });
  const lateness = new Float64Array(N);
  const cpu0 = process.cpuUsage();
  const start = steadyNow();
  let k = 1;
  let overruns = 0;
  for (let i = 0; i < N; i++) {
    const deadline = start + k * PERIOD;
    s.sleepUntil(deadline);
    const t = steadyNow();
    lateness[i] = t - deadline;
    const behind = Math.floor((t - start) / PERIOD) + 1;
    if (behind > k + 1) overruns += behind - (k + 1);
    k = Math.max(k + 1, behind);
  }
  const wall = steadyNow() - start;
  const cpu = process.cpuUsage(cpu0);
  return { label: 'Atomics.wait to the deadline (no spin)', p: percentilesUs(lateness), cpu: (cpu.user + cpu.system) / 1e6 / wall, extra: `overruns ${overruns}` };
}

/** WorkerClock: the timing thread's own period error (a loop on that thread), and the main thread's (a loop woken by waitAsync). */
async function workerClock(): Promise<PacingResult[]> {
  const clock = await WorkerClock.start(PERIOD, { ring: N });
  try {
    const r = await runClock(clock);
    const t = clock.timing;
    const margin = `margin ${(t.margin * 1e6).toFixed(0)} µs`;
    return [
      { label: 'axon WorkerClock, on its timing thread', p: percentilesUs(t.lateness().map(Math.abs)), cpu: r.cpu, extra: `${margin} (CPU: both threads)` },
      { label: 'axon WorkerClock, main thread (waitAsync)', ...r, extra: `main margin ${(clock.main.margin * 1e6).toFixed(0)} µs, overruns ${clock.overruns}` },
    ];
  } finally {
    await clock.close();
  }
}

/** A PacingResult as a row's figures, labelled as the 500 Hz bench prints it. */
const fig = (r: PacingResult) => ({ label: `500 Hz pacing, ${r.label}`, p50: r.p.p50, p99: r.p.p99, cpu: r.cpu });
const one = (r: PacingResult) => [fig(r)];

const ROWS: LoopRow[] = [
  { label: '500 Hz pacing, C clock_nanosleep(TIMER_ABSTIME)', run: async () => { const c = cReference(); return typeof c === 'string' ? c : one(c); } },
  { label: 'spin the whole period', run: async () => one(await wallClock('spin the whole period', { spinMargin: 0.01 })) },
  { label: 'plain setTimeout', run: async () => one(await timerOnly()) },
  { label: 'before: timer + 1.1 ms spin', run: async () => one(await wallClock('before: timer + 1.1 ms spin', { spinMargin: 0.0011 })) },
  { label: 'Atomics.wait to the deadline (no spin)', run: async () => one(atomicsOnly()) },
  { label: 'axon WallClock timer + learned spin', run: async () => one(await wallClock('axon WallClock timer + learned spin', { sleep: 'timer' })) },
  { label: 'axon WallClock block + learned spin', run: async () => one(await wallClock('axon WallClock block + learned spin', { sleep: 'block' })) },
  { label: 'axon WorkerClock', run: async () => (await workerClock()).map(fig) },
];

/** Median of `xs` (the lower middle for an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
/** `min-max` of `xs`. */
export const span = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;

/**
 * Prints every pacing figure and the ratios against C. One 3 s run per row says little on a shared
 * VM (the same clock's p99 moved 0.08x-3.3x C between two runs, docs/timing.md), so the rows run
 * `rounds` times, interleaved (`interleaved`): each row prints its median p50 / p99 / CPU over the
 * rounds, the p99's range, and the median of its per-round p99 ratio to C's in the same round.
 */
export async function benchClocks(rounds = 3): Promise<void> {
  await interleaved(ROWS, rounds, `${rounds} interleaved rounds of ${N} ticks each)`);
}

export interface Figures {
  p50: number;
  p99: number;
  /** Share of one core (0..1), the whole process. */
  cpu: number;
  /** Grid slots the loop lost (a tick still running at the next deadline): not in the period error. */
  overruns?: number;
  /** More figures of the run and their units, printed as their medians over rounds (e.g. an observation's age in µs). */
  also?: Record<string, readonly [value: number, unit: string]>;
}

/**
 * One row of an interleaved bench: its label and one run of it (a string: why it cannot run here;
 * several labelled figures: one run that measures several things, as the WorkerClock's two threads).
 */
export interface LoopRow {
  readonly label: string;
  readonly run: () => Promise<Figures | string | readonly (Figures & { readonly label: string })[]>;
}

/** This process's CPU seconds so far (user + system). */
export function ownCpuS(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1e6;
}

/**
 * A process's CPU share counted from a loop's first tick (session open, model load and connect
 * are not the loop's): call with the loop's records in onLoop, read the share after the run.
 * @param cpuS the process's CPU seconds so far; default this process's
 */
export function cpuFromFirstTick(records$: Observable<unknown>, cpuS: () => number = ownCpuS): () => number {
  let cpu0 = cpuS();
  let t0 = performance.now();
  const first = records$.subscribe(() => {
    cpu0 = cpuS();
    t0 = performance.now();
    queueMicrotask(() => first.unsubscribe());
  });
  return () => (cpuS() - cpu0) / ((performance.now() - t0) / 1000);
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
      for (const [label, x] of Array.isArray(f) ? f.map((g) => [g.label, g] as const) : [[row.label, f as Figures] as const]) {
        round.set(label, x);
        got.set(label, [...(got.get(label) ?? []), x]);
      }
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
    const also = Object.keys(fs[0].also ?? {})
      .map((k) => `, ${k} ${median(fs.map((f) => f.also?.[k]?.[0] ?? Number.NaN))} ${fs[0].also![k][1]}`)
      .join('');
    line(label, `period error p50 ${median(fs.map((f) => f.p50))} µs, p99 ${median(fs.map((f) => f.p99))} µs (rounds ${span(fs.map((f) => f.p99))}), CPU ${(median(fs.map((f) => f.cpu)) * 100).toFixed(1)}% of a core${ov}${also}${vs ? `  [${vs}]` : ''}`);
  }
  line('  (medians of', note);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchClocks(Number(process.argv[2] ?? 3));
