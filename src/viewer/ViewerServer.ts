/**
 * The viewer's HTTP + WebSocket server: serves the page (page/), three.js from the installed
 * package through an import map (no bundler), and one WebSocket endpoint (/ws) for state frames,
 * stats and operator commands.
 *
 * Loopback only by default (127.0.0.1). Commands need the token printed on start and passed in
 * the page URL (`?token=...`); a connection without it can watch but not command. Files are
 * served only from the page folder and three's build/ and examples/jsm/ folders.
 *
 * No request can end the process the viewer serves (the run): a malformed path is 400, an error
 * while serving a request or handling a message is answered or the connection is closed, never
 * thrown out of a listener. Liveness: every connection is pinged every `pingS` (default 0.25 s);
 * `heardAt` is when it last sent anything (a message or a pong), and one not heard for
 * `timeoutS` (default 3 s) is terminated, which closes it as a disconnect would (docs/viewer.md,
 * "A page that goes silent").
 *
 * Every message is handled on the loop's own thread (`--sleep block`: one event-loop turn per tick),
 * so what one connection may make it do is bounded (docs/viewer.md, "A page that floods"): each
 * connection has a bucket of messages and one of bytes, refilled at `messagesPerS` and `bytesPerS`;
 * a message that finds either empty closes the connection (1008, the reason names the bound) before
 * it is parsed, and what it sent after is dropped unread.
 *
 * A browser may open a WebSocket to 127.0.0.1 from any site, and says which in `Origin`: an upgrade
 * whose Origin is not this viewer's own page (`http://<a name of this host>:<port>`) is refused 403
 * (cross-site WebSocket hijacking; docs/viewer.md, "Only the viewer's own page"). A client that sends
 * no Origin (a script, a test, not a browser) is not a page of another site and is let in.
 *
 * A site's own name that DNS points at 127.0.0.1 (rebinding) would make its pages this server's own
 * origin: every request and upgrade whose Host is not an IP literal, localhost, this machine's name
 * or an allowed origin's host is refused 403 first (hostAllowed; docs/viewer.md, "Only the viewer's
 * own page"). `allowOrigins` (`--allow-origin`) admits a reverse proxy's origin to both checks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { allowedHostNames, hostAllowed, ownHostNames } from './hostNames.ts';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AxonError } from '../core/errors.ts';
import { TokenBucket } from '../core/TokenBucket.ts';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
// three's main entry is build/three.cjs: the package root is two levels up.
const THREE_DIR = dirname(dirname(createRequire(import.meta.url).resolve('three')));

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.stl': 'model/stl',
  '.obj': 'model/obj',
  '.dae': 'model/vnd.collada+xml',
};

export interface ViewerServerOptions {
  /** TCP port; 0 picks a free one. Default 8090. */
  readonly port?: number;
  /** Bind address; default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Command token; default 16 random bytes, hex. */
  readonly token?: string;
  /**
   * Origins (`https://robot.example.com[:port]`, as allowOriginArg normalises them) whose pages may
   * open the WebSocket too, and whose host names the Host check accepts: an https reverse proxy in
   * front of the viewer (docs/viewer.md, "Behind a reverse proxy"). `--allow-origin URL`.
   */
  readonly allowOrigins?: readonly string[];
}

export interface ViewerClient {
  readonly socket: WebSocket;
  /** The connection presented the token: it may command. */
  readonly canCommand: boolean;
  /** When the page was last heard from (a message or a pong), steady clock, s (performance.now() / 1000). */
  readonly heardAt: number;
}

/** How a silent page is noticed: a ping every `pingS`, terminated when not heard for `timeoutS`. */
export interface ViewerLiveness {
  /** s between pings; default 0.25. */
  readonly pingS?: number;
  /** s without a message or pong before the connection is terminated; default 3. */
  readonly timeoutS?: number;
}

/**
 * What one connection may make this process do (docs/viewer.md, "A page that floods"). The page
 * sends at most about 270 messages a second (a frame request per drawn frame, answered at most every
 * 4 ms, one in flight; a velocity command every 50 ms while it changes), of under 100 bytes each.
 */
export interface ViewerLimits {
  /** Messages per second a connection may send on average; default 400. */
  readonly messagesPerS?: number;
  /** Messages it may send at once beyond the average (the bucket's size); default 400. */
  readonly burstMessages?: number;
  /** Bytes per second on average; default 65536. */
  readonly bytesPerS?: number;
  /** Bytes at once (the bucket's size); default 131072 (two messages of the 64 KiB most). */
  readonly burstBytes?: number;
  /** Steady clock (s) the buckets refill on; default performance.now() / 1000. Tests inject virtual time (style 6). */
  readonly now?: () => number;
  /**
   * Upgrades per second the whole server accepts on average, and at once (a client that floods by
   * reconnecting gets a fresh bucket each time; each connection costs a hello): beyond, 503.
   * Defaults 10 and 20. Only token-less upgrades count: one whose URL carries the token (the
   * operator's page) takes nothing from this bucket and is never refused by it.
   */
  readonly upgradesPerS?: number;
  readonly burstUpgrades?: number;
  /**
   * Bytes a connection may leave unread in its send buffer when it is sent a reply (an ack, an
   * error): beyond it the connection is closed (1008), so a client that sends but never reads
   * cannot grow this process's memory. Default 1 MiB (state frames are skipped, not queued, beyond it).
   */
  readonly maxBufferedBytes?: number;
}

type Client = { -readonly [K in keyof ViewerClient]: ViewerClient[K] } & {
  /** Messages and bytes the connection may still send (refilled on the limits' clock). */
  msgs: TokenBucket;
  bytes: TokenBucket;
  /** Closed by this server for a bound it passed: what it still sends is dropped unread. */
  refused: boolean;
};
const nowS = () => performance.now() / 1000;

export class ViewerServer {
  readonly token: string;
  readonly clients = new Set<ViewerClient>();
  /** Connections terminated because they were not heard for the timeout. */
  timedOut = 0;
  /** Connections closed because they sent more than the limits allow (docs/viewer.md, "A page that floods"). */
  closedOverLimit = 0;
  /** WebSocket upgrades refused because their Origin was another site's page. */
  originsRefused = 0;
  /** Host names (lower case; an IPv6 address in brackets) under which this server's page is its own origin. */
  private ownHosts = new Set<string>();
  /** Origins allowed besides the page's own (`allowOrigins`, lower case), and the names the Host check accepts besides IP literals and localhost. */
  private extraOrigins = new Set<string>();
  private hostNames = new Set<string>();
  /** HTTP requests and upgrades refused (403) because their Host is not a name of this viewer (DNS rebinding). */
  hostsRefused = 0;
  /** Connections refused for a bound whose close has not finished: terminated by close() too. */
  private readonly refusedSockets = new Set<WebSocket>();
  /** Extra files served by exact URL path (the robot's mesh files): nothing else outside page/ and three. */
  private readonly files = new Map<string, string>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private _port = 0;
  private host = '127.0.0.1';
  private readonly heartbeat: NodeJS.Timeout;
  private readonly pingS: number;
  private readonly timeoutS: number;
  private readonly onBeat: (() => void) | undefined;
  private lastBeat = nowS();
  private readonly msgsPerS: number;
  private readonly burstMsgs: number;
  private readonly bytesPerS: number;
  private readonly burstBytes: number;
  private readonly limitNow: () => number;
  private readonly maxBuffered: number;
  private readonly upgrades: TokenBucket;
  /** Token-less WebSocket upgrades refused (503) because they came faster than `upgradesPerS` (one carrying the token is never refused for it). */
  upgradesRefused = 0;

  constructor(
    private readonly onConnect: (c: ViewerClient) => void,
    private readonly onText: (c: ViewerClient, msg: unknown) => void,
    token?: string,
    /** `onBeat`: called after each ping round (attachViewer's velocity deadman reads `heardAt` there). */
    liveness: ViewerLiveness & { readonly onBeat?: () => void } = {},
    limits: ViewerLimits = {},
  ) {
    this.msgsPerS = limits.messagesPerS ?? 400;
    this.burstMsgs = limits.burstMessages ?? 400;
    this.bytesPerS = limits.bytesPerS ?? 64 * 1024;
    this.burstBytes = limits.burstBytes ?? 128 * 1024;
    this.limitNow = limits.now ?? nowS;
    this.maxBuffered = limits.maxBufferedBytes ?? 1 << 20;
    this.upgrades = new TokenBucket(limits.upgradesPerS ?? 10, limits.burstUpgrades ?? 20, this.limitNow());
    this.token = token ?? randomBytes(16).toString('hex');
    this.http = createServer((req, res) => {
      try {
        const refused = this.hostRefusal(req);
        if (refused !== undefined) return void res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end(refused);
        this.serve(req, res);
      } catch (e) {
        failRequest(res, e);
      }
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        const refused = this.hostRefusal(req);
        if (refused !== undefined) {
          socket.on('error', () => {});
          return void socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(refused)}\r\n\r\n${refused}`);
        }
        this.upgrade(req, socket, head);
      } catch {
        socket.destroy();
      }
    });
    this.pingS = liveness.pingS ?? 0.25;
    this.timeoutS = liveness.timeoutS ?? 3;
    this.onBeat = liveness.onBeat;
    this.heartbeat = setInterval(() => this.beat(), 1000 * this.pingS);
    this.heartbeat.unref();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = parseUrl(req.url);
    if (url === undefined || url.pathname !== '/ws') {
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 ${url === undefined ? '400 Bad Request' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.ownOrigin(origin) && !this.extraOrigins.has(origin.toLowerCase())) {
      this.originsRefused++;
      const body = `origin ${JSON.stringify(origin.slice(0, 200))} is not this viewer's page (http://127.0.0.1:${this._port}): open the URL axon printed (a reverse proxy's origin: --allow-origin URL)`;
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    // The token is in the upgrade URL: a page that carries it (the operator's) is neither counted
    // against nor refused by the server-wide upgrade bucket, so token-less clients reconnecting in a
    // loop cannot keep the operator's page out (review R23 F1; docs/viewer.md, "A page that floods").
    const canCommand = this.tokenMatches(url.searchParams.get('token'));
    if (!canCommand && !this.upgrades.take(1, this.limitNow())) {
      this.upgradesRefused++;
      socket.on('error', () => {});
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = {
        socket: ws, canCommand, heardAt: nowS(),
        msgs: new TokenBucket(this.msgsPerS, this.burstMsgs, this.limitNow()), bytes: new TokenBucket(this.bytesPerS, this.burstBytes, this.limitNow()), refused: false,
      };
      this.clients.add(client);
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
      ws.on('pong', () => (client.heardAt = nowS()));
      ws.on('message', (data, isBinary) => {
        // Before anything else, parsing included: a connection over its bounds costs no more.
        if (client.refused || !this.admit(client, byteLength(data))) return;
        client.heardAt = nowS();
        if (isBinary) return;
        let msg: unknown;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          return void this.sendText(client, errorText('expected a JSON text message'));
        }
        if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return void this.sendText(client, errorText('expected a JSON object ({"type":...})'));
        try {
          this.onText(client, msg);
        } catch (e) {
          this.sendText(client, errorText(`message not handled: ${e instanceof Error ? e.message : String(e)}`));
        }
      });
      try {
        this.onConnect(client);
      } catch {
        ws.terminate();
      }
    });
  }

  /**
   * Sends a reply (JSON text) to `c`; false when it is not open, or when it has left more than
   * `maxBufferedBytes` unread, which closes it (1008): its replies are bounded as its frames are.
   */
  sendText(c: ViewerClient, text: string): boolean {
    const ws = c.socket;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.maxBuffered) {
      this.refuse(c as Client, `not reading: over ${this.maxBuffered} bytes unsent`);
      return false;
    }
    ws.send(text);
    return true;
  }

  /** `origin` (a browser's Origin header) is this server's page: http, this port, a name of this host. */
  private ownOrigin(origin: string): boolean {
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false; // "null" (a sandboxed frame, a file: page) and anything unparsable
    }
    if (u.protocol !== 'http:' || Number(u.port || 80) !== this._port) return false;
    // As hostAllowed reads Host: a trailing dot ignored, and `localhost` / `*.localhost` (RFC 6761:
    // the browser resolves them to loopback itself, so no site can rebind them) are this host's.
    const name = u.hostname.toLowerCase().replace(/\.$/, '');
    return name === 'localhost' || name.endsWith('.localhost') || this.ownHosts.has(name);
  }

  /** Takes one message of `bytes` from `c`'s buckets; false (and `c` closed) when either is empty. */
  private admit(c: Client, bytes: number): boolean {
    const now = this.limitNow();
    const msgs = c.msgs.take(1, now);
    if (c.bytes.take(bytes, now) && msgs) return true;
    this.refuse(c, !msgs ? `over ${this.burstMsgs} messages at once or ${this.msgsPerS}/s` : `over ${this.burstBytes} bytes at once or ${this.bytesPerS} B/s`);
    return false;
  }

  /**
   * Closes `c` for a bound it passed: 1008 (policy violation) with `why` (at most 123 bytes), its
   * socket no longer read, terminated 1 s later if its close has not finished by then.
   */
  private refuse(c: Client, why: string): void {
    if (c.refused) return;
    c.refused = true;
    this.closedOverLimit++;
    this.clients.delete(c);
    const ws = c.socket;
    this.refusedSockets.add(ws);
    ws.once('close', () => this.refusedSockets.delete(ws));
    try {
      ws.close(1008, why.slice(0, 123));
      ws.pause();
    } catch {
      ws.terminate();
    }
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  /** Pings every page; one not heard for the timeout is terminated (its close event follows). */
  private beat(): void {
    const now = nowS();
    // A round that comes late means this process stalled (a long GC, a blocking call): nothing
    // could be read meanwhile, and what arrived is read after this timer, so the stall is not
    // counted as the pages' silence.
    const late = now - this.lastBeat - this.pingS;
    this.lastBeat = now;
    if (late > this.pingS) for (const c of this.clients) (c as Client).heardAt = Math.min(now, c.heardAt + late);
    for (const c of this.clients) {
      if (now - c.heardAt > this.timeoutS) {
        this.timedOut++;
        this.clients.delete(c);
        c.socket.terminate();
      } else if (c.socket.readyState === c.socket.OPEN) {
        try {
          c.socket.ping();
        } catch {
          c.socket.terminate();
        }
      }
    }
    this.onBeat?.();
  }

  get port(): number {
    return this._port;
  }

  /** The page URL, token included. */
  get url(): string {
    const h = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `http://${h.includes(':') ? `[${h}]` : h}:${this._port}/?token=${this.token}`;
  }

  async listen(o: ViewerServerOptions = {}): Promise<void> {
    this.host = o.host ?? '127.0.0.1';
    const port = o.port ?? 8090;
    await new Promise<void>((resolveListen, reject) => {
      const onError = (e: NodeJS.ErrnoException) =>
        reject(new AxonError('VIEWER_LISTEN', `${this.host}:${port}`, `cannot listen (${e.code ?? e.message})`, 'a free port for --view-port'));
      this.http.once('error', onError);
      this.http.listen(port, this.host, () => {
        this.http.off('error', onError);
        resolveListen();
      });
    });
    const a = this.http.address();
    this._port = typeof a === 'object' && a ? a.port : port;
    this.ownHosts = ownHostNames(this.host);
    this.extraOrigins = new Set((o.allowOrigins ?? []).map((x) => x.toLowerCase()));
    this.hostNames = allowedHostNames(o.allowOrigins ?? []);
  }

  /**
   * Why `req` is refused for its Host header, or undefined when it names this viewer (DNS rebinding:
   * a site's own name resolving to 127.0.0.1 makes the browser treat this server as that site, its
   * Origin then passes as the page's own). Counted in `hostsRefused`.
   */
  private hostRefusal(req: IncomingMessage): string | undefined {
    const h = req.headers.host;
    if (hostAllowed(h, this.hostNames)) return undefined;
    this.hostsRefused++;
    return `host ${JSON.stringify((h ?? '').slice(0, 200))} is not a name of this viewer (refused against DNS rebinding): open the URL axon printed, or allow a reverse proxy's name with --allow-origin URL`;
  }

  /** Serves `file` at exactly `urlPath` (e.g. /mesh/3/base.stl); only registered paths are served. */
  serveFile(urlPath: string, file: string): void {
    this.files.set(urlPath, file);
  }

  /** Sends to every client (binary frames or JSON text). */
  broadcast(data: Uint8Array | string): void {
    for (const c of this.clients) if (c.socket.readyState === c.socket.OPEN && c.socket.bufferedAmount < 1 << 20) c.socket.send(data);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.socket.terminate();
    for (const ws of this.refusedSockets) ws.terminate();
    this.clients.clear();
    this.refusedSockets.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.http.closeAllConnections?.();
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private tokenMatches(t: string | null): boolean {
    if (t === null) return false;
    const a = Buffer.from(t), b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = parseUrl(req.url);
    let p: string | undefined;
    try {
      p = url && decodeURIComponent(url.pathname);
    } catch {
      p = undefined; // a malformed %-escape
    }
    if (url === undefined || p === undefined || p.includes('\0')) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: expected a URL path such as /index.html');
      return;
    }
    let file: string | undefined;
    if (this.files.has(url.pathname)) file = this.files.get(url.pathname);
    else if (p === '/' || p === '/index.html') file = join(PAGE_DIR, 'index.html');
    else if (p.startsWith('/three/build/')) file = inside(join(THREE_DIR, 'build'), p.slice('/three/build/'.length));
    else if (p.startsWith('/three/addons/')) file = inside(join(THREE_DIR, 'examples', 'jsm'), p.slice('/three/addons/'.length));
    else file = inside(PAGE_DIR, p.slice(1));
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${p}`);
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

/** The request's URL, or undefined when it cannot be parsed (e.g. `//`, which `new URL` reads as a host-less authority). */
function parseUrl(raw: string | undefined): URL | undefined {
  const path = raw ?? '/';
  if (!path.startsWith('/') || path.startsWith('//')) return undefined;
  try {
    return new URL(path, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Size of a received message (a Buffer by default; ws may give fragments or an ArrayBuffer). */
function byteLength(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) {
    let n = 0;
    for (const b of data) n += b.length;
    return n;
  }
  return data.byteLength;
}

function errorText(message: string): string {
  return JSON.stringify({ type: 'error', message });
}

/** An error while serving one request: 500 when nothing was sent yet, else the connection is cut. */
function failRequest(res: ServerResponse, e: unknown): void {
  if (res.headersSent) res.destroy();
  else res.writeHead(500, { 'content-type': 'text/plain' }).end(`server error: ${e instanceof Error ? e.message : String(e)}`);
}

/** `rel` resolved inside `root`, or undefined when it would leave it. */
function inside(root: string, rel: string): string | undefined {
  const abs = resolve(root, normalize(rel));
  return abs.startsWith(root + sep) ? abs : undefined;
}
