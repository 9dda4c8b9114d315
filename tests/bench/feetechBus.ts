/**
 * Feetech bus cycle benchmark (`npm run bench`, or `npx tsx tests/bench/feetechBus.ts` alone).
 *
 * One cycle = sync write (0x83) of goal positions (2 bytes per servo) + sync read (0x82) of present
 * position, speed and load (6 bytes per servo), as FeetechRobot does each tick. Measured against the
 * in-process Feetech emulator over the in-memory transport: axon's own cost per cycle (encode,
 * decode, checksum, event-loop turns, the emulator's work). Next to it the wire-time limit from the
 * bytes on the wire at 1 Mbps (the STS3215's fastest rate; 10 bits per byte, Return Delay Time 0),
 * which a real bus cannot beat whatever the host does, and 1 / (wire + measured) as the
 * achievable rate (the conservative sum). Optionally with a Return Delay Time per reply.
 */
import { performance } from 'node:perf_hooks';
import { FeetechBus, feetechCycleBytes } from '../../hardware/feetech/FeetechBus.ts';
import { FeetechEmulator, defaultStsServos } from '../../hardware/emulator/FeetechEmulator.ts';
import { FEETECH_PRESENT_BLOCK } from '../../hardware/feetech/controlTable.ts';
import { memoryPair } from '../../hardware/transport/MemoryTransport.ts';
import { wireTime } from '../../hardware/transport/Transport.ts';

const line = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

async function cycle(n: number, cycles: number): Promise<{ p50: number; p99: number; failed: number }> {
  const emu = new FeetechEmulator({ servos: defaultStsServos(n) });
  const [host, dev] = memoryPair('bench-feetech');
  await dev.open();
  emu.attach(dev);
  const bus = new FeetechBus(host);
  await bus.open();
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const goals = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) goals.set([0x00, 0x08], i * 2); // 2048
  const out = new Uint8Array(n * FEETECH_PRESENT_BLOCK.length);
  const times = new Float64Array(cycles);
  let failed = 0;
  for (let i = -200; i < cycles; i++) {
    const t0 = performance.now();
    await bus.syncWrite(42, 2, ids, goals);
    const r = await bus.syncRead(FEETECH_PRESENT_BLOCK.address, FEETECH_PRESENT_BLOCK.length, ids, out, t0 / 1000 + 0.05);
    if (!r.ok) failed++;
    if (i >= 0) times[i] = (performance.now() - t0) / 1000;
  }
  await bus.close();
  const s = Array.from(times).sort((a, b) => a - b);
  return { p50: s[Math.floor(cycles * 0.5)], p99: s[Math.floor(cycles * 0.99)], failed };
}

export async function benchFeetechBus(cycles = 2000): Promise<void> {
  for (const n of [6, 12]) {
    const c = await cycle(n, cycles);
    const bytes = feetechCycleBytes(n, FEETECH_PRESENT_BLOCK.length, 2);
    const total = bytes.out + bytes.in;
    const w = wireTime(total, 1_000_000);
    const rdt = n * 0.0005; // factory Return Delay Time of some STS firmware: 250 x 2 µs per reply
    line(`feetech bus cycle ${String(n).padStart(2)} servos (sync read)`,
      `${total} B; axon cycle p50 ${(c.p50 * 1e6).toFixed(0)} µs p99 ${(c.p99 * 1e6).toFixed(0)} µs${c.failed ? ` (${c.failed} reads past the 10 ms reply margin: host stalls)` : ''}; 1 Mbps wire ${(w * 1e6).toFixed(0)} µs -> ≤ ${Math.round(1 / w)} Hz, achievable ${Math.round(1 / (w + c.p50))} Hz (${Math.round(1 / (w + rdt + c.p50))} Hz with Return Delay Time 500 µs)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFeetechBus();
