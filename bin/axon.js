#!/usr/bin/env node
// axon's launcher: registers tsx so that the TypeScript sources run as they are (no build step
// between `npm install` and `npx axon`), then hands over to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
