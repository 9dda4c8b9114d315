// Boots a TypeScript worker: worker threads do not inherit tsx from the parent (ECOSYSTEM.md),
// so register it here, then load the module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
