/**
 * A fault-injecting link between a servo robot (or bus) and an emulated bus, on the host side:
 * it decodes every request the host sends and every reply the servos send with the repo's own
 * decoders, lets a test drop, rewrite or add packets, and re-encodes what it passes with the
 * protocol's own encoder (a real checksum / CRC: the host sees a valid packet). The in-process
 * form of review R25's TCP proxies (/tmp/s16/r25/proxy.mjs, dxlproxy.ts).
 */
import type { Transport, TransportHandlers } from '../../../hardware/transport/Transport.ts';
import { FeetechPacketDecoder } from '../../../hardware/feetech/PacketDecoder.ts';
import { encodeStatus as feetechStatus } from '../../../hardware/feetech/packet.ts';
import { PacketDecoder } from '../../../hardware/dynamixel/PacketDecoder.ts';
import { encodeStatus as dxlStatus } from '../../../hardware/dynamixel/packet.ts';

/** A packet either way: `code` is a request's instruction, or a reply's status byte (Feetech) / error byte (Dynamixel). */
export interface Pkt {
  readonly id: number;
  readonly code: number;
  readonly params: Uint8Array;
}

export interface FaultHooks {
  /** A request the host sends: false drops it (never reaches the servos). */
  request?: (req: Pkt) => boolean;
  /** A reply on its way to the host (`req`: the last request sent): the reply to pass (maybe rewritten), or null to drop it. */
  reply?: (rep: Pkt, req: Pkt | undefined) => Pkt | null;
}

export type Protocol = 'feetech' | 'dynamixel';

/** Request address: Feetech `INST ADDR ...`; Dynamixel `INST ADDR_L ADDR_H ...`. */
export function addressOf(protocol: Protocol, req: Pkt | undefined): number {
  if (!req) return -1;
  return protocol === 'feetech' ? req.params[0] : req.params[0] | (req.params[1] << 8);
}

export class FaultLink implements Transport {
  /** The last request the host sent. */
  lastRequest: Pkt | undefined;
  private _h: TransportHandlers = {};
  private _drop = false;
  private readonly _req: { push(c: Uint8Array): void };
  private readonly _rep: { push(c: Uint8Array): void };

  constructor(
    private readonly inner: Transport,
    readonly protocol: Protocol,
    public hooks: FaultHooks = {},
  ) {
    const takeReq = (p: Pkt) => {
      this.lastRequest = p;
      if (this.hooks.request && !this.hooks.request(p)) this._drop = true;
    };
    const takeRep = (p: Pkt) => {
      const q = this.hooks.reply ? this.hooks.reply(p, this.lastRequest) : p;
      if (q) this._h.data?.(this.encode(q));
    };
    if (protocol === 'feetech') {
      this._req = new FeetechPacketDecoder((p) => takeReq({ id: p.id, code: p.code, params: p.params.slice() }));
      this._rep = new FeetechPacketDecoder((p) => takeRep({ id: p.id, code: p.code, params: p.params.slice() }));
    } else {
      this._req = new PacketDecoder((p) => takeReq({ id: p.id, code: p.instruction, params: p.params.slice() }));
      this._rep = new PacketDecoder((p) => takeRep({ id: p.id, code: p.error, params: p.params.slice() }));
    }
  }

  /** A reply's bytes, with its checksum / CRC computed. */
  encode(p: Pkt): Uint8Array {
    return this.protocol === 'feetech' ? feetechStatus(p.id, p.code, p.params) : dxlStatus(p.id, p.code, p.params);
  }

  /** Sends a packet to the servos as if the host had (another writer on the bus). */
  inject(bytes: Uint8Array): void {
    this.inner.write(bytes);
  }

  /** The link fails on its own, as an unplugged adapter's does (the host's close handler, with `err`). */
  lose(err = new Error('port closed (device unplugged?)')): void {
    this._h.close?.(err);
  }

  get name() {
    return this.inner.name;
  }
  get baud() {
    return this.inner.baud;
  }
  get isOpen() {
    return this.inner.isOpen;
  }
  open() {
    return this.inner.open();
  }
  close() {
    return this.inner.close();
  }
  on(h: TransportHandlers): void {
    this._h = h;
    this.inner.on({ ...h, data: (c) => this._rep.push(c) });
  }
  write(bytes: Uint8Array): void {
    this._drop = false;
    this._req.push(bytes);
    if (!this._drop) this.inner.write(bytes);
  }
}
