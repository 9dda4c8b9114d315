/**
 * DynamixelBus reply timeouts on virtual time: a reply already queued behind the bus's own
 * timeout timer (the host stalled past the deadline while the bytes came in) is still taken,
 * as FeetechBus does: the timer gives two more event-loop turns before declaring a timeout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as P from '../../hardware/dynamixel/packet.ts';
import { DynamixelBus } from '../../hardware/dynamixel/DynamixelBus.ts';
import type { Transport, TransportHandlers } from '../../hardware/transport/Transport.ts';

/** A link whose device end answers each packet with `reply(pkt)` after `delayMs`, on the (faked) timers. */
class ScriptedLink implements Transport {
  readonly name = 'scripted://1';
  readonly baud = 1_000_000;
  isOpen = false;
  delayMs = 0;
  /** The device's answer to a packet; undefined: silent. */
  reply: (pkt: Uint8Array) => Uint8Array | undefined = () => undefined;
  private _h: TransportHandlers = {};
  async open(): Promise<void> {
    this.isOpen = true;
  }
  on(h: TransportHandlers): void {
    this._h = h;
  }
  write(bytes: Uint8Array): void {
    const r = this.reply(bytes);
    if (r) setTimeout(() => this._h.data?.(r), this.delayMs);
  }
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

const TIMEOUT_S = 0.005; // the transactions' timeout here: 5 ms

/** Advances virtual time 1 ms at a time until `p` settles (at most `maxMs`); returns its value and the virtual ms it took. */
async function settle<T>(p: Promise<T>, maxMs = 50): Promise<{ value: T; ms: number }> {
  let done = false;
  const q = p.finally(() => (done = true));
  let ms = 0;
  while (!done && ms < maxMs) {
    await vi.advanceTimersByTimeAsync(1);
    ms++;
  }
  if (!done) throw new Error(`not settled within ${maxMs} virtual ms`);
  return { value: await q, ms };
}

async function rig() {
  const link = new ScriptedLink();
  const bus = new DynamixelBus(link, { replyMarginS: TIMEOUT_S });
  await bus.open();
  return { link, bus };
}

describe('DynamixelBus reply timeout (virtual time)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes a reply that arrives at the very deadline, queued behind the timeout timer', async () => {
    const { link, bus } = await rig();
    link.reply = () => P.encodeStatus(1, 0, [0xfc, 0x03, 46]);
    link.delayMs = TIMEOUT_S * 1000; // due together with the bus's timer, created after it: runs after it
    const { value: r } = await settle(bus.transact(P.ping(1), 1, TIMEOUT_S, [1]));
    expect(r.map((p) => p.id)).toEqual([1]);
    expect(bus.stats.timeouts).toBe(0);
  });

  it('still times out a silent servo, once, and a later reply is not taken', async () => {
    const { link, bus } = await rig();
    link.reply = () => P.encodeStatus(1, 0, [0xfc, 0x03, 46]);
    link.delayMs = TIMEOUT_S * 1000 + 2; // 2 ms past the deadline: beyond the two turns
    const late = await settle(bus.transact(P.ping(1), 1, TIMEOUT_S, [1]));
    expect(late.value).toEqual([]);
    expect(late.ms).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 2); // the two turns cost no virtual time (+2: this loop notices a settled promise late)
    expect(bus.stats.timeouts).toBe(1);
    await settle(new Promise((r) => setTimeout(r, 5))); // the late reply comes in, to nobody

    link.reply = () => undefined;
    expect((await settle(bus.transact(P.ping(2), 1, TIMEOUT_S, [2]))).value).toEqual([]);
    expect(bus.stats.timeouts).toBe(2);
  });

  it('sync read: the last of three replies at the deadline completes the read', async () => {
    const { link, bus } = await rig();
    link.reply = (pkt) => (pkt[7] === P.Inst.SyncRead ? Uint8Array.from([...P.encodeStatus(1, 0, P.le(2048, 4)), ...P.encodeStatus(2, 0, P.le(2049, 4)), ...P.encodeStatus(3, 0, P.le(2050, 4))]) : undefined);
    link.delayMs = TIMEOUT_S * 1000;
    const { value: r } = await settle(bus.transact(P.syncRead(132, 4, [1, 2, 3]), 3, TIMEOUT_S, [1, 2, 3]));
    expect(r.map((p) => P.readLe(p.params, 0, 4))).toEqual([2048, 2049, 2050]);
    expect(bus.stats.timeouts).toBe(0);
  });
});
