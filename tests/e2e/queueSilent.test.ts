import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { checkRedis } from '../../src/eval/queue.ts';
import { runAxon } from '../helpers/cli.ts';

/**
 * A Redis that accepts the connection and never answers (a wedged server, another service on the
 * port, a firewall completing the handshake): `axon worker` and `eval --queue` waited with no word
 * until killed. docs/cli.md: exit 2 when Redis cannot be reached at the start.
 */
let server: Server;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  }); // accepts, reads, never writes
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('a Redis that accepts and stays silent', () => {
  it('checkRedis rejects with a usage error naming the flag and the URL', async () => {
    const err = await checkRedis(url, '--queue', 500).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('CLI_USAGE');
    expect(err?.message).toContain('--queue');
    expect(err?.message).toContain(url);
    expect(err?.message).toContain('no answer');
  });

  // spawnSync blocks this thread, and the kernel still completes the handshake (the listen backlog): the silent peer.
  it.each([
    ['worker', ['worker', '--queue']],
    ['eval --queue', ['eval', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--episodes', '1', '--queue']],
  ])('%s: exit 2 naming the URL, nothing said to be on the queue', (_, args) => {
    const r = runAxon([...args, url], 60_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--queue');
    expect(r.stderr).toContain(url);
    expect(r.stdout).not.toContain('on the queue');
    expect(r.stdout).not.toContain('taking episodes');
  });
});
