/** Helpers for the bridge tests: a raw protocol client, a cuttable TCP proxy, polling. */
import { afterEach } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import { BridgeServer, type BridgeServerEvent, type BridgeServerOptions } from '../../../hardware/bridge/BridgeServer.ts';
import { createSimRobot } from '../../../sim/index.ts';

/** A server on a free loopback port, timer-paced (poll with no spin: tests share the CPU; no timing thread to start) unless `o` says otherwise. */
export function startServer(o: Partial<BridgeServerOptions> = {}): Promise<BridgeServer> {
  const timerOnly = o.pacing === undefined && o.now === undefined ? { pacing: 'poll' as const, spinMarginS: 0 } : {};
  return BridgeServer.listen({ robot: o.robot ?? createSimRobot('pendulum'), port: 0, token: 'secret-token', ...timerOnly, ...o });
}

/** Polls `pred` every 5 ms until true or `timeoutMs` passes (then throws with `what`). */
export async function waitUntil(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Collects a server's events. */
export function record(server: BridgeServer): BridgeServerEvent[] {
  const events: BridgeServerEvent[] = [];
  server.events$.subscribe((e) => events.push(e));
  return events;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** A client that speaks the protocol by hand: raw frames and JSON, everything it receives kept. */
export class RawClient {
  readonly messages: Json[] = [];
  readonly frames: Buffer[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.frames.push(data as Buffer);
      else this.messages.push(JSON.parse((data as Buffer).toString('utf8')) as Json);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', () => {});
  }

  /** Opens and waits for the hello. */
  static async open(url: string, protocols: string[] = [SUBPROTOCOL]): Promise<RawClient> {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const c = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await c.next((m) => m.type === 'hello');
    return c;
  }

  get hello(): Json {
    return this.messages[0];
  }

  json(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  bin(b: Buffer): void {
    this.ws.send(b, { binary: true });
  }

  /** The first message from index `from` on that `pred` accepts (waits up to 3 s). */
  async next(pred: (m: Json) => boolean, from = 0, timeoutMs = 3000): Promise<Json> {
    let found: Json | undefined;
    await waitUntil(() => (found = this.messages.slice(from).find(pred)) !== undefined, 'a matching message', timeoutMs);
    return found!;
  }

  /** Sends, then waits for the next error message. */
  async errorAfter(send: () => void): Promise<Json> {
    const from = this.messages.length;
    send();
    return this.next((m) => m.type === 'error', from);
  }

  async auth(token: string | undefined, role: 'command' | 'observe'): Promise<Json> {
    const from = this.messages.length;
    this.json(token === undefined ? { type: 'auth', role } : { type: 'auth', token, role });
    return this.next((m) => m.type === 'auth_ok' || m.type === 'error', from);
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * A TCP proxy in front of a server: `cut()` drops every connection (the link breaks),
 * `freeze()` stops forwarding on the open ones without closing them (the link goes silent);
 * new connections always go through.
 */
export class Proxy {
  private readonly pairs: { a: Socket; b: Socket }[] = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<Proxy> {
    let proxy: Proxy | undefined;
    const server = createServer((a) => {
      const b = connect(targetPort, '127.0.0.1');
      // No Nagle: a small frame is forwarded at once, not held for the peer's delayed ACK (~40 ms).
      a.setNoDelay(true);
      b.setNoDelay(true);
      a.on('error', () => b.destroy());
      b.on('error', () => a.destroy());
      a.pipe(b);
      b.pipe(a);
      proxy!.pairs.push({ a, b });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    proxy = new Proxy(server, typeof addr === 'object' && addr ? addr.port : 0);
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  cut(): void {
    for (const { a, b } of this.pairs.splice(0)) {
      a.destroy();
      b.destroy();
    }
  }

  freeze(): void {
    for (const { a, b } of this.pairs.splice(0)) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
      // Keep them open (a silent link); destroyed at close().
      this.frozen.push(a, b);
    }
  }

  private readonly frozen: Socket[] = [];

  /** Holds what the server sends (kept in order, none lost) until release(): a client that does not read. */
  hold(): void {
    for (const { a, b } of this.pairs) {
      b.unpipe(a);
      b.pause();
    }
  }

  release(): void {
    for (const { a, b } of this.pairs) {
      b.pipe(a);
      b.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    for (const s of this.frozen) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

type Closable = { close(): Promise<void> | void };

/** A `keep(x)` that closes each x it is given after the test, the last kept first. Call once per file. */
export function closedAfterEach(): <T extends Closable>(x: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });
  return (x) => (open.push(x), x);
}
