#!/usr/bin/env node
// axon's launcher: registers tsx so that the TypeScript sources run as they are (no build step
// between `npm install` and `npx axon`), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
// `axon sim ... | head`: once the reader has closed the pipe, further output is dropped and the
// command goes on to its end (a recording is still closed properly), instead of dying on EPIPE.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.stdout.write = () => true;
});
const { main, endProcess } = await import('../src/cli/main.ts');
endProcess(await main(process.argv));
