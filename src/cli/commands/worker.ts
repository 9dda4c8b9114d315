import { Command } from '@commander-js/extra-typings';
import { startQueueWorker, withoutPassword } from '../../eval/queue.ts';
import { positiveInt } from '../args.ts';
import { sessionSource } from '../wiring.ts';
import { STOP_SIGNALS } from '../../session/stopSignals.ts';

export function workerCommand() {
  return new Command('worker')
    .description('Take eval episodes from a Redis job queue (BullMQ) filled by `axon eval --queue`, until stopped (Ctrl-C).')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'episodes run at once by this process', positiveInt, 1)
    .option('--lock-ms <ms>', 'job lock; a worker silent this long is presumed dead and its episode retried elsewhere', positiveInt, 30_000)
    .option('--stalled-interval-ms <ms>', 'how often this worker looks for stalled jobs', positiveInt, 30_000)
    .action(async (o) => {
      const w = await startQueueWorker(o.queue, { concurrency: o.concurrency, lockMs: o.lockMs, stalledIntervalMs: o.stalledIntervalMs, log: (l) => console.log(l), sessions: sessionSource });
      console.log(`axon worker: taking episodes from ${withoutPassword(o.queue)} (concurrency ${o.concurrency}); Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          for (const sig of STOP_SIGNALS) process.off(sig, stop);
          resolve();
        };
        for (const sig of STOP_SIGNALS) process.on(sig, stop);
      });
      // SIGTERM/Ctrl-C: the episodes in progress stop after their tick and their jobs go back to the
      // queue for another worker (src/eval/queue.ts), no attempt spent; then BullMQ and its Redis
      // connections close. Out within 5 s whether or not Redis answers (4 s grace for BullMQ). A
      // second signal kills the process at once.
      const clean = await w.close(4000);
      const back = w.released();
      const line =
        `axon worker: stopped after ${w.processed()} episodes${back.length ? `; episode${back.length > 1 ? 's' : ''} ${back.join(', ')} put back on the queue` : ''}` +
        `${clean ? '' : ' (Redis did not answer within 4 s: episodes in flight are retried by other workers once their lock lapses)'}\n`;
      // Without Redis, ioredis keeps reconnecting and would hold the process open: leave now.
      if (!clean) await new Promise<void>((r) => process.stdout.write(line, () => r())).then(() => process.exit(0));
      process.stdout.write(line);
    });
}
