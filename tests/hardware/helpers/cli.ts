/**
 * Runs the axon CLI in a test's child process (`node --import tsx tests/hardware/helpers/cli.ts
 * ...`, tests/hardware/helpers/spawnCli.ts) exactly as bin/axon.js does: main()'s parsing, error
 * reporting and exit code, a command's own process.exitCode included (exit 5 for a run held in
 * its supervisor's own safe stop, src/cli/exitCodes.ts). It used to end with its own code, 0
 * unless the command threw, which hid exit 5 from every hardware test (review R15 F7).
 */
import { endProcess, main } from '../../../src/cli/main.ts';

endProcess(await main(process.argv));
