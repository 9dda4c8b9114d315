/**
 * A stand-in server that relays a real bridge server byte for byte, but for its hello, which
 * `rewrite` changes: what a client makes of a hello no axon server sends (a malformed robotFile, a
 * robot name with a terminal escape) is tested against a real link, auth, frames and all.
 */
import { WebSocket, WebSocketServer } from 'ws';
import { SUBPROTOCOL } from '../../../hardware/bridge/protocol.ts';
import type { Json } from './helpers.ts';

export interface HelloProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on a free loopback port; each client gets its own link to `target`, whose first message (the hello) goes through `rewrite`. */
export async function helloProxy(target: string, rewrite: (hello: Json) => Json): Promise<HelloProxy> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => SUBPROTOCOL });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const upstreams = new Set<WebSocket>();
  wss.on('connection', (down) => {
    const up = new WebSocket(target, [SUBPROTOCOL], { perMessageDeflate: false });
    upstreams.add(up);
    const early: { data: Buffer; binary: boolean }[] = [];
    let first = true;
    up.on('message', (data: Buffer, binary: boolean) => {
      if (first && !binary) {
        first = false;
        down.send(JSON.stringify(rewrite(JSON.parse(data.toString('utf8')) as Json)));
      } else down.send(data, { binary });
    });
    up.on('open', () => {
      for (const m of early.splice(0)) up.send(m.data, { binary: m.binary });
    });
    down.on('message', (data: Buffer, binary: boolean) => (up.readyState === WebSocket.OPEN ? up.send(data, { binary }) : early.push({ data, binary })));
    up.on('close', (code, reason) => (down.readyState === WebSocket.OPEN ? down.close(code === 1005 || code === 1006 ? 1000 : code, reason) : undefined));
    down.on('close', () => up.close());
    up.on('error', () => down.terminate());
    down.on('error', () => up.terminate());
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const u of upstreams) u.terminate();
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
