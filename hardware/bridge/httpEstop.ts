/**
 * The bridge server's one plain-HTTP action: `POST /estop` (hardware/PROTOCOL.md section 7,
 * "E-stop over HTTP"). A stop client that connects only when it needs to stop can be kept out of
 * the WebSocket by a local process using up the token-less upgrade bounds (503); an e-stop over
 * HTTP takes no upgrade, no connection slot and no bucket, so nothing short of the token holder's
 * own rules can refuse it: stopping is always allowed (docs/safety.md). The same rules as an
 * `estop` message otherwise: the token is needed only on a server with `stopNeedsToken` (here an
 * `authorization: Bearer` header), and a browser page (an `Origin` header) not in `allowOrigins`
 * is refused 403, so another site's page cannot stop the robot through the operator's browser.
 * Every other request gets the WebSocket endpoint's 426 answer.
 *
 * Real-time rules: runs once per request, never on the tick.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTP_VERSION_MISMATCH, SUBPROTOCOL, VERSIONS_HEADER, type RobotState } from './protocol.ts';
import { tokenMatches } from './tokens.ts';
import { bearerToken } from './UpgradeGate.ts';

/** The path of the HTTP e-stop. */
export const ESTOP_PATH = '/estop';
/** The longest `reason` kept (characters); a longer one is cut. */
const MAX_REASON = 200;

export interface HttpEstopRules {
  readonly token: string;
  readonly stopNeedsToken: boolean;
  /** Browser origins allowed (lower case, as URL.origin writes them). */
  readonly allowOrigins: ReadonlySet<string>;
  /** Applies the e-stop, `reason` already bounded (not yet made printable); answers the robot's state after it. */
  readonly estop: (remote: string, reason: string | undefined) => RobotState;
}

/** Answers one plain HTTP request: `POST /estop` stops the robot, anything else is told this is a WebSocket endpoint. */
export function answerHttp(req: IncomingMessage, res: ServerResponse, rules: HttpEstopRules): void {
  req.resume(); // a body is never read: nothing a client sends can hold this request open
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://bridge');
  } catch {
    return text(res, 400, `axon bridge: request target ${JSON.stringify(String(req.url).slice(0, 200))} is not a path`);
  }
  if (url.pathname !== ESTOP_PATH) {
    res.writeHead(HTTP_VERSION_MISMATCH, { 'content-type': 'text/plain', [VERSIONS_HEADER]: SUBPROTOCOL, upgrade: 'websocket', connection: 'close' });
    res.end(`axon bridge: a WebSocket endpoint (subprotocol ${SUBPROTOCOL}), and POST ${ESTOP_PATH}; see hardware/PROTOCOL.md\n`);
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return text(res, 405, `axon bridge: ${ESTOP_PATH} takes POST, not ${String(req.method).slice(0, 20)}`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !rules.allowOrigins.has(origin.toLowerCase()))
    return text(res, 403, `axon bridge: origin ${JSON.stringify(origin.slice(0, 200))} may not e-stop: a web page in this machine's browser is not a bridge client (BridgeServer allowOrigins; docs/bridge.md)`);
  if (rules.stopNeedsToken) {
    const offered = bearerToken(req.headers.authorization);
    if (offered === undefined || !tokenMatches(offered, rules.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return text(res, 401, 'axon bridge: e-stop needs the token on this server (authorization: Bearer TOKEN; --stop-needs-token)');
    }
  }
  const reason = url.searchParams.get('reason') ?? undefined;
  const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  const robotState = rules.estop(remote, reason === undefined || reason === '' ? undefined : reason.slice(0, MAX_REASON));
  const body = JSON.stringify({ type: 'status', robotState, cause: 'estop' });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) + 1, connection: 'close' });
  res.end(`${body}\n`);
}
