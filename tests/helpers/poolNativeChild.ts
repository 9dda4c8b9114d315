/**
 * Child process for tests/src/eval/poolNative.test.ts: a 2-thread pool whose episodes block in
 * native code (nativeBlockedSessions.ts), stopped once one started, then ended as `axon eval
 * --workers` ends (src/cli/commands/evalDistributed.ts). Prints the pool's end as JSON.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPool } from '../../src/eval/pool.ts';
import { endPastStuckThreads } from '../../src/cli/signalStop.ts';
import type { EvalSpec } from '../../src/eval/types.ts';
import { sessions } from './nativeBlockedSessions.ts';

const spec = { session: { robot: 'cartpole' }, randomize: false, durationS: 1, seed: 1, episodes: 2 } as EvalSpec;
const stop = new AbortController();
const end = runPool(spec, 2, () => {}, sessions, stop.signal, 200);
while (!existsSync(`${process.env.AXON_TEST_FIFO}.started`)) await sleep(20);
stop.abort('SIGTERM');
const r = await end;
console.log(JSON.stringify(r));
if (r.stuck > 0) await endPastStuckThreads(r.stuck, 'SIGTERM');
