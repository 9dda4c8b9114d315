/**
 * A safe stop the robot could not confirm is a fault (docs/hardware.md "Faults", docs/feetech.md
 * "No bus watchdog"): `axon run` and `axon teleop` that end with servos still torqued exit 1,
 * `ended_by: "fault"`, and the summary names the servos. The follower is an emulated SO-101
 * (safe_stop torque_off) served over TCP by this process, which drops every Torque Enable 0 sync
 * write it is sent: the run reaches its duration, then its stop at close cannot be read back.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { feetechServosOf, loadAnyRobotConfig } from '../../hardware/robots/openRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { socketTransport } from '../../src/cli/commands/hwServo.ts';
import { writePoseModel } from './helpers/poseModel.ts';
import { CLI } from './helpers/spawnCli.ts';

const FOLLOWER = 'hardware/robots/so101-follower.json';
const ALL = 'shoulder_pan (id 1), shoulder_lift (id 2), elbow_flex (id 3), wrist_flex (id 4), wrist_roll (id 5), gripper (id 6)';

/** Drops from `d` every Feetech SYNC WRITE (0x83) of Torque Enable (40) whose values are all 0. */
function withoutTorqueOff(d: Buffer, dropped: { n: number }): Buffer {
  const keep: number[] = [];
  let i = 0;
  while (i < d.length) {
    if (d[i] === 0xff && d[i + 1] === 0xff && d[i + 2] === 0xfe && d[i + 4] === 0x83 && d[i + 5] === 40 && i + 3 < d.length) {
      const end = i + 4 + d[i + 3];
      const values = [];
      for (let k = i + 8; k < end - 1; k += 2) values.push(d[k]);
      if (values.every((v) => v === 0)) {
        dropped.n++;
        i = end;
        continue;
      }
    }
    keep.push(d[i++]);
  }
  return Buffer.from(keep);
}

/** An emulated SO-101 on a TCP port, deaf to torque-off sync writes. */
async function deafFollower(config: FeetechRobotConfig): Promise<{ emu: FeetechEmulator; server: Server; sockets: Socket[]; port: number; dropped: { n: number } }> {
  const emu = new FeetechEmulator({ baud: config.baud, servos: feetechServosOf(config) });
  const sockets: Socket[] = [];
  const dropped = { n: 0 };
  const server = createServer((sock) => {
    sockets.push(sock);
    // hw emulate's own socket Transport, with what arrives filtered before the emulator hears it.
    const t = socketTransport(sock, emu.baud);
    const on = t.on.bind(t);
    t.on = (h) => on({ ...h, data: (d) => h.data?.(withoutTorqueOff(Buffer.from(d), dropped)) });
    emu.attach(t);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { emu, server, sockets, port: (server.address() as { port: number }).port, dropped };
}

function torqueOffConfig(): { file: string; config: FeetechRobotConfig } {
  const raw = JSON.parse(readFileSync(FOLLOWER, 'utf8'));
  delete raw.urdf;
  raw.safe_stop = 'torque_off';
  const file = join(mkdtempSync(join(tmpdir(), 'axon-unconfirmed-')), 'so101.json');
  writeFileSync(file, JSON.stringify(raw));
  return { file, config: loadAnyRobotConfig(file).config as FeetechRobotConfig };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('exit', (code) => r({ code, stdout, stderr })));
}

describe('a safe stop that could not be confirmed fails the run and names the servos', () => {
  it('axon run (SO-101, torque_off): every torque off lost at close: exit 1, ended_by fault, safe_stop_unconfirmed names all six', async () => {
    const { file, config } = torqueOffConfig();
    const f = await deafFollower(config);
    try {
      const policy = writePoseModel({ name: 'so101-const', dirPrefix: 'axon-so101-const-', robot: config.name, joints: config.joints.map((j) => j.name) }, config.joints.map((j) => j.default_position ?? 0));
      const r = await runCli(['run', '--config', file, '--port', `tcp://127.0.0.1:${f.port}`, '--policy', policy, '--duration', '0.5', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(f.dropped.n).toBe(3); // the stop at close, written 3 times
      expect(f.emu.servos.every((s) => s.torqueOn)).toBe(true);
      const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(s.ended_by).toBe('fault');
      expect(s.ticks).toBeGreaterThan(0); // it ran to its duration (0.5 s of wall time: 25 ticks, fewer on a loaded host): only the stop at close failed
      expect(s.ticks).toBeLessThanOrEqual(25);
      expect(s.duration_s).toBeGreaterThanOrEqual(0.5);
      expect(s.hardware.safe_stop_unconfirmed).toEqual(ALL.split(', '));
      expect(s.hardware.events.safe_stop_unconfirmed).toBe(1);
      expect(s.hardware.faults).toEqual([`robot closed: safe stop (torque off) not confirmed on ${ALL} after 3 writes: torque may still be on there; cut servo power if that is not safe`]);
      expect(r.stderr).toContain('run ended on a robot fault');
      expect(r.stderr).toContain('torque may still be on');
    } finally {
      for (const k of f.sockets) k.destroy();
      await new Promise<void>((r) => f.server.close(() => r()));
    }
  }, 120_000);

  it('axon teleop: the follower deaf to torque off: exit 1, ended_by fault, the follower\'s servos named', async () => {
    const { file, config } = torqueOffConfig();
    const f = await deafFollower(config);
    try {
      const r = await runCli(['teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', file, '--script-leader', '--follower-port', `tcp://127.0.0.1:${f.port}`, '--hz', '50', '--duration', '0.5', '--json']);
      expect(r.code, r.stderr).toBe(1);
      expect(f.emu.servos.every((s) => s.torqueOn)).toBe(true);
      const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(s.ended_by).toBe('fault');
      expect(s.safe_stop_unconfirmed).toEqual(ALL.split(', '));
      expect(s.faults.join('\n')).toContain(`robot closed: safe stop (torque off) not confirmed on ${ALL}`);
    } finally {
      for (const k of f.sockets) k.destroy();
      await new Promise<void>((r) => f.server.close(() => r()));
    }
  }, 120_000);
});
