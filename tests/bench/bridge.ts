/**
 * Bridge benchmark (part of `npm run bench`; alone: `npx tsx tests/bench/bridge.ts`).
 *
 * The server runs in a child process (its own event loop and core, as a robot-side bridge
 * would), the client here. The client answers every state frame at once with a command whose
 * `ack` is that frame's seq; the server measures the round trip on its own clock (state frame
 * sent -> command acking it received: PROTOCOL.md 5.3). Figures are for this machine at this
 * moment: compare them within one run (docs/timing.md), never as thresholds.
 *
 * 1. round trip p50/p99/max at 500 Hz for the humanoid's joint count (IMU and foot contacts in
 *    the state frame, position commands with gains), with a stand-in robot whose physics costs
 *    nothing (the bridge alone), then serving the humanoid simulation itself;
 * 2. maximum sustained rate: the highest loop = state rate the exchange keeps up with, with no
 *    backlog: >= 98 % of the state frames sent are answered, the server skipped no time
 *    (overruns 0), and it sent >= 90 % of its slots (a slot is lost when a wake-up comes later
 *    than a whole period, docs/timing.md; the robot's time does not slip, one frame is merged).
 *    Stepping 500 Hz, 1 kHz, 2 kHz, ...; with `--pacing poll` at 1 kHz and above the server's
 *    pacer spins the whole period (its spin margin exceeds the period).
 * Both with each server pacing (`axon bridge --pacing worker|poll`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { createCommand, type Robot, type RobotSpec } from '../../src/core/robot.ts';
import { BridgeServer, connectBridgeRobot, stateLayout, commandBytes, commandFlags } from '../../hardware/bridge/index.ts';
import { createSimRobot, robotNames } from '../../sim/index.ts';
import { PointMassRobot, joint } from '../helpers/fakes.ts';

const TOKEN = 'bench-token';
type Pacing = 'poll' | 'worker';
const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

/** The humanoid's spec when the simulator ships one; else a 16-joint stand-in with IMU and two foot contacts. */
function humanoidSpec(): RobotSpec {
  if (robotNames().includes('humanoid')) return createSimRobot('humanoid').spec;
  const joints = Array.from({ length: 16 }, (_, i) => joint(`j${i}`, { lower: -2, upper: 2, velocityLimit: 20, effortLimit: 80, kp: 100, kd: 2 }));
  return { name: 'humanoid-standin', joints, sensors: { imu: true, contacts: ['left_foot', 'right_foot'] }, controlModes: ['position', 'velocity', 'effort'] };
}

// ---- server side (child process) ----

/** `--serve`: reads "serve <hz> <standin|sim> <poll|worker>", "clear", "stop", "exit" on stdin; answers "url <ws://...>", "cleared", "stopped". */
async function serveMode(): Promise<void> {
  let server: BridgeServer | undefined;
  let robot: Robot | undefined;
  const rl = createInterface({ input: process.stdin });
  for await (const l of rl) {
    const [cmd, hz, kind, pacing] = l.trim().split(/\s+/);
    if (cmd === 'serve') {
      const rate = Number(hz);
      robot = kind === 'sim' ? createSimRobot('humanoid', { physicsDt: 1 / rate }) : new PointMassRobot(humanoidSpec(), 1 / rate);
      const paced = pacing === 'poll' ? { pacing: 'poll' as const, spinMarginS: 0.0011 } : { pacing: 'worker' as const };
      server = await BridgeServer.listen({ robot, port: 0, token: TOKEN, ...paced, sendBase: false, commandTimeoutS: 0.5, heartbeatTimeoutS: 2 });
      process.stdout.write(`url ${server.url}\n`);
    } else if (cmd === 'clear') {
      server?.clearStats();
      process.stdout.write('cleared\n');
    } else if (cmd === 'stop') {
      await server?.close();
      await robot?.close();
      server = undefined;
      process.stdout.write('stopped\n');
    } else if (cmd === 'exit') break;
  }
  process.exit(0);
}

// ---- client side ----

class ServerProcess {
  private readonly lines: string[] = [];
  private waiter: ((l: string) => void) | undefined;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(l);
      } else this.lines.push(l);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
  }

  static start(): ServerProcess {
    const file = new URL(import.meta.url).pathname;
    return new ServerProcess(spawn(process.execPath, ['--import', 'tsx', file, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => (this.waiter = r));
  }

  async serve(hz: number, kind: 'standin' | 'sim', pacing: Pacing): Promise<string> {
    this.child.stdin.write(`serve ${hz} ${kind} ${pacing}\n`);
    const l = await this.next();
    if (!l.startsWith('url ')) throw new Error(`bridge bench server: ${l}`);
    return l.slice(4);
  }

  /** Starts a new round-trip window on the server. */
  async clear(): Promise<void> {
    this.child.stdin.write('clear\n');
    await this.next();
  }

  async stop(): Promise<void> {
    this.child.stdin.write('stop\n');
    await this.next();
  }

  exit(): void {
    this.child.stdin.write('exit\n');
  }
}

interface Window {
  hz: number;
  seconds: number;
  sent: number;
  answered: number;
  received: number;
  rtt: { count: number; p50: number; p99: number; max: number };
  overruns: number;
  clientCpu: number;
}

/** Connects, echoes every state frame with a hold command, measures a window after a warm-up. */
async function exchange(server: ServerProcess, url: string, hz: number, seconds: number): Promise<Window> {
  const robot = await connectBridgeRobot(url, { token: TOKEN, reconnect: false });
  const cmd = createCommand(robot.spec, 'position');
  robot.spec.joints.forEach((j, i) => {
    cmd.target[i] = j.defaultPosition;
    cmd.kp![i] = j.kp;
    cmd.kd![i] = j.kd;
  });
  robot.frames$.subscribe(() => robot.command(cmd));
  robot.command(cmd);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up: JIT, socket buffers
  await server.clear();
  const s0 = await robot.stats();
  const r0 = robot.counts.framesReceived;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s1 = await robot.stats();
  await robot.close();
  return {
    hz,
    seconds: wall,
    sent: s1.stateFramesSent - s0.stateFramesSent,
    answered: s1.roundTripUs.count - s0.roundTripUs.count,
    received: robot.counts.framesReceived - r0,
    rtt: s1.roundTripUs,
    overruns: s1.overruns - s0.overruns,
    clientCpu: (cpu.user + cpu.system) / 1e6 / wall,
  };
}

export async function benchBridge(): Promise<void> {
  const spec = humanoidSpec();
  const n = spec.joints.length;
  const stateB = stateLayout(n, spec.sensors.imu, spec.sensors.contacts.length, false).bytes;
  const cmdB = commandBytes(n, commandFlags(createCommand(spec, 'position')));
  const server = ServerProcess.start();
  try {
    const label = `${spec.name}, ${n} joints`;
    for (const pacing of ['worker', 'poll'] as const) {
      for (const kind of ['standin', 'sim'] as const) {
        const url = await server.serve(500, kind, pacing);
        const w = await exchange(server, url, 500, 5);
        await server.stop();
        line(
          `bridge round trip at 500 Hz (${kind === 'sim' ? 'humanoid sim' : label}), --pacing ${pacing}`,
          `p50 ${w.rtt.p50} µs, p99 ${w.rtt.p99} µs, max ${w.rtt.max} µs over ${w.rtt.count} exchanges; ` +
            `${(w.sent / w.seconds).toFixed(0)} state frames/s sent, ${((100 * w.answered) / Math.max(1, w.sent)).toFixed(1)}% answered; ` +
            `state ${stateB} B, command ${cmdB} B; client CPU ${(w.clientCpu * 100).toFixed(0)}% of a core`,
        );
      }
    }
    for (const pacing of ['worker', 'poll'] as const) {
      const rows: string[] = [];
      let best = 0;
      for (const hz of [500, 1000, 2000, 4000, 8000, 16000, 32000]) {
        const url = await server.serve(hz, 'standin', pacing);
        const w = await exchange(server, url, hz, 2);
        await server.stop();
        const sentPct = (100 * w.sent) / (hz * w.seconds);
        const answeredPct = (100 * w.answered) / Math.max(1, w.sent);
        const ok = sentPct >= 90 && answeredPct >= 98 && w.overruns === 0;
        rows.push(`${hz} Hz ${ok ? 'ok' : 'NO'} (slots sent ${sentPct.toFixed(1)}%, answered ${answeredPct.toFixed(1)}%, time skipped ${w.overruns} steps, p50/p99 ${w.rtt.p50}/${w.rtt.p99} µs)`);
        if (!ok) break;
        best = hz;
      }
      line(`bridge max sustained rate (${n} joints), --pacing ${pacing}`, `${best} Hz state+command exchanges: ${rows.join('; ')}`);
    }
  } finally {
    server.exit();
  }
}

const self = pathToFileURL(process.argv[1] ?? '').href === import.meta.url;
if (self && process.argv.includes('--serve')) await serveMode();
else if (self) {
  console.log(`axon bridge bench — node ${process.version}, ${new Date().toISOString()}`);
  await benchBridge();
}
