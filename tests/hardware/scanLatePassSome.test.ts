/**
 * `axon hw scan --protocol feetech` on a bus where some replies are late (review R25 F6): the
 * second, slower pass (50 ms per id) used to run only when nothing at all answered, so one reply
 * that made the 10 ms window ended the scan with the rest missing (1 of 6 servos listed, exit 0).
 * Now the ids that did not answer are asked again (the --ids given; without --ids those up to 31),
 * and the output says which pass found each servo.
 *
 * The bus is an emulated SO-101 served over TCP by this process; servos 3..6 answer 30 ms late
 * (an adapter's latency timer, a slow link), 1 and 2 at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { FeetechEmulator } from '../../hardware/emulator/FeetechEmulator.ts';
import { feetechServosOf, loadAnyRobotConfig } from '../../hardware/robots/openRobot.ts';
import type { FeetechRobotConfig } from '../../hardware/robots/feetechConfig.ts';
import { scanBus, socketTransport } from '../../src/cli/commands/hwServo.ts';

const LATE = new Set([3, 4, 5, 6]);

describe('hw scan: some servos answer late', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = '';
  let lines: string[] = [];

  beforeEach(async () => {
    const config = loadAnyRobotConfig('hardware/robots/so101-follower.json').config as FeetechRobotConfig;
    const emu = new FeetechEmulator({ baud: config.baud, servos: feetechServosOf(config) });
    const handle = emu.handle.bind(emu);
    // Replies from servos 3..6 are 30 ms late (more than the 10 ms margin, less than the late pass's 50 ms).
    emu.handle = (p, baud) => handle(p, baud).map((r) => (LATE.has(p.id) ? { ...r, delayS: r.delayS + 0.03 } : r));
    server = createServer((sock) => {
      sockets.push(sock);
      sock.setNoDelay(true); // as `axon hw emulate` serves it: no reply held back by Nagle
      emu.attach(socketTransport(sock, emu.baud));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
    lines = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('--ids 1-6: the ids that missed the 10 ms pass are asked again at 50 ms; all 6 listed, each with the pass that found it', async () => {
    await scanBus({ port, protocol: 'feetech', ids: [1, 2, 3, 4, 5, 6], json: true });
    const s = JSON.parse(lines.at(-1)!);
    expect(s.servos.map((x: { id: number }) => x.id)).toEqual([1, 2, 3, 4, 5, 6]); // was [1, 2]
    // Read at the late pass's margin too: model, firmware and position of every late servo.
    for (const x of s.servos) expect(x).toMatchObject({ model: 777, model_name: 'STS3215', position_ticks: 2048 });
    expect(s.late_pass).toBe(true);
    // The late pass asked exactly the ids the first did not find, and found them.
    for (const x of s.servos as { id: number; pass: number }[]) expect(x.pass === 2).toBe(s.late_pass_ids.includes(x.id));
    expect(s.servos.filter((x: { pass: number }) => x.pass === 2).length).toBeGreaterThan(0);
  }, 60_000);

  it('without --ids: ids up to 31 that did not answer are asked again, the text marks the servos the 2nd pass found and says which ids were asked once', async () => {
    await scanBus({ port, protocol: 'feetech', json: false });
    const out = lines.join('\n');
    expect(out).toMatch(/: 6 servos in \d+ ms/); // was: 2 servos
    expect(out).toMatch(/ids did not answer within the 10 ms reply margin: a second, slower pass waited 50 ms per id on them \(0, .*31\) and found [1-4] more; ids 32\.\.253 were asked once \(--ids asks them again at 50 ms\)/);
    expect(out).toContain('(2nd pass, 50 ms)');
    expect(out).toContain('reply_timeout_ms or latency_timer_ms');
  }, 60_000);
});
