// A process that prepares a recorder writer thread for a recording that never comes (an
// `axon run|teleop --record` whose robot failed to connect), waits until the thread has booted, and
// ends: it must exit by itself. Started as bin/axon.js starts the CLI (tsx registered here).
import { register } from 'tsx/esm/api';

register();
const w = await import('../../../src/record/writerThreads.ts');
w.prepareRecorderThread();
await new Promise((r) => setTimeout(r, Number(process.argv[2] ?? 1500)));
console.log('done');
