#!/usr/bin/env node
// axon's launcher: registers tsx so that the TypeScript sources run as they are (no build step
// between `npm install` and `npx axon`), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
// `axon replay run.mcap | head`: a reader that closed the pipe ends the output, not with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
