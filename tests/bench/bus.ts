/**
 * Dynamixel bus cycle benchmark (`npm run bench`, or `npx tsx tests/bench/bus.ts` alone).
 *
 * One cycle = sync write of goal positions (4 bytes per servo) + sync read of present current,
 * velocity and position (10 bytes per servo), as DynamixelRobot does each tick. Measured against
 * the in-process emulator over the in-memory transport, so the figure is axon's own cost per
 * cycle (encode, decode, CRC, event-loop turns, plus the emulator's work). Next to it, the
 * wire-time limit computed from the bytes on the wire at 1 and 4 Mbps (10 bits per byte, Return
 * Delay Time 0): a real bus cannot cycle faster than that, whatever the host does. The achievable
 * loop rate is 1 / (wire time + measured cycle), the conservative sum.
 */
import { performance } from 'node:perf_hooks';
import { DynamixelBus, cycleBytes } from '../../hardware/dynamixel/DynamixelBus.ts';
import { DynamixelEmulator, defaultServos } from '../../hardware/emulator/DynamixelEmulator.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { wireTime } from '../../hardware/transport/Transport.ts';
import { PRESENT_BLOCK } from '../../hardware/dynamixel/controlTable.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

async function cycle(n: number, fast: boolean, cycles: number): Promise<{ p50: number; p99: number; failed: number }> {
  const emu = new DynamixelEmulator({ servos: defaultServos(n) });
  const [host, dev] = memoryPair('bench');
  await dev.open();
  emu.attach(dev);
  const bus = new DynamixelBus(host);
  await bus.open();
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const goals = new Uint8Array(n * 4);
  const out = new Uint8Array(n * PRESENT_BLOCK.length);
  const times = new Float64Array(cycles);
  let failed = 0;
  for (let i = -200; i < cycles; i++) {
    const t0 = performance.now();
    await bus.syncWrite(116, 4, ids, goals);
    const r = await bus.syncRead(PRESENT_BLOCK.address, PRESENT_BLOCK.length, ids, out, t0 / 1000 + 0.05, fast);
    if (!r.ok) failed++;
    if (i >= 0) times[i] = (performance.now() - t0) / 1000;
  }
  await bus.close();
  const s = Array.from(times).sort((a, b) => a - b);
  return { p50: s[Math.floor(cycles * 0.5)], p99: s[Math.floor(cycles * 0.99)], failed };
}

export async function benchBus(cycles = 2000): Promise<void> {
  for (const n of [6, 12, 20]) {
    for (const fast of [false, true]) {
      const c = await cycle(n, fast, cycles);
      const bytes = cycleBytes(n, PRESENT_BLOCK.length, 4, fast);
      const total = bytes.out + bytes.in;
      const parts = [1_000_000, 4_000_000].map((baud) => {
        const w = wireTime(total, baud);
        return `${baud / 1e6} Mbps wire ${(w * 1e6).toFixed(0)} µs -> ≤ ${Math.round(1 / w)} Hz, achievable ${Math.round(1 / (w + c.p50))} Hz`;
      });
      line(`bus cycle ${String(n).padStart(2)} servos, ${fast ? 'fast sync read' : 'sync read     '}`, `${total} B; axon cycle p50 ${(c.p50 * 1e6).toFixed(0)} µs p99 ${(c.p99 * 1e6).toFixed(0)} µs${c.failed ? ` (${c.failed} reads past the 10 ms reply margin: host stalls)` : ''}; ${parts.join('; ')}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchBus();
