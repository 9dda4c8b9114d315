/**
 * What work beside the loop delays it (`npx tsx tests/bench/neighbourWork.ts [rounds] [kind ...]`;
 * not part of `npm run bench`: about 3 s per kind and round). The humanoid-balance manifest at
 * control_hz 500 with zero actions runs 1.5 s in real time; at its first tick a thread (or, with a
 * `p:` prefix, a child process at nice 19 with --single-threaded-gc) starts 400 ms of one kind of
 * work. Printed: the loop's period error p99 and max over that window (50-450 ms) and p99 after it
 * (from 700 ms). Kinds: none, spin (CPU only), churn (short-lived garbage: the young generation),
 * keep (objects kept: the old generation grows), touch (fresh 64 MB buffers, every page written).
 * docs/dataset.md reads it: the dataset writer's episode save is such neighbouring work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSimSession, runEpisode } from '../../src/cli/wiring.ts';

const WORK: Record<string, string> = {
  none: '',
  spin: 'let x = 0; while (performance.now() - t < 400) x += Math.sqrt(x + 1);',
  churn: "while (performance.now() - t < 400) { const a = []; for (let i = 0; i < 1000; i++) a.push({ v: i, s: 'x' + i }); }",
  keep: "let keep = []; while (performance.now() - t < 400) { const a = []; for (let i = 0; i < 1000; i++) a.push({ v: i, s: 'x' + i }); keep.push(a); if (keep.length > 200) keep = []; }",
  touch: 'while (performance.now() - t < 400) { const b = new Uint8Array(64 << 20); for (let i = 0; i < b.length; i += 4096) b[i] = 1; }',
};

const p99 = (a: number[]) => (a.length === 0 ? NaN : Math.round([...a].sort((x, y) => x - y)[Math.floor(a.length * 0.99)]));

export async function benchNeighbourWork(rounds: number, kinds: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-bench-neighbour-'));
  const model = join(dir, 'humanoid-500');
  cpSync('models/humanoid-balance', model, { recursive: true });
  const mf = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  mf.control_hz = 500;
  writeFileSync(join(model, 'manifest.json'), JSON.stringify(mf));
  try {
    for (let r = 0; r < rounds; r++)
      for (const kind of kinds) {
        const inProcess = !kind.startsWith('p:');
        const work = WORK[kind.replace(/^p:/, '')];
        if (work === undefined) throw new Error(`unknown kind "${kind}": expected ${Object.keys(WORK).join(', ')}, each optionally prefixed p:`);
        let worker: Worker | undefined, child: ChildProcess | undefined;
        const go = `{ const t = performance.now(); ${work} }`;
        if (inProcess) worker = new Worker(`require('node:worker_threads').parentPort.on('message', () => ${go});`, { eval: true });
        else {
          child = spawn(process.execPath, ['--single-threaded-gc', '-e', `process.stdin.on('data', () => ${go});`], { stdio: ['pipe', 'ignore', 'inherit'] });
          setPriority(child.pid!, 19);
        }
        await new Promise((res) => setTimeout(res, 300)); // started before the loop: its start-up is not measured
        const s = await openSimSession({ robot: 'humanoid', policy: model, physicsHz: 500, zeroPolicy: true });
        const inside: number[] = [], after: number[] = [];
        let t0 = NaN;
        try {
          await runEpisode(s, { seed: 1, randomize: false, durationS: 1.5, realtime: true, continueAfterTerminate: true }, (loop) => {
            loop.records$.subscribe((rec) => {
              if (Number.isNaN(t0)) {
                t0 = rec.time;
                worker?.postMessage(1);
                child?.stdin!.write('go\n');
              }
              const dt = rec.time - t0, e = Math.abs(rec.lateness) * 1e6;
              if (dt > 0.05 && dt < 0.45) inside.push(e);
              else if (dt > 0.7) after.push(e);
            });
          });
        } finally {
          await worker?.terminate();
          child?.kill();
          await s.close();
        }
        console.log(`round ${r + 1} ${kind.padEnd(8)} period error µs: during the work p99 ${p99(inside)} max ${Math.round(Math.max(...inside))} | after p99 ${p99(after)}`);
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('neighbourWork.ts')) {
  const kinds = process.argv.slice(3);
  await benchNeighbourWork(Number(process.argv[2] ?? 3), kinds.length > 0 ? kinds : ['none', 'spin', 'churn', 'keep', 'touch']);
}
