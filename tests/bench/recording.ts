/**
 * What recording and the viewer cost the loop (`npm run bench` calls recordingBench(); also
 * `npx tsx tests/bench/recording.ts`). Cartpole in the simulator under the shipped ONNX policy,
 * lockstep as fast as possible, four set-ups interleaved over several rounds:
 *   baseline | --record (zstd MCAP) | viewer with one page connected (60 frames/s) | both
 * Per set-up: the cost on the tick of the records$ subscribers (recorder copy / viewer copy),
 * measured between a first and a last subscriber; the whole tick (stage sum) p50/p99; and the
 * throughput in ticks per wall second, which also pays the off-tick work left on the loop's thread
 * (the viewer's frames; the recorder's encoding, zstd and writing run on its writer thread, which
 * competes for the cores). Figures are for this machine now: compare within a run.
 * Then benchRealtimeAttachments(): the loop's period error in real time, bare / --record / --view,
 * and the CPU time of the loop's thread.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { openSimSession, runEpisode } from '../../src/cli/wiring.ts';
import { attachRecorder, prepareRecorderThread } from '../../src/record/index.ts';
import { attachViewer, type Viewer } from '../../src/viewer/index.ts';
import { percentilesUs } from '../../src/loop/LoopStats.ts';
import type { ControlLoop } from '../../src/loop/ControlLoop.ts';
import { median } from './clock.ts';

type Setup = 'baseline' | 'record' | 'viewer' | 'record+viewer';

export interface RecordingBenchResult {
  readonly setup: Setup;
  readonly ticks: number;
  /** records$ subscribers added by the set-up, per tick (µs). */
  readonly subscriberUs: { p50: number; p99: number; max: number };
  /** Sum of the loop's stages per tick (µs). */
  readonly tickUs: { p50: number; p99: number };
  readonly ticksPerS: number;
  /** CPU time of the loop's thread per tick (µs; Linux, else 0): the loop, its subscribers and whatever else runs on that thread. */
  readonly loopCpuUsPerTick: number;
  readonly bytes?: number;
  readonly framesSent?: number;
}

export async function recordingBench(o: { seconds?: number; rounds?: number; print?: boolean; realtime?: boolean } = {}): Promise<RecordingBenchResult[]> {
  const seconds = o.seconds ?? 40; // 2,000 ticks at 50 Hz
  const rounds = o.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-rec-'));
  const session = await openSimSession({ robot: 'cartpole', policy: 'models/cartpole-balance', physicsHz: 500 });
  const acc = new Map<Setup, { sub: number[]; tick: number[]; rate: number[]; cpu: number[]; bytes: number[]; frames: number[] }>();
  const setups: Setup[] = ['baseline', 'record', 'viewer', 'record+viewer'];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const setup of setups) {
        const a = acc.get(setup) ?? { sub: [], tick: [], rate: [], cpu: [], bytes: [], frames: [] };
        acc.set(setup, a);
        const file = join(dir, `run-${round}-${setup.replace('+', '-')}.mcap`);
        let recorder: ReturnType<typeof attachRecorder> | undefined;
        let viewerP: Promise<Viewer> | undefined;
        let ws: WebSocket | undefined;
        let t0 = 0;
        const stamps = new Float64Array(Math.round(seconds / session.period) + 10);
        let k = 0;
        if (setup.includes('record')) await prepared(); // as the CLI's --record check does
        const start = performance.now();
        const cpu0 = mainThreadCpuS() ?? 0;
        const r = await runEpisode(session, { seed: 1, randomize: false, durationS: seconds, realtime: false, continueAfterTerminate: true }, (loop: ControlLoop, { safety }) => {
          loop.records$.subscribe(() => {
            t0 = performance.now();
          });
          if (setup.includes('record'))
            recorder = attachRecorder(loop, { spec: session.robot.spec, manifest: session.folder.manifest, period: session.period }, file);
          if (setup.includes('viewer')) {
            viewerP = attachViewer(loop, safety, session.robot, { port: 0, frameHz: 60 }).then(async (v) => {
              ws = new WebSocket(v.url.replace('http://', 'ws://').replace('/?', '/ws?'));
              await new Promise((res) => ws!.once('open', res));
              return v;
            });
          }
          loop.records$.subscribe(() => {
            if (k < stamps.length) stamps[k++] = performance.now() - t0;
          });
        });
        const wall = (performance.now() - start) / 1000;
        const summary = await recorder?.close();
        const viewer = await viewerP;
        ws?.close();
        await viewer?.close();
        a.cpu.push((((mainThreadCpuS() ?? 0) - cpu0) * 1e6) / Math.max(1, r.steps));
        a.sub.push(...Array.from(stamps.subarray(0, k), (ms) => ms / 1000));
        const st = r.loop.stats.stageUs();
        a.tick.push(Object.values(st).reduce((s, v) => s + v.p50, 0));
        a.rate.push(r.steps / wall);
        if (summary) a.bytes.push(summary.bytes);
        if (viewer) a.frames.push(viewer.framesSent);
        // Stage sum p99 is approximated by per-tick stage sums below (kept per set-up).
        (a as unknown as { p99: number[] }).p99 ??= [];
        (a as unknown as { p99: number[] }).p99.push(Object.values(st).reduce((s, v) => s + v.p99, 0));
      }
    }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out: RecordingBenchResult[] = setups.map((setup) => {
    const a = acc.get(setup)!;
    const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)] ?? 0;
    return {
      setup,
      ticks: a.sub.length,
      subscriberUs: percentilesUs(Float64Array.from(a.sub)),
      tickUs: { p50: Math.round(med(a.tick) * 10) / 10, p99: Math.round(med((a as unknown as { p99: number[] }).p99) * 10) / 10 },
      ticksPerS: Math.round(med(a.rate)),
      loopCpuUsPerTick: Math.round(med(a.cpu) * 10) / 10,
      ...(a.bytes.length ? { bytes: med(a.bytes) } : {}),
      ...(a.frames.length ? { framesSent: med(a.frames) } : {}),
    };
  });
  if (o.print ?? true) {
    console.log('\nrecording and viewer cost (cartpole, shipped policy, lockstep fast, median of rounds)');
    for (const x of out)
      console.log(
        `${x.setup.padEnd(14)} subscribers on the tick p50 ${x.subscriberUs.p50} p99 ${x.subscriberUs.p99} max ${x.subscriberUs.max} µs | ` +
          `stage sum p50 ${x.tickUs.p50} µs, Σp99 ${x.tickUs.p99} µs | ${x.ticksPerS} ticks/s | loop's thread CPU ${x.loopCpuUsPerTick} µs/tick` +
          (x.bytes ? ` | ${(x.bytes / 1024).toFixed(0)} KiB` : '') +
          (x.framesSent ? ` | ${x.framesSent} frames` : ''),
      );
  }
  // The loop's period error in real time, bare / --record / --view (issue 17 part 4's 1.5x bound).
  if (o.realtime ?? true) await benchRealtimeAttachments({ print: o.print ?? true });
  return out;
}

type RtSetup = 'bare' | 'record' | 'view';

export interface RealtimeAttachResult {
  readonly setup: RtSetup;
  readonly ticks: number;
  /** |lateness| over all ticks of the set-up (µs). */
  readonly periodErrorUs: { p50: number; p99: number; max: number };
  /** p99 against the bare loop's in the same run (all rounds' ticks pooled). */
  readonly p99VsBare: number;
  /** The median over the rounds of this set-up's p99 against the bare loop's in the same round, and their range. */
  readonly roundRatios: { readonly median: number; readonly min: number; readonly max: number };
  /**
   * CPU time of the loop's thread per second of run (ms/s; Linux: /proc/self/task/PID/stat, else
   * the thread's event-loop busy time): everything it ran, the loop's spin-waits included. Against
   * bare, what the attachment adds to that thread; CPU time does not count the time the host
   * took the core away, so it moves much less with the load than the period error.
   */
  readonly cpuMsPerS: number;
}

/** Starts the recorder's writer thread ahead, as `axon sim --record` does before its session opens, and gives it the time it has there (the session's set-up). */
async function prepared(): Promise<void> {
  prepareRecorderThread();
  await new Promise((r) => setTimeout(r, 1000));
}

/** CPU seconds of this process's main thread (Linux), or undefined where /proc is not there. */
function mainThreadCpuS(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/**
 * The loop's period error in real time with nothing attached, with --record, and with --view and
 * no page open, as `axon sim --robot humanoid --realtime [--record F | --view]` builds them (the
 * shipped humanoid and policy at 50 Hz, 500 Hz physics; --view runs the episode pausable, as the
 * CLI does). The three interleaved in one process, `seconds` each per round.
 */
export async function benchRealtimeAttachments(o: { seconds?: number; rounds?: number; print?: boolean; sleep?: 'block' | 'timer' } = {}): Promise<RealtimeAttachResult[]> {
  const seconds = o.seconds ?? 10;
  const sleep = o.sleep ?? 'block'; // what `axon sim` uses by default
  const rounds = o.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-rt-'));
  const session = await openSimSession({ robot: 'humanoid', policy: 'models/humanoid-balance', physicsHz: 500 });
  const setups: RtSetup[] = ['bare', 'record', 'view'];
  const errs = new Map<RtSetup, number[]>(setups.map((s) => [s, []]));
  const busy = new Map<RtSetup, { cpu: number; duration: number }>(setups.map((s) => [s, { cpu: 0, duration: 0 }]));
  const roundP99 = new Map<RtSetup, number[]>(setups.map((s) => [s, []]));
  const pct = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0);
    return { p50: q(0.5), p99: q(0.99), max: Math.round(s.at(-1) ?? 0) };
  };
  try {
    // Warm-up (JIT, first allocations), discarded.
    await runEpisode(session, { seed: 1, randomize: false, durationS: 2, realtime: true, sleep, continueAfterTerminate: true });
    for (let round = 0; round < rounds; round++)
      for (let i = 0; i < setups.length; i++) {
        const setup = setups[(i + round) % setups.length]; // each round starts one further on
        let recorder: ReturnType<typeof attachRecorder> | undefined;
        let viewerP: Promise<Viewer> | undefined;
        const e = errs.get(setup)!;
        const from = e.length;
        let first = true;
        if (setup === 'record') await prepared(); // as the CLI's --record check does
        const elu0 = performance.eventLoopUtilization();
        const cpu0 = mainThreadCpuS();
        await runEpisode(session, { seed: 1, randomize: false, durationS: seconds, realtime: true, sleep, continueAfterTerminate: true, pausable: setup === 'view' }, (loop: ControlLoop, { safety, control }) => {
          if (setup === 'record')
            recorder = attachRecorder(loop, { spec: session.robot.spec, manifest: session.folder.manifest, period: session.period }, join(dir, `rt-${round}.mcap`));
          if (setup === 'view') viewerP = attachViewer(loop, safety, session.robot, { port: 0, ...(control ? { control } : {}) });
          loop.records$.subscribe((rec) => {
            if (first) first = false; // tick 0 is due at the start (lateness 0)
            else e.push(Math.abs(rec.lateness) * 1e6);
          });
        });
        await recorder?.close();
        await (await viewerP)?.close();
        roundP99.get(setup)!.push(pct(e.slice(from)).p99);
        const elu = performance.eventLoopUtilization(elu0);
        const cpu1 = mainThreadCpuS();
        const u = busy.get(setup)!;
        u.cpu += cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) * 1000 : elu.active;
        u.duration += elu.idle + elu.active;
      }
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const bare = pct(errs.get('bare')!);
  const out = setups.map((setup) => {
    const p = pct(errs.get(setup)!);
    const u = busy.get(setup)!;
    const rs = roundP99.get(setup)!.map((x, i) => x / Math.max(1, roundP99.get('bare')![i]));
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const roundRatios = { median: r2(median(rs)), min: r2(Math.min(...rs)), max: r2(Math.max(...rs)) };
    return { setup, ticks: errs.get(setup)!.length, periodErrorUs: p, p99VsBare: r2(p.p99 / Math.max(1, bare.p99)), roundRatios, cpuMsPerS: Math.round((u.cpu / Math.max(1, u.duration)) * 10000) / 10 };
  });
  if (o.print ?? true) {
    console.log(`\nperiod error in real time, humanoid + shipped policy at 50 Hz, --sleep ${sleep}, ${rounds} x ${seconds} s per set-up, interleaved`);
    for (const x of out)
      console.log(
        `${('humanoid realtime, ' + x.setup).padEnd(44)} p50 ${x.periodErrorUs.p50} µs, p99 ${x.periodErrorUs.p99} µs, max ${x.periodErrorUs.max} µs (${x.ticks} ticks) [p99 ${x.p99VsBare}x bare pooled; per round median ${x.roundRatios.median}x, rounds ${x.roundRatios.min}-${x.roundRatios.max}x] | loop's thread CPU ${x.cpuMsPerS} ms/s`,
      );
  }
  return out;
}

if (process.argv[1]?.endsWith('recording.ts')) {
  if (process.argv[2] === 'realtime') await benchRealtimeAttachments({ rounds: Number(process.argv[3] ?? 3), seconds: Number(process.argv[4] ?? 10), sleep: process.argv[5] === 'timer' ? 'timer' : 'block' });
  else await recordingBench({ rounds: Number(process.argv[2] ?? 3) });
}
