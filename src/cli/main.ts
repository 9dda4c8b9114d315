import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { REPEATABLE } from './args.ts';
import { AxonError } from '../core/errors.ts';
import { errorLine } from '../core/printable.ts';
import { simCommand } from './commands/sim.ts';
import { evalCommand, evalMergeCommand } from './commands/eval.ts';
import { inspectCommand } from './commands/inspect.ts';
import { manifestCommand } from './commands/manifest.ts';
import { workerCommand } from './commands/worker.ts';
import { hwCommand } from './commands/hw.ts';
import { runCommand } from './commands/run.ts';
import { teleopCommand } from './commands/teleop.ts';
import { bridgeCommand } from './commands/bridge.ts';
import { replayCommand } from './commands/replay.ts';
import { describeCommand } from './commands/describe.ts';
import { sim2simCommand } from './commands/sim2sim.ts';
import { exportCommand } from './commands/export.ts';
import { datasetCommand } from './commands/dataset.ts';
import { EXIT_FAILED, EXIT_USAGE } from './exitCodes.ts';
import { stuckInferenceWorkers } from '../policy/guardedSession.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('axon')
    .description('Embodied-AI robot control runtime: policy -> world model -> safety -> robot, in simulation or on hardware.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(simCommand());
  program.addCommand(evalCommand());
  // `axon eval merge FILES`: its own command, so that eval's required flags do not apply to it.
  program.addCommand(evalMergeCommand().exitOverride(), { hidden: true });
  program.addCommand(inspectCommand());
  program.addCommand(manifestCommand());
  program.addCommand(workerCommand());
  program.addCommand(hwCommand());
  program.addCommand(runCommand());
  program.addCommand(teleopCommand());
  program.addCommand(bridgeCommand());
  program.addCommand(replayCommand());
  program.addCommand(describeCommand());
  program.addCommand(sim2simCommand());
  program.addCommand(exportCommand());
  program.addCommand(datasetCommand());
  for (const c of program.commands) c.exitOverride();
  guardOptionValues(program, []);
  return program;
}

/**
 * Every option that takes a value, on every command: a value that is one of the command's own
 * flags is refused as that option missing its value (`--robot --policy DIR` took "--policy" as
 * the robot and then failed on DIR, naming neither), and a single-value option given twice on the
 * command line is refused (a pasted-twice `--port` or `--duration` silently took the last). The
 * options meant to repeat (args.ts `REPEATABLE`: `repeated`, `allowOriginArg`; a variadic `<v...>`) take each use.
 */
function guardOptionValues(cmd: Command, inherited: readonly string[]): void {
  const flags = new Set([...inherited, '--help', '--version', ...cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined)]);
  for (const opt of cmd.options) {
    if (!(opt.required || opt.optional) || opt.variadic) continue; // a switch, or a list commander collects itself
    const parse = opt.parseArg as ((value: string, previous: unknown) => unknown) | undefined;
    const repeats = REPEATABLE.has(parse as never);
    const name = opt.attributeName();
    opt.argParser((value: string, previous: unknown) => {
      if (value.startsWith('--') && flags.has(value.split('=')[0])) throw new InvalidArgumentError(`missing its value: the next word, ${value}, is a flag`);
      const parsed = parse ? parse(value, previous) : value; // a bad value is named as such first
      if (!repeats && cmd.getOptionValueSource(name) === 'cli') throw new InvalidArgumentError(`${opt.long ?? opt.flags} was given twice: it takes one value`);
      return parsed;
    });
  }
  for (const c of cmd.commands) guardOptionValues(c as unknown as Command, [...flags].filter((f) => f === '--help' || f === '--version'));
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv[2] === 'eval' && argv[3] === 'merge') argv = [argv[0], argv[1], 'eval merge', ...argv.slice(4)];
  // Commander's own `help NAME` printed the whole usage for a NAME that is no command, without saying so (`axon nosuch` does).
  if (argv[2] === 'help' && argv[3] !== undefined && !argv[3].startsWith('-') && !program.commands.some((c) => c.name() === argv[3] || c.aliases().includes(argv[3]))) {
    const names = program.commands.filter((c) => !c.name().includes(' ')).map((c) => c.name());
    process.stderr.write(`axon: error [CLI_USAGE]: help: unknown command '${errorLine(argv[3])}' (expected one of ${names.join(', ')})\n`);
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv);
    // A command that finished but failed (an invalid run, failed episodes) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

/**
 * Ends the process with a finished command's exit code, even if something the command opened and
 * missed closing (a worker thread, a socket) keeps Node's event loop alive: every command awaits
 * its own end, so nothing may outlive main(). CI left `axon bridge --duration 1.5` alive for 35
 * minutes so, idle in its event loop (a timing-thread run its pacer lost: fixed, this is the
 * backstop). The leak is named on stderr; the command's own code stands.
 */
export function endProcess(code: number, graceMs = 5000): void {
  process.exitCode = code;
  // A guarded onnxruntime call that never returned (run --guard-onnx) left a thread in native code:
  // Node joins its threads on exit, so the process would never end. Everything is written by now
  // (stdout and stderr are synchronous on Linux); only a signal ends a process with such a thread.
  const stuck = stuckInferenceWorkers();
  if (stuck > 0) {
    process.stderr.write(`axon: ${stuck} onnxruntime call${stuck > 1 ? 's' : ''} never returned; a thread stuck in native code cannot be joined, so the process ends by SIGKILL (exit status 137, where ${code} was due)\n`);
    process.kill(process.pid, 'SIGKILL');
  }
  setTimeout(() => {
    process.stderr.write(`axon: the command ended ${graceMs / 1000} s ago but something it opened (a thread or socket) still kept the process alive; exiting\n`);
    process.exit(code);
  }, graceMs).unref();
}

function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // help and version exit through here with code 0; commander already printed its message. A
    // command group given no subcommand (`axon`, `axon hw`) printed its usage to stderr with exit
    // code 1 from commander: bad input, so 2.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return e.exitCode === 0 ? 0 : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (e instanceof AxonError) {
    // One printable line whatever the input quoted in it (src/core/printable.ts errorLine).
    process.stderr.write(`axon: error [${e.code}]: ${errorLine(e.message)}\n`);
    return EXIT_USAGE;
  }
  const err = e as Error;
  process.stderr.write(`axon: failed: ${errorLine(String(err?.message ?? e))}\n`);
  if (process.env.AXON_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return EXIT_FAILED;
}

export { Option };
