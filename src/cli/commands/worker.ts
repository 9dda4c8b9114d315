import { Command } from '@commander-js/extra-typings';
import { startQueueWorker } from '../../eval/queue.ts';
import { positiveInt } from '../args.ts';
import { sessionSource } from '../wiring.ts';

export function workerCommand() {
  return new Command('worker')
    .description('Take eval episodes from a Redis job queue (BullMQ) filled by `axon eval --queue`, until stopped (Ctrl-C).')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'episodes run at once by this process', positiveInt, 1)
    .option('--lock-ms <ms>', 'job lock; a worker silent this long is presumed dead and its episode retried elsewhere', positiveInt, 30_000)
    .option('--stalled-interval-ms <ms>', 'how often this worker looks for stalled jobs', positiveInt, 30_000)
    .action(async (o) => {
      const w = await startQueueWorker(o.queue, { concurrency: o.concurrency, lockMs: o.lockMs, stalledIntervalMs: o.stalledIntervalMs, log: (l) => console.log(l), sessions: sessionSource });
      console.log(`axon worker: taking episodes from ${o.queue} (concurrency ${o.concurrency}); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // SIGTERM/Ctrl-C: out within 5 s whether or not Redis answers (4 s grace for BullMQ).
      const clean = await w.close(4000);
      const line = `axon worker: stopped after ${w.processed()} episodes${clean ? '' : ' (Redis did not answer within 4 s: episodes in flight are retried by other workers once their lock lapses)'}\n`;
      // Without Redis, ioredis keeps reconnecting and would hold the process open: leave now.
      if (!clean) await new Promise<void>((r) => process.stdout.write(line, () => r())).then(() => process.exit(0));
      process.stdout.write(line);
    });
}
