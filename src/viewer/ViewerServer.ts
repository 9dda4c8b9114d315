/**
 * The viewer's HTTP + WebSocket server: serves the page (page/), three.js from the installed
 * package through an import map (no bundler), and one WebSocket endpoint (/ws) for state frames,
 * stats and operator commands.
 *
 * Loopback only by default (127.0.0.1). Commands need the token printed on start and passed in
 * the page URL (`?token=...`); a connection without it can watch but not command. Files are
 * served only from the page folder and three's build/ and examples/jsm/ folders.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { AxonError } from '../core/errors.ts';

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
}

export interface ViewerClient {
  readonly socket: WebSocket;
  /** The connection presented the token: it may command. */
  readonly canCommand: boolean;
}

export class ViewerServer {
  readonly token: string;
  readonly clients = new Set<ViewerClient>();
  /** Extra files served by exact URL path (the robot's mesh files): nothing else outside page/ and three. */
  private readonly files = new Map<string, string>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private _port = 0;
  private host = '127.0.0.1';

  constructor(
    private readonly onConnect: (c: ViewerClient) => void,
    private readonly onText: (c: ViewerClient, msg: unknown) => void,
    token?: string,
  ) {
    this.token = token ?? randomBytes(16).toString('hex');
    this.http = createServer((req, res) => this.serve(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const client: ViewerClient = { socket: ws, canCommand: this.tokenMatches(url.searchParams.get('token')) };
        this.clients.add(client);
        ws.on('close', () => this.clients.delete(client));
        ws.on('error', () => this.clients.delete(client));
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          let msg: unknown;
          try {
            msg = JSON.parse(data.toString());
          } catch {
            ws.send(JSON.stringify({ type: 'error', message: 'expected a JSON text message' }));
            return;
          }
          this.onText(client, msg);
        });
        this.onConnect(client);
      });
    });
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
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
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
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file: string | undefined;
    const p = decodeURIComponent(url.pathname);
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
    createReadStream(file).pipe(res);
  }
}

/** `rel` resolved inside `root`, or undefined when it would leave it. */
function inside(root: string, rel: string): string | undefined {
  const abs = resolve(root, normalize(rel));
  return abs.startsWith(root + sep) ? abs : undefined;
}
