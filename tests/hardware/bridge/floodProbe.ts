/**
 * What a token-less flood does to a bridge server's loop (docs/bridge.md, "A client that floods").
 * `npx tsx tests/hardware/bridge/floodProbe.ts REPO PORT [stats|big] [N]`: runs `axon bridge --sim
 * cartpole` from REPO (a checkout, to compare two), a commander streaming an effort command every
 * 10 ms, an observer counting the state frames (one per loop step, 500 Hz), and, from another
 * process, a token-less client sending N `{"type":"stats"}` (1000 every 5 ms) or 60 KB messages
 * (`big`, 20 every 5 ms); prints the state frames per window and the server's log lines.
 * Not a test: its figures depend on the host's load.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeCommand } from '../../../hardware/bridge/frames.ts';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function flood(url: string, n: number, kind: string): Promise<void> {
  const msg = kind === 'big' ? JSON.stringify({ type: 'stats', pad: 'x'.repeat(60000) }) : '{"type":"stats"}';
  const batch = kind === 'big' ? 20 : 1000;
  const ws = new WebSocket(url, [SUBPROTOCOL], { perMessageDeflate: false });
  let sent = 0;
  ws.on('error', () => {});
  await new Promise((r) => ws.once('open', r));
  while (sent < n && ws.readyState === ws.OPEN) {
    for (let i = 0; i < batch && sent < n; i++, sent++) ws.send(msg);
    await sleep(5);
  }
  await sleep(500);
  ws.terminate();
}

async function probe(dir: string, port: string, kind: string, n: number): Promise<void> {
  const bridge = spawn(process.execPath, ['bin/axon.js', 'bridge', '--sim', 'cartpole', '--port', port, '--token', 'probe', '--duration', '40'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  bridge.stdout.on('data', (d) => (log += d));
  bridge.stderr.on('data', (d) => (log += d));
  const url = `ws://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !log.includes('ws://'); i++) await sleep(100);
  await sleep(500);
  const open = (): Promise<WebSocket> =>
    new Promise((res, rej) => {
      const w = new WebSocket(url, [SUBPROTOCOL], { perMessageDeflate: false });
      w.once('open', () => res(w));
      w.once('error', rej);
    });
  const obs = await open();
  const arrivals: [number, number][] = []; // [wall s, the frame's loop time s]
  obs.on('message', (d: Buffer, bin) => bin && arrivals.push([performance.now() / 1000, d.readDoubleLE(8)]));
  const cmd = await open();
  cmd.send(JSON.stringify({ type: 'auth', token: 'probe', role: 'command' }));
  await sleep(200);
  let seq = 1;
  const frame = Buffer.alloc(24 + 8);
  const target = new Float64Array(2);
  const stream = setInterval(() => {
    encodeCommand(frame, 2, seq++, 0, 0, { mode: 'effort', target });
    cmd.send(frame, { binary: true });
  }, 10);
  const beat = setInterval(() => {
    for (const w of [cmd, obs]) if (w.readyState === w.OPEN) w.send('{"type":"heartbeat","time":0}');
  }, 100);
  await sleep(3000);
  const t0 = performance.now() / 1000;
  const flooder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--flood', url, String(n), kind], { stdio: 'inherit' });
  await new Promise((r) => flooder.on('exit', r));
  const t1 = performance.now() / 1000;
  await sleep(3000);
  clearInterval(stream);
  clearInterval(beat);
  const win = (lo: number, hi: number): string => {
    const l = arrivals.filter(([w]) => w >= lo && w < hi);
    if (l.length < 2) return `${l.length} frames in ${(hi - lo).toFixed(2)} s`;
    let gap = 0;
    for (let i = 1; i < l.length; i++) gap = Math.max(gap, l[i][0] - l[i - 1][0]);
    return `${l.length} frames in ${(hi - lo).toFixed(2)} s (${(l.length / (hi - lo)).toFixed(0)}/s), longest gap ${(gap * 1000).toFixed(0)} ms, loop time ${(l.at(-1)![1] - l[0][1]).toFixed(2)} s over ${(l.at(-1)![0] - l[0][0]).toFixed(2)} s of wall`;
  };
  console.log(`flood of ${n} x ${kind} over ${(t1 - t0).toFixed(2)} s`);
  console.log('state frames before:', win(t0 - 2.5, t0));
  console.log('during the flood:   ', win(t0, t1));
  console.log('after:              ', win(t1 + 0.5, t1 + 2.9));
  if (cmd.readyState === cmd.OPEN) cmd.send('{"type":"release"}'); // the end of the probe is not a lost commander
  await sleep(200);
  obs.terminate();
  cmd.terminate();
  bridge.kill('SIGINT');
  await sleep(2000);
  if (bridge.exitCode === null) bridge.kill('SIGKILL');
  console.log(log.split('\n').filter((l) => /safe-stop|POLICY|disconnected|stopped after/.test(l)).join('\n'));
}

const a = process.argv.slice(2);
if (a[0] === '--flood') await flood(a[1], Number(a[2]), a[3]);
else await probe(a[0] ?? '.', a[1] ?? '18991', a[2] ?? 'stats', Number(a[3] ?? 200000));
