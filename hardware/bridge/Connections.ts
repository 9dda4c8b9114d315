/**
 * The bridge server's connections and auth: the HTTP server and its WebSocket upgrade (the
 * subprotocol checked before the handshake), one Client per connection with its hello,
 * heartbeats and their timeout, rate-limited error replies, the token and the roles (one
 * commander at a time), and state and status broadcasts.
 *
 * What a message means is the server's (BridgeServer): it gets each message with `onMessage`,
 * and hears through `commanderLost` / `commanderSteppedDown` when the commander is gone or an
 * observer now, to stop or release the robot.
 *
 * What a client may make this thread do is bounded (docs/bridge.md, "A client that floods"): the
 * robot's loop runs on it, so each connection has a bucket of messages and one of bytes, checked
 * before a message is read; one that finds either empty closes the connection (1008) unread (an
 * estop in it is applied first: stopping is always allowed). Upgrades without the token are
 * bounded server-wide, in rate and in connections open (503); one that carries the token
 * (`authorization: Bearer`) is not, so a token-less process cannot keep a token holder out. A client that leaves over `maxBufferedBytes` unread when it is sent a reply is closed
 * (1008), and an upgrade from a browser page (an `Origin` header) not in `allowOrigins` is refused
 * 403 (cross-site WebSocket hijacking; a Node client sends no Origin). A plain HTTP request is
 * answered by httpEstop.ts: `POST /estop` stops the robot outside every bound above.
 *
 * Real-time rules: `broadcastState` (once per state frame) and the message check allocate nothing;
 * everything else runs on connection, control messages and errors.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { BridgeError } from './BridgeError.ts';
import type { BridgeServerEvent } from './serverEvents.ts';
import type { HelloMessage } from './messages.ts';
import { CloseCode, ErrorCode, errorName, HTTP_VERSION_MISMATCH, MAX_ESTOP_BYTES, MAX_MESSAGE_BYTES, SUBPROTOCOL, VERSIONS_HEADER, type Role, type RobotState } from './protocol.ts';
import type { ServerCounts } from './ServerStats.ts';
import { tokenMatches } from './tokens.ts';
import { UpgradeGate } from './UpgradeGate.ts';
import { answerHttp, type HttpEstopRules } from './httpEstop.ts';
import type { ResolvedLimits } from './serverOptions.ts';
import { TokenBucket } from '../../src/core/TokenBucket.ts';

/** One connection. */
export interface Client {
  readonly id: number;
  readonly ws: WebSocket;
  readonly remote: string;
  /** Its upgrade carried the token (`authorization: Bearer`): it took no upgrade slot and is not token-less (PROTOCOL.md section 1). */
  readonly upgradeToken: boolean;
  authed: boolean;
  observing: boolean;
  /** Timed out or over a bound: being closed, what it sends ignored meanwhile. */
  dead: boolean;
  /** Messages and bytes it may still send (refilled on the server's clock): the token-less pair until it authenticates. */
  msgs: TokenBucket;
  bytes: TokenBucket;
  lastHeard: number;
  /** Error replies left in this second (rate limit), and when the budget refills. */
  errorBudget: number;
  budgetAt: number;
  suppressed: number;
  dropped: number;
  /** Seq of the last command frame accepted from this connection (0: none yet). */
  lastSeq: number;
  /**
   * Command frames refused ROBOT_STOPPED since the robot's state last changed, and that state:
   * the first the error budget lets through is logged (a 'refused' event, `stopLogged`), the
   * others (`stopRefusals`) are one 'refusals' event at the next state change or when the
   * connection closes (flushRefusals).
   */
  stopRefusals: number;
  stopLogged: boolean;
  stopRefusedIn: RobotState | undefined;
}

export interface ConnectionsOptions {
  readonly token: string;
  readonly observeWithoutToken: boolean;
  readonly heartbeatIntervalS: number;
  readonly heartbeatTimeoutS: number;
  readonly counts: ServerCounts;
  readonly limits: ResolvedLimits;
  /** Browser origins allowed to connect (lower case, as URL.origin writes them). */
  readonly allowOrigins: ReadonlySet<string>;
  /** Server steady time (s). */
  readonly now: () => number;
  readonly event: (e: BridgeServerEvent) => void;
  /** An e-stop needs the token (over HTTP too: hardware/bridge/httpEstop.ts). */
  readonly stopNeedsToken: boolean;
  /** Applies an e-stop that came as `POST /estop` (already checked); answers the robot's state after it. */
  readonly httpEstop: HttpEstopRules['estop'];
  /** The hello a new connection gets. */
  readonly hello: (c: Client) => HelloMessage;
  /** A message from a live client (binary: a command frame; text: a control message). Throwing gets an INTERNAL error reply. */
  readonly onMessage: (c: Client, data: Buffer, isBinary: boolean) => void;
  /** A text message over MAX_MESSAGE_BYTES, or over the client's buckets, that names "estop": applied only if it is an estop (the socket is closed after). */
  readonly onOversizeText: (c: Client, text: string) => void;
  /** The commander closed or went silent (its role is already free). */
  readonly commanderLost: (c: Client, why: string) => void;
  /** The commander authenticated again as an observer (its role is already free). */
  readonly commanderSteppedDown: (c: Client) => void;
}

const ERRORS_PER_S = 20;
/** Above this much unsent data a client gets no state frames until it drains (bytes). */
const MAX_BUFFERED = 256 * 1024;
const _binary = { binary: true } as const;
const _estopWord = Buffer.from('"estop"');
/** `"estop"` with its last letters literal, and a JSON escape (`"\u0065stop"` is the same string). */
const _stopEnd = Buffer.from('stop"');
const _escape = Buffer.from('\\u');
/** Whether a text message over a bound may be an estop, so is worth parsing (PROTOCOL.md section 1): it names "estop", however it writes it. */
const mayBeEstop = (data: Buffer): boolean => data.includes(_estopWord) || data.includes(_stopEnd) || data.includes(_escape);

export class Connections {
  readonly clients = new Set<Client>();
  /** The commanding client, if any. */
  commander: Client | undefined;
  private readonly _http: Server;
  private readonly _wss: WebSocketServer;
  private _nextId = 1;
  private _closed = false;
  private _heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly _o: ConnectionsOptions;
  private readonly _gate: UpgradeGate;
  /** Connections closed for a bound (a bucket, the send buffer). */
  closedOverLimit = 0;
  /** Upgrades refused for their Origin (403), for a bound on new connections (503). */
  get originsRefused(): number {
    return this._gate.originsRefused;
  }
  get upgradesRefused(): number {
    return this._gate.upgradesRefused;
  }

  constructor(o: ConnectionsOptions) {
    this._o = o;
    this._gate = new UpgradeGate(o);
    this._wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_ESTOP_BYTES, // MAX_MESSAGE_BYTES is enforced per message, after an estop is seen (_tooBig)
      perMessageDeflate: false,
      autoPong: false, // a ping is answered after it passed the connection's buckets ('ping' below)
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    const httpRules: HttpEstopRules = { token: o.token, stopNeedsToken: o.stopNeedsToken, allowOrigins: o.allowOrigins, estop: o.httpEstop };
    this._http = createServer((req, res) => answerHttp(req, res, httpRules));
    this._http.on('upgrade', (req, socket, head) => this._onUpgrade(req, socket, head));
    // Every socket, upgraded or not: close() destroys what is left, so that a socket that is in
    // no client list (one mid-handshake, one refused) cannot hold the port, and the process, open.
    this._http.on('connection', (socket) => {
      this._sockets.add(socket);
      socket.once('close', () => this._sockets.delete(socket));
    });
  }

  private readonly _sockets = new Set<Duplex>();

  /** Binds; resolves with the port bound. Rejects with BridgeError BRIDGE_LISTEN. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) =>
        reject(new BridgeError('BRIDGE_LISTEN', `${host}:${port}`, `cannot listen: ${e.code ?? e.message}`, 'a free port on an interface of this machine'));
      this._http.once('error', onError);
      this._http.listen(port, host, () => {
        this._http.off('error', onError);
        resolve();
      });
    });
    const addr = this._http.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  /** Heartbeats every interval on a timer (paced servers). */
  startHeartbeats(): void {
    this._heartbeatTimer = setInterval(() => this.heartbeat(), this._o.heartbeatIntervalS * 1000);
  }

  /** One heartbeat round now: send heartbeats, time out silent clients (they lose their role at once). */
  heartbeat(): void {
    const now = this._o.now();
    const msg = JSON.stringify({ type: 'heartbeat', time: now });
    this._gate.flush(); // refused upgrades of a burst that stopped: told within a second
    for (const c of this.clients) {
      if (now - c.lastHeard > this._o.heartbeatTimeoutS) {
        if (!c.dead) {
          // Silent peer: it loses its role now, not when a close handshake it cannot answer gives up.
          const why = `heartbeat timeout: nothing heard for ${(now - c.lastHeard).toFixed(3)} s`;
          c.dead = true;
          c.observing = false;
          this._loseCommander(c, why);
          c.ws.close(CloseCode.HEARTBEAT_TIMEOUT, why);
          setTimeout(() => c.ws.terminate(), 200).unref();
        }
        continue;
      }
      this.sendText(c, msg);
    }
  }

  /** Sends one state frame to every observing client that is not backed up (those are counted in framesDropped). */
  broadcastState(buf: Buffer): void {
    for (const c of this.clients) {
      if (!c.observing) continue;
      if (c.ws.bufferedAmount > MAX_BUFFERED) {
        c.dropped++;
        this._o.counts.framesDropped++;
        continue;
      }
      c.ws.send(buf, _binary);
    }
  }

  /** Sends a text message to every client. */
  broadcastText(msg: string): void {
    for (const c of this.clients) this.sendText(c, msg);
  }

  /**
   * Sends a JSON text message to `c`: false when it is closing, or when it has left more than
   * `maxBufferedBytes` unsent, which closes it (1008): a client that sends but never reads cannot
   * grow this process's memory with the replies.
   */
  sendText(c: Client, text: string): boolean {
    if (c.dead || c.ws.readyState !== c.ws.OPEN) return false;
    if (c.ws.bufferedAmount > this._o.limits.maxBufferedBytes) {
      this._refuse(c, `not reading: over ${this._o.limits.maxBufferedBytes} bytes unsent`);
      return false;
    }
    c.ws.send(text);
    return true;
  }

  /**
   * Error reply, at most ERRORS_PER_S per client and second (the rest are counted in `suppressed`
   * and errorsDropped). `log` false: sent without a 'refused' event (a repeat counted elsewhere).
   * True when the reply was sent (and, with `log`, logged).
   */
  sendError(c: Client, code: number, text: string, seq?: number, offset?: number, log = true): boolean {
    const now = this._o.now();
    if (now >= c.budgetAt) {
      c.errorBudget = ERRORS_PER_S;
      c.budgetAt = now + 1;
    }
    if (c.errorBudget <= 0) {
      c.suppressed++;
      this._o.counts.errorsDropped++;
      return false;
    }
    c.errorBudget--;
    this._o.counts.errorsSent++;
    if (log) this._o.event({ kind: 'refused', client: c.id, code, name: errorName(code), text, time: now });
    const m: Record<string, unknown> = { type: 'error', code, name: errorName(code), text };
    if (seq !== undefined) m.seq = seq;
    if (offset !== undefined) m.offset = offset;
    this.sendText(c, JSON.stringify(m));
    return true;
  }

  /** One 'refusals' event for the ROBOT_STOPPED refusals of `c` not logged one by one; starts its count again. */
  flushRefusals(c: Client): void {
    if (c.stopRefusals > 0 && c.stopRefusedIn !== undefined)
      this._o.event({ kind: 'refusals', client: c.id, code: ErrorCode.ROBOT_STOPPED, name: errorName(ErrorCode.ROBOT_STOPPED), count: c.stopRefusals, more: c.stopLogged, robotState: c.stopRefusedIn, time: this._o.now() });
    c.stopRefusals = 0;
    c.stopLogged = false;
    c.stopRefusedIn = undefined;
  }

  /** `{"type":"auth"}`: checks the token, grants the role (one commander at a time). */
  auth(c: Client, role: Role, token: string | undefined): void {
    if (token === undefined) {
      if (role === 'observe' && this._o.observeWithoutToken) {
        // The tokenless role: whatever the connection held before (the commander role, the
        // token's rights) is given up, as a re-auth as observe with the token gives up the role.
        c.authed = false;
        c.observing = true;
        this._bound(c);
        this._stepDown(c);
        this.sendText(c, JSON.stringify({ type: 'auth_ok', role: 'observe' }));
        this._o.event({ kind: 'role', client: c.id, role: 'observer-unauthenticated', time: this._o.now() });
        return;
      }
      this.sendError(c, ErrorCode.AUTH_REQUIRED, role === 'command' ? 'commanding needs a token' : 'observing needs a token on this server');
      return;
    }
    if (!tokenMatches(token, this._o.token)) {
      this.sendError(c, ErrorCode.AUTH_FAILED, 'wrong token: connection closed');
      c.ws.close(CloseCode.AUTH_FAILED, 'wrong token');
      return;
    }
    c.authed = true;
    c.observing = true;
    this._bound(c);
    if (role === 'command') {
      if (this.commander !== undefined && this.commander !== c) {
        this.sendError(c, ErrorCode.COMMANDER_BUSY, `client ${this.commander.id} is the commander; you may observe (and e-stop)`);
        this.sendText(c, JSON.stringify({ type: 'auth_ok', role: 'observe' }));
        return;
      }
      this.commander = c;
    } else this._stepDown(c);
    this.sendText(c, JSON.stringify({ type: 'auth_ok', role }));
    this._o.event({ kind: 'role', client: c.id, role, time: this._o.now() });
  }

  /** `{"type":"release"}` from the commander: frees the role. Returns false when `c` is not the commander. */
  release(c: Client): boolean {
    if (this.commander !== c) return false;
    this.commander = undefined;
    this._o.event({ kind: 'role', client: c.id, role: 'observe', time: this._o.now() });
    return true;
  }

  /** Tells every client (close 1001), waits up to 0.5 s for them to go, releases the port. */
  async close(): Promise<void> {
    this._closed = true;
    this._gate.flush(true);
    if (this._heartbeatTimer) clearInterval(this._heartbeatTimer);
    for (const c of this.clients) c.ws.close(CloseCode.GOING_AWAY, 'server shutting down');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        for (const c of this.clients) c.ws.terminate();
        resolve();
      }, 500);
      const check = () => {
        if (this.clients.size === 0) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 10);
      };
      check();
    });
    this._wss.close();
    for (const socket of this._sockets) socket.destroy(); // HTTP and upgraded alike
    await new Promise<void>((resolve) => this._http.close(() => resolve()));
  }

  private _onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const admitted = this._gate.admit(req, socket, () => this._tokenless());
    if (!admitted) return;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    if (!offered.includes(SUBPROTOCOL)) {
      const body = JSON.stringify({
        type: 'error',
        code: ErrorCode.VERSION_MISMATCH,
        name: 'VERSION_MISMATCH',
        text: `client offered ${offered.length ? offered.join(', ') : 'no subprotocol'}; this server speaks ${SUBPROTOCOL} only`,
        supported: [SUBPROTOCOL],
      });
      socket.end(
        `HTTP/1.1 ${HTTP_VERSION_MISMATCH} Upgrade Required\r\n` +
          `content-type: application/json\r\n${VERSIONS_HEADER}: ${SUBPROTOCOL}\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this._wss.handleUpgrade(req, socket, head, (ws) => this._onConnection(ws, req, admitted.withToken));
  }

  /** Open connections that hold no token: neither in their upgrade nor by `auth`. */
  private _tokenless(): number {
    let n = 0;
    for (const c of this.clients) if (!c.upgradeToken && !c.authed && !c.dead) n++;
    return n;
  }

  private _onConnection(ws: WebSocket, req: IncomingMessage, upgradeToken: boolean): void {
    if (this._closed) {
      ws.close(CloseCode.GOING_AWAY, 'server shutting down');
      return;
    }
    const now = this._o.now();
    const c: Client = {
      id: this._nextId++,
      ws,
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      upgradeToken,
      authed: false,
      observing: this._o.observeWithoutToken,
      dead: false,
      msgs: new TokenBucket(this._o.limits.tokenlessMessagesPerS, this._o.limits.tokenlessBurstMessages, now),
      bytes: new TokenBucket(this._o.limits.tokenlessBytesPerS, this._o.limits.tokenlessBurstBytes, now),
      lastHeard: now,
      errorBudget: ERRORS_PER_S,
      budgetAt: now + 1,
      suppressed: 0,
      dropped: 0,
      lastSeq: 0,
      stopRefusals: 0,
      stopLogged: false,
      stopRefusedIn: undefined,
    };
    this.clients.add(c);
    ws.on('error', () => {
      /* a protocol violation (bad UTF-8, oversize message) closes the socket; 'close' follows */
    });
    ws.on('close', (code, reason) => this._onClose(c, code, reason.toString()));
    ws.on('message', (data, isBinary) => {
      if (c.dead) return;
      try {
        const now = this._o.now();
        // Before anything else, parsing included: a client over its bounds costs no more.
        const m = c.msgs.take(1, now);
        if (!(c.bytes.take((data as Buffer).length, now) && m)) return this._overLimit(c, data as Buffer, isBinary, m);
        c.lastHeard = now;
        if ((data as Buffer).length > MAX_MESSAGE_BYTES) return this._tooBig(c, data as Buffer, isBinary);
        this._o.onMessage(c, data as Buffer, isBinary);
      } catch (e) {
        this.sendError(c, ErrorCode.INTERNAL, `server failed on this message: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    // A ping counts as a message against the same buckets (its pong is work on this thread too).
    ws.on('ping', (data: Buffer) => {
      if (c.dead) return;
      const now = this._o.now();
      const m = c.msgs.take(1, now);
      if (!(c.bytes.take(data.length, now) && m)) return this._overLimit(c, data, true, m);
      c.lastHeard = now; // a frame heard (PROTOCOL.md section 6): a client library's keep-alive pings count
      ws.pong(data);
    });
    this.sendText(c, JSON.stringify(this._o.hello(c)));
    this._o.event({ kind: 'connect', client: c.id, remote: c.remote, time: now });
  }

  /**
   * A message over the 64 KiB cap (PROTOCOL.md section 1) closes its socket (1009), as the
   * WebSocket layer would, but an estop in it stops first: an e-stop is never refused for its
   * wording. Only a text message with "estop" in it is parsed at all.
   */
  private _tooBig(c: Client, data: Buffer, isBinary: boolean): void {
    if (!isBinary && mayBeEstop(data)) this._o.onOversizeText(c, data.toString('utf8'));
    c.dead = true;
    c.ws.close(CloseCode.MESSAGE_TOO_BIG, `message over ${MAX_MESSAGE_BYTES} bytes`);
  }

  /** Gives `c` the buckets of its standing (token or not), full, when its standing changed. */
  private _bound(c: Client): void {
    const l = this._o.limits;
    const [perS, burst, bPerS, bBurst] = c.authed
      ? [l.messagesPerS, l.burstMessages, l.bytesPerS, l.burstBytes]
      : [l.tokenlessMessagesPerS, l.tokenlessBurstMessages, l.tokenlessBytesPerS, l.tokenlessBurstBytes];
    if (c.msgs.perS === perS && c.msgs.burst === burst && c.bytes.perS === bPerS && c.bytes.burst === bBurst) return;
    const now = this._o.now();
    c.msgs = new TokenBucket(perS, burst, now);
    c.bytes = new TokenBucket(bPerS, bBurst, now);
  }

  /** A message over `c`'s buckets: an estop in it still stops, then `c` is closed 1008, what it sends after unread. */
  private _overLimit(c: Client, data: Buffer, isBinary: boolean, msgsLeft: boolean): void {
    if (!isBinary && mayBeEstop(data)) this._o.onOversizeText(c, data.toString('utf8'));
    this._refuse(c, msgsLeft ? `over ${c.bytes.burst} bytes at once or ${c.bytes.perS} B/s` : `over ${c.msgs.burst} messages at once or ${c.msgs.perS}/s`);
  }

  /**
   * Closes `c` for a bound it passed: it loses its role now, is closed 1008 with `why`, its socket
   * no longer read, and terminated 1 s later if the close has not finished.
   */
  private _refuse(c: Client, why: string): void {
    if (c.dead) return;
    c.dead = true;
    c.observing = false;
    this.closedOverLimit++;
    this._o.event({ kind: 'refused', client: c.id, code: CloseCode.POLICY_VIOLATION, name: 'POLICY_VIOLATION', text: `closed: ${why}`, time: this._o.now() });
    this._loseCommander(c, `closed: ${why}`);
    try {
      c.ws.close(CloseCode.POLICY_VIOLATION, why.slice(0, 123));
      c.ws.pause();
    } catch {
      c.ws.terminate();
    }
    setTimeout(() => c.ws.terminate(), 1000).unref();
  }

  private _onClose(c: Client, code: number, reason: string): void {
    this.clients.delete(c);
    this.flushRefusals(c);
    this._o.event({ kind: 'disconnect', client: c.id, code, reason, time: this._o.now() });
    this._loseCommander(c, `disconnected without release (close ${code})`);
  }

  /** The commander asked to observe: stepping down is a release (a running robot goes idle). */
  private _stepDown(c: Client): void {
    if (this.commander !== c) return;
    this.commander = undefined;
    this._o.commanderSteppedDown(c);
  }

  /** The commander is gone (closed or silent): free the role; the server stops a running robot. */
  private _loseCommander(c: Client, why: string): void {
    if (this.commander !== c) return;
    this.commander = undefined;
    this._o.commanderLost(c, why);
  }
}
