/**
 * Runs the axon CLI with the hardware commands, whether or not src/cli/main.ts registers them
 * yet: the same parsing and error reporting (exit 2 on bad input) as bin/axon.js.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { AxonError } from '../../../src/core/errors.ts';
import { buildProgram, endProcess } from '../../../src/cli/main.ts';
import { hwCommand } from '../../../src/cli/commands/hw.ts';
import { runCommand } from '../../../src/cli/commands/run.ts';

const program: Command = buildProgram();
for (const make of [hwCommand, runCommand]) {
  const c = make();
  if (!program.commands.some((x) => x.name() === c.name())) program.addCommand(c.exitOverride());
}
let code = 0;
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) code = e.code.startsWith('commander.help') || e.code === 'commander.version' ? 0 : 2;
  else if (e instanceof AxonError) {
    process.stderr.write(`axon: error [${e.code}]: ${e.message}\n`);
    code = 2;
  } else {
    process.stderr.write(`axon: failed: ${(e as Error)?.message ?? String(e)}\n`);
    code = 1;
  }
}
endProcess(code);
