/**
 * The start-up check of `--queue` (src/eval/queue.ts checkRedis; review R29 F6, F7): a database the
 * server does not have (`/99`, `/-1`) was accepted and the worker used db 0 (draining another
 * queue while the eval on "db 99" waited forever), `?db=2` was ignored, and a peer that echoes
 * passed the PING and crashed later with a raw TypeError, exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { hasRedis, freePort, startRedis } from '../helpers/redis.ts';
import { checkRedis, parseQueueUrl, withoutPassword } from '../../src/eval/queue.ts';
import { runAxon } from '../helpers/cli.ts';

describe('--queue URL', () => {
  it('refuses a negative database and a query, naming the flag', () => {
    expect(() => parseQueueUrl('redis://127.0.0.1:6379/-1')).toThrow('--queue: database "-1" in redis://127.0.0.1:6379/-1 is not a number 0 or more');
    expect(() => parseQueueUrl('redis://127.0.0.1:6379?db=2', '--queue')).toThrow('a redis:// URL here takes no query');
    expect(parseQueueUrl('redis://127.0.0.1:6379/3').db).toBe(3);
  });

  it('prints a URL with its password as *** (start-up check, liveness line, worker errors, the summary)', () => {
    expect(withoutPassword('redis://:s3cret@10.0.0.5:6380/2')).toBe('redis://:***@10.0.0.5:6380/2');
    expect(withoutPassword('redis://user:s3cret@host:6379')).toBe('redis://user:***@host:6379');
    expect(withoutPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe.runIf(hasRedis)('--queue start-up check (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let echo: Server;
  let echoPort = 0;
  beforeAll(async () => {
    redis = await startRedis();
    echoPort = await freePort();
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(echoPort, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await redis?.stop();
    await new Promise((r) => echo?.close(r));
  });

  it('a database the server does not have is a usage error naming it', async () => {
    await expect(checkRedis(`${redis.url}/99`)).rejects.toThrow(`--queue: database 99 in ${redis.url}/99: Redis refused SELECT 99`);
    await expect(checkRedis(`${redis.url}/3`)).resolves.toBeUndefined();
  });

  it('a peer that echoes is not Redis: usage error, not a PING passed', async () => {
    await expect(checkRedis(`redis://127.0.0.1:${echoPort}`)).rejects.toThrow('not PONG: not a Redis server');
  });

  it('a Redis that needs a password is said to, not called "not a Redis server", and the password is not printed', async () => {
    const locked = await startRedis(['--requirepass', 'sesame']);
    try {
      await expect(checkRedis(locked.url)).rejects.toThrow(`--queue: Redis at ${locked.url} refused this client: NOAUTH`);
      const wrong = `redis://:wrong-pw@127.0.0.1:${locked.port}`;
      const e = await checkRedis(wrong).then(() => undefined, (x: Error) => x);
      expect(e?.message).toContain(`Redis at redis://:***@127.0.0.1:${locked.port} refused this client: WRONGPASS`);
      expect(e?.message).not.toContain('wrong-pw');
      await expect(checkRedis(`redis://:sesame@127.0.0.1:${locked.port}`)).resolves.toBeUndefined();
    } finally {
      await locked.stop();
    }
  });

  it('axon worker --queue URL/99: one line, exit 2', () => {
    const r = runAxon(['worker', '--queue', `${redis.url}/99`], 30_000);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('database 99');
  });
});
