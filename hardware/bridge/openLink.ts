/**
 * Opening one bridge link (hardware/PROTOCOL.md sections 3-4): the WebSocket handshake, the
 * hello check, auth in the asked role, an optional sim reset, and the first state frame. Used by
 * BridgeRobot for the first connection and every reconnect.
 */
import { WebSocket } from 'ws';
import type { RobotSpec } from '../../src/core/robot.ts';
import type { Timers } from '../../src/clock/Timers.ts';
import { printable } from '../../src/core/printable.ts';
import { BridgeError } from './BridgeError.ts';
import { helloEngine, parseServerMessage, sameSpec, specFromWire, type HelloMessage } from './messages.ts';
import { ErrorCode, HTTP_VERSION_MISMATCH, MAX_MESSAGE_BYTES, PROTOCOL_VERSION, SUBPROTOCOL, SUBPROTOCOL_PATTERN, VERSIONS_HEADER, CloseCode, type Role } from './protocol.ts';
import { TOKEN_ENV } from './tokens.ts';

/** What openLink needs to know (a subset of BridgeRobotOptions). */
export interface LinkOptions {
  readonly token?: string;
  readonly role?: Role;
  readonly connectTimeoutS?: number;
}

/** One authenticated socket, as openLink hands it over. */
export interface Link {
  readonly ws: WebSocket;
  readonly hello: HelloMessage;
  readonly spec: RobotSpec;
  readonly role: Role;
  /** Messages and frames that arrived after auth, before the robot took the socket over. */
  readonly backlog: { data: Buffer; isBinary: boolean }[];
}

/**
 * What the caller checks in a hello before it acts on the robot: throwing refuses the link with
 * that error before auth is sent, so before any sim reset (the served robot is left as it was).
 */
export type AcceptHello = (hello: HelloMessage, spec: RobotSpec) => void;

/**
 * Opens one socket: handshake, hello check, `accept`, auth, optional sim reset, first state frame.
 * `expectSpec`: on a reconnect, the robot must be the same one. The sim reset is never sent to a
 * robot in safe-stop / e-stopped (BRIDGE_ROBOT_STOPPED): it would clear the latched stop.
 */
export function openLink(
  url: string,
  o: LinkOptions,
  expectSpec: RobotSpec | undefined,
  simReset: { readonly seed?: number } | undefined,
  timers: Timers,
  accept?: AcceptHello,
): Promise<Link> {
  const role: Role = o.role ?? 'command';
  const token = o.token ?? process.env[TOKEN_ENV];
  const timeoutS = o.connectTimeoutS ?? 5;
  // The token rides in the upgrade too, so that the server counts this upgrade against no bound
  // that a token-less process can use up (PROTOCOL.md section 1, "Bounds"); auth still carries it.
  const headers: Record<string, string> = token === undefined || !/^\S+$/.test(token) ? {} : { authorization: `Bearer ${token}` };
  return new Promise<Link>((resolve, reject) => {
    let ws!: WebSocket;
    let settled = false;
    /** The last 503 (server busy) while retrying, for the timeout's message. */
    let busy: string | undefined;
    let retry: unknown;
    let hello: HelloMessage | undefined;
    let spec: RobotSpec | undefined;
    let granted: Role | undefined;
    let phase: 'hello' | 'auth' | 'sim_reset' | 'first_frame' = 'hello';
    const backlog: Link['backlog'] = [];
    const fail = (e: BridgeError) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      if (retry !== undefined) timers.clearTimeout(retry);
      // Unset when the address itself is refused (`new WebSocket` threw in start()): nothing to close.
      const socket = ws as WebSocket | undefined;
      if (socket !== undefined) {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.terminate();
      }
      reject(e);
    };
    const timer = timers.setTimeout(
      () =>
        fail(
          busy !== undefined && phase === 'hello'
            ? new BridgeError('BRIDGE_CONNECT', url, `server busy for ${timeoutS} s, retried: ${busy}`, 'a server with room for a new connection (or connect with the token; hardware/PROTOCOL.md section 1 "Bounds")')
            : new BridgeError('BRIDGE_TIMEOUT', url, `no ${phase === 'hello' ? 'hello' : phase.replace('_', ' ')} within ${timeoutS} s`, 'an axon bridge server answering'),
        ),
      timeoutS,
    );
    const succeed = () => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      resolve({ ws, hello: hello!, spec: spec!, role: granted!, backlog });
    };
    const start = () => {
      retry = undefined;
      try {
        // allowSynchronousEvents: every frame of one socket read is handled in that read (ws's default
        // from 8.17, named so that no version reads some of them a turn later: after the tick).
        ws = new WebSocket(url, [SUBPROTOCOL], { perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, handshakeTimeout: timeoutS * 1000, allowSynchronousEvents: true, headers });
      } catch (e) {
        fail(new BridgeError('BRIDGE_CONNECT', url, `is not a usable address: ${e instanceof Error ? e.message : String(e)}`, 'ws://HOST:PORT, a port from 1 to 65535'));
        return;
      }
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body.length < 4096 ? (body += d) : undefined));
        res.on('end', () => {
          const versions = String(res.headers[VERSIONS_HEADER] ?? '');
          if (res.statusCode === HTTP_VERSION_MISMATCH) {
            let text = body.trim();
            try {
              text = (JSON.parse(body) as { text?: string }).text ?? text;
            } catch {
              /* plain text body */
            }
            fail(new BridgeError('BRIDGE_VERSION', url, `protocol version mismatch: ${text || `server speaks ${versions || 'another version'}`}`, `a server speaking ${SUBPROTOCOL}`, ErrorCode.VERSION_MISMATCH));
          } else if (res.statusCode === 503) {
            // The server is up and bounding new connections: try again after its retry-after, until the connect timeout.
            if (settled) return;
            const after = Number(res.headers['retry-after']);
            busy = `HTTP 503 (${printable(body.trim().slice(0, 200)) || 'service unavailable'})`;
            const old = ws;
            old.removeAllListeners();
            old.on('error', () => {});
            old.terminate();
            retry = timers.setTimeout(start, Number.isFinite(after) && after > 0 ? Math.min(after, 1) : 1);
          } else if (res.statusCode === 403)
            fail(new BridgeError('BRIDGE_CONNECT', url, `HTTP 403: the server refuses this client (${printable(body.trim().slice(0, 200))})`, 'a client that sends no Origin, or one in the server\'s allowOrigins'));
          else fail(new BridgeError('BRIDGE_CONNECT', url, `HTTP ${res.statusCode} instead of a WebSocket upgrade`, 'an axon bridge server'));
        });
        res.on('error', () => fail(new BridgeError('BRIDGE_CONNECT', url, `HTTP ${res.statusCode} instead of a WebSocket upgrade`)));
      });
      ws.on('error', (e: Error & { code?: string }) => {
        const m = /Server sent no subprotocol|Server sent an invalid subprotocol/.test(e.message);
        if (m) fail(new BridgeError('BRIDGE_VERSION', url, `server did not accept subprotocol ${SUBPROTOCOL} (${e.message})`, `a server speaking ${SUBPROTOCOL}`, ErrorCode.VERSION_MISMATCH));
        else fail(new BridgeError('BRIDGE_CONNECT', url, `cannot connect: ${e.code ?? e.message}`, 'an axon bridge server listening there'));
      });
      ws.on('close', (code, reason) => {
        const r = reason.toString();
        if (code === CloseCode.AUTH_FAILED) fail(new BridgeError('BRIDGE_AUTH', url, `wrong token (server closed the link: ${r})`, 'the token the server was started with', ErrorCode.AUTH_FAILED));
        else fail(new BridgeError('BRIDGE_CONNECT', url, `server closed the link during ${phase.replace('_', ' ')} (${code}${r ? ` ${r}` : ''})`));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (settled) {
          // Several frames can arrive in one read: keep those after the first frame for the robot.
          backlog.push({ data, isBinary });
          return;
        }
        if (phase === 'hello') {
          if (isBinary) return fail(new BridgeError('BRIDGE_BAD_HELLO', url, 'first message is binary', 'a JSON hello'));
          const m = parseServerMessage(data.toString('utf8'));
          if (!m || m.type !== 'hello') return fail(new BridgeError('BRIDGE_BAD_HELLO', url, `first message is not a hello (${data.toString('utf8').slice(0, 80)})`, '{"type":"hello",...}'));
          const h = m as HelloMessage;
          if (h.protocol !== PROTOCOL_VERSION) {
            const sub = typeof h.subprotocol === 'string' && SUBPROTOCOL_PATTERN.test(h.subprotocol) ? ` (${h.subprotocol})` : '';
            return fail(
              new BridgeError('BRIDGE_VERSION', url, `server speaks protocol version ${JSON.stringify(h.protocol)}${sub}, this client ${PROTOCOL_VERSION}`, `a server speaking ${SUBPROTOCOL}`, ErrorCode.VERSION_MISMATCH),
            );
          }
          try {
            spec = specFromWire(h.robot);
            checkHello(h, url, spec);
          } catch (e) {
            return fail(e as BridgeError);
          }
          if (expectSpec && !sameSpec(expectSpec, spec))
            return fail(new BridgeError('BRIDGE_ROBOT_CHANGED', url, `serves robot "${printable(spec.name)}" now, not the "${printable(expectSpec.name)}" this client was connected to`, 'the same robot after a reconnect'));
          try {
            accept?.(h, spec);
          } catch (e) {
            return fail(e as BridgeError);
          }
          hello = h;
          phase = 'auth';
          ws.send(JSON.stringify(token === undefined ? { type: 'auth', role } : { type: 'auth', role, token }));
          return;
        }
        if (isBinary) {
          if (phase === 'first_frame') {
            backlog.push({ data, isBinary });
            succeed();
          }
          return; // frames before auth / reset completes are not this session's yet
        }
        const m = parseServerMessage(data.toString('utf8'));
        if (!m) return;
        if (m.type === 'error') {
          const code =
            m.code === ErrorCode.AUTH_REQUIRED || m.code === ErrorCode.AUTH_FAILED ? 'BRIDGE_AUTH' : m.code === ErrorCode.COMMANDER_BUSY ? 'BRIDGE_BUSY' : phase === 'auth' ? 'BRIDGE_AUTH' : 'BRIDGE_REFUSED';
          const hint = m.code === ErrorCode.AUTH_REQUIRED && token === undefined ? ` (no token given: pass --token or set ${TOKEN_ENV})` : '';
          return fail(BridgeError.fromServer(code, url, m.code, `${m.text}${hint}`));
        }
        if (phase === 'auth' && m.type === 'auth_ok') {
          granted = m.role;
          if (role === 'command' && granted !== 'command') return; // COMMANDER_BUSY error came (or comes) with it
          if (simReset && hello!.sim && role === 'command') {
            // Leaving a latched stop is an operator's reset (PROTOCOL.md section 7), not a side effect of connecting.
            const h = hello!;
            if (h.robotState === 'safe-stop' || h.robotState === 'e-stopped')
              return fail(
                new BridgeError(
                  'BRIDGE_ROBOT_STOPPED',
                  url,
                  `the served robot is ${h.robotState}${h.stateCause ? ` (${printable(h.stateCause)}: ${printable(h.stateReason)})` : ''}: not reset on connect`,
                  'an operator reset on the server first',
                ),
              );
            phase = 'sim_reset';
            ws.send(JSON.stringify(simReset.seed === undefined ? { type: 'sim_reset' } : { type: 'sim_reset', seed: simReset.seed }));
          } else phase = 'first_frame';
          return;
        }
        if (m.type === 'status') hello = { ...hello!, robotState: m.robotState, stateCause: m.cause, stateReason: m.reason };
        if (phase === 'sim_reset' && m.type === 'status' && m.cause === 'sim_reset') {
          phase = 'first_frame';
          return;
        }
        if (phase === 'first_frame') backlog.push({ data, isBinary });
      });
    };
    start();
  });
}

function checkHello(h: HelloMessage, url: string, spec: RobotSpec): void {
  const bad = (field: string, expected: string): never => {
    throw new BridgeError('BRIDGE_BAD_HELLO', `${url} hello.${field}`, 'cannot be used', expected);
  };
  const pos = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (typeof h.rates !== 'object' || h.rates === null || !pos(h.rates.loopHz) || !pos(h.rates.stateHz)) bad('rates', '{ loopHz > 0, stateHz > 0 }');
  const f = h.frame;
  if (typeof f !== 'object' || f === null || typeof f.imu !== 'boolean' || typeof f.base !== 'boolean' || f.contacts !== spec.sensors.contacts.length)
    bad('frame', `{ imu: boolean, contacts: ${spec.sensors.contacts.length}, base: boolean }`);
  if (f.imu !== spec.sensors.imu) bad('frame.imu', `${spec.sensors.imu}, as robot.sensors.imu`);
  const hb = h.heartbeat;
  if (typeof hb !== 'object' || hb === null || !pos(hb.intervalS) || !pos(hb.timeoutS) || hb.timeoutS <= hb.intervalS) bad('heartbeat', '{ intervalS > 0, timeoutS > intervalS }');
  if (!pos(h.commandTimeoutS)) bad('commandTimeoutS', 'a number > 0 (s)');
  if (!['idle', 'running', 'degraded', 'safe-stop', 'e-stopped'].includes(h.robotState)) bad('robotState', 'idle | running | degraded | safe-stop | e-stopped');
  if (typeof h.sim !== 'boolean') bad('sim', 'a boolean');
  helloEngine(h, url);
  // hello.robotFile is not checked here: it only draws the robot, and a malformed one is read as none (readHelloRobotFile).
}
