/**
 * Which WebSocket upgrades the bridge server lets in (docs/bridge.md, "A client that floods";
 * hardware/PROTOCOL.md section 1, "Bounds"), decided before the handshake: one from a browser page
 * whose `Origin` is not allowed is refused 403; one without the token (`authorization: Bearer`) is
 * refused 503 beyond `maxTokenlessConnections` open or the server-wide upgrade bucket; one with the
 * token is never refused for a bound, so a token-less process cannot keep a token holder out.
 * Refusals are counted, and told as an 'upgrades_refused' event at most once a second.
 *
 * Real-time rules: runs once per upgrade, never on the tick.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TokenBucket } from '../../src/core/TokenBucket.ts';
import type { BridgeServerEvent } from './serverEvents.ts';
import type { ResolvedLimits } from './serverOptions.ts';
import { tokenMatches } from './tokens.ts';

/** The token of an `authorization: Bearer TOKEN` header; undefined when there is none. */
export function bearerToken(h: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(h);
  return m ? m[1] : undefined;
}

export class UpgradeGate {
  originsRefused = 0;
  upgradesRefused = 0;
  private readonly _upgrades: TokenBucket;
  /** Refused upgrades not told yet, the latest of them, and when the last event went out (s). */
  private _untold = 0;
  private _toldAt = -Infinity;
  private _last: { status: number; remote: string; why: string } | undefined;

  constructor(
    private readonly _o: {
      readonly token: string;
      readonly limits: ResolvedLimits;
      readonly allowOrigins: ReadonlySet<string>;
      readonly now: () => number;
      readonly event: (e: BridgeServerEvent) => void;
    },
  ) {
    this._upgrades = new TokenBucket(_o.limits.upgradesPerS, _o.limits.burstUpgrades, _o.now());
  }

  /**
   * Whether the upgrade `req` may go on, given the connections without the token open now: false
   * when it was refused (its socket answered and ended); else whether it carried the token.
   */
  admit(req: IncomingMessage, socket: Duplex, tokenless: () => number): false | { readonly withToken: boolean } {
    const origin = req.headers.origin;
    if (origin !== undefined && !this._o.allowOrigins.has(origin.toLowerCase())) {
      this.originsRefused++;
      this._tell(req, 403, `origin ${JSON.stringify(origin.slice(0, 200))} not allowed`);
      const body = `origin ${JSON.stringify(origin.slice(0, 200))} may not connect: a web page in this machine's browser is not a bridge client (BridgeServer allowOrigins; docs/bridge.md)`;
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return false;
    }
    const offered = bearerToken(req.headers.authorization);
    const withToken = offered !== undefined && tokenMatches(offered, this._o.token);
    if (withToken) return { withToken };
    const l = this._o.limits;
    if (tokenless() >= l.maxTokenlessConnections) return this._busy(req, socket, `${l.maxTokenlessConnections} connections without the token already open`);
    if (!this._upgrades.take(1, this._o.now())) return this._busy(req, socket, `over ${l.burstUpgrades} new connections at once or ${l.upgradesPerS}/s without the token`);
    return { withToken };
  }

  /** Tells the refusals not told yet when a second has passed since the last event (`force`: now). */
  flush(force = false): void {
    const now = this._o.now();
    if (this._untold === 0 || this._last === undefined || (!force && now - this._toldAt < 1)) return;
    this._o.event({ kind: 'upgrades_refused', ...this._last, count: this._untold, time: now });
    this._untold = 0;
    this._toldAt = now;
  }

  /** Refuses an upgrade 503 (`retry-after: 1`) with `why` in its body. */
  private _busy(req: IncomingMessage, socket: Duplex, why: string): false {
    this.upgradesRefused++;
    this._tell(req, 503, why);
    const body = `axon bridge busy: ${why}; retry, or connect with the token (authorization: Bearer; hardware/PROTOCOL.md section 1)`;
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    return false;
  }

  /** Counts a refused upgrade; one 'upgrades_refused' event a second at most, with the count since the last. */
  private _tell(req: IncomingMessage, status: number, why: string): void {
    this._untold++;
    this._last = { status, remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, why };
    this.flush();
  }
}
