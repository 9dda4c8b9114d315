/**
 * A follower fault during `axon teleop` ends the run as a robot fault ends `axon run`: a
 * protective safe-stop with the fault as its reason (not an e-stop), `ended_by: "fault"`, exit 1.
 * The follower is an emulated SO-101 served over TCP by this process, so the test can make one of
 * its servos report overload mid-run; the leader is the scripted emulated one.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { StatusBit } from '../../hardware/feetech/packet.ts';
import { feetechServosOf, loadAnyRobotConfig } from '../../hardware/robots/openRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { socketTransport } from '../../src/cli/commands/hwServo.ts';
import { readRecording } from '../../src/record/index.ts';
import { CLI, waitFor } from './helpers/spawnCli.ts';

const FOLLOWER = 'hardware/robots/so101-follower.json';

describe('axon teleop: a follower fault mid-run', () => {
  it('ends in safe-stop with the fault as reason, ended_by fault, exit 1', async () => {
    const config = loadAnyRobotConfig(FOLLOWER).config as FeetechRobotConfig;
    const emu = new FeetechEmulator({ baud: config.baud, servos: feetechServosOf(config) });
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      sockets.push(sock);
      emu.attach(socketTransport(sock, emu.baud));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const file = join(mkdtempSync(join(tmpdir(), 'axon-teleop-fault-')), 'teleop.mcap');
    const child = spawn(process.execPath, [...CLI, 'teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', FOLLOWER, '--script-leader', '--follower-port', `tcp://127.0.0.1:${port}`, '--hz', '50', '--duration', '60', '--record', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // Mid-run: the follower's torque is on and the loop has exchanged packets with it for a while.
      await waitFor(() => (emu.servos.some((s) => s.torqueOn) ? true : undefined), 60_000);
      const from = emu.stats.received;
      await waitFor(() => (emu.stats.received > from + 100 ? true : undefined), 60_000);
      emu.injectFault(3, StatusBit.overload);
      const code = await exit;
      expect(code, stderr).toBe(1); // a fault fails the run, as before
      expect(stderr).toContain('teleop ended on a robot fault');
      const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
      expect(s.ended_by).toBe('fault');
      expect(s.safety.state).toBe('safe-stop');
      expect(s.safety.events.estop).toBeUndefined();
      expect(s.faults.join('\n')).toMatch(/elbow_flex \(id 3\): servo status overload/);
      expect(s.ticks).toBeLessThan(60 * 50); // the fault ended it, not the duration
      // The stop's reason is the fault (read back from the recording's safety events).
      const rec = await readRecording(file);
      const stop = rec.events.find((e) => e.kind === 'safe_stop');
      expect(stop?.reason).toMatch(/^follower fault: .*elbow_flex \(id 3\): servo status overload/);
      expect(stop?.state).toBe('safe-stop');
      // One clock for the run: the follower's reads are stamped on the loop's clock (useClock),
      // completed before the tick that used them ran (its time is its deadline; it ran `lateness`
      // after it: under load a read can complete in between) and no older than a few periods.
      expect(rec.ticks.length).toBeGreaterThan(20);
      for (const t of rec.ticks) {
        expect(t.observation.time).toBeLessThanOrEqual(t.time + t.latenessUs / 1e6 + 2e-6);
        expect(t.time - t.observation.time).toBeLessThan(0.1);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exit;
      for (const k of sockets) k.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 150_000);
});
