import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { robotNames } from '../../../sim/index.ts';
import { StateWatchdog } from '../../../sim/watchdog/StateWatchdog.ts';
import { BridgeServer, defaultPacing, isLoopback, TOKEN_ENV, DEFAULT_PORT, SUBPROTOCOL, WORKER_PACING_MAX_HZ, type BridgeServerEvent } from '../../../hardware/bridge/index.ts';
import { UsageError } from '../../core/errors.ts';
import { printable } from '../../core/printable.ts';
import { MAX_PHYSICS_HZ, allowOriginArg, nonNegative, positiveNumber, repeated, seedInt } from '../args.ts';
import { refuseOrphans, refuseStraySetupFlags, URDF_FILE_COMPANIONS, type Companion } from '../companions.ts';
import { openServedRobot } from '../bridgeRobot.ts';
import { attachConsole, operatorConsole } from '../bridgeConsole.ts';
import { parseInitPose } from '../urdfSession.ts';
import { round } from '../summary.ts';
import { EXIT_FAILED, EXIT_INVALID_RUN } from '../exitCodes.ts';
import type { Observation } from '../../core/robot.ts';
import { STOP_SIGNALS } from '../../session/stopSignals.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

function portInt(v: string): number {
  const x = Number(v);
  if (!/^\d+$/.test(v.trim()) || x > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port)');
  return x;
}


/** bridge's flags that need another (src/cli/companions.ts); the robot set-up flags are checked in the action, as sim's are. */
const BRIDGE_COMPANIONS: readonly Companion<{ sim?: string; urdf?: string; mjcf?: string }>[] = [
  ...URDF_FILE_COMPANIONS,
  // The randomisation is a shipped robot's (sim/robots); a robot file has none yet.
  { flag: '--randomize', needs: '--sim ROBOT', ok: (o) => o.sim !== undefined, instead: (o) => (o.urdf || o.mjcf ? 'a robot file has no randomisation yet' : undefined) },
  // A shipped robot has its own set-up; the manifest sets up a robot file only.
  { flag: '--manifest', needs: '--urdf FILE or --mjcf FILE', ok: (o) => o.urdf !== undefined || o.mjcf !== undefined },
];

/**
 * `axon bridge --sim cartpole` (or `--urdf FILE`, `--mjcf FILE`): serves a simulated robot over the
 * bridge protocol (hardware/PROTOCOL.md) on loopback, stepped in real time, with the server's own safety.
 */
export function bridgeCommand() {
  return new Command('bridge')
    .description(
      'Serve a simulated robot over the axon bridge protocol (WebSocket, hardware/PROTOCOL.md) for hardware-in-the-loop dry runs. ' +
        'The server steps the robot in real time and stops it by itself if commands stop (deadman).',
    )
    .option('--sim <robot>', `shipped robot to serve (${robotNames().join(', ')}); exactly one of --sim, --urdf, --mjcf`)
    .option('--urdf <file>', "serve this URDF (a vendor's robot), set up as `axon sim --urdf` sets it up (docs/your-robot.md)")
    .option('--mjcf <file>', 'serve this MJCF model in MuJoCo (implies --physics mujoco), set up as `axon sim --mjcf` sets it up (docs/mujoco.md)')
    .option('--manifest <path>', "with --urdf or --mjcf: a policy folder (or its manifest.json) whose manifest sets the robot up as `axon sim --policy` would (default pose, pd, actuators, fixed_base, imu_link, base_height); no policy runs on the server")
    .option('--urdf-package-path <dir>', 'with --urdf: folders searched for package://PKG mesh paths; $ROS_PACKAGE_PATH is added (repeat the flag for more)', repeated, [] as string[])
    .option('--strict', 'with --urdf: refuse a moving link without <inertial> or with mass 0 instead of giving it a default', false)
    .addOption(new Option('--mesh-collision <mode>', 'with --urdf: collision meshes become convex hulls (default), boxes, capsules or nothing').choices(['hull', 'box', 'capsule', 'none'] as const))
    .option('--fixed-base', "with --urdf: fix the root link to the world (default: the manifest's fixed_base, else fixed only with a \"world\" link or a massless root)")
    .option('--imu-link <link>', "with --urdf or --mjcf: link (an MJCF's body) carrying the IMU (default: the manifest's imu_link, else by the rules in docs/your-robot.md)")
    .option('--init-pose <joint=rad,...>', "with --urdf or --mjcf: start (and hold) these joint positions, over the manifest's default pose", parseInitPose)
    .option('--kp <gain>', "with --urdf or --mjcf: one position gain for every joint (N·m/rad), over the manifest's pd: the served spec's kp (the hold's, and a command's without gains)", nonNegative)
    .option('--kd <gain>', "with --urdf or --mjcf: one damping gain for every joint (N·m·s/rad), over the manifest's pd: the served spec's kd", nonNegative)
    .option('--armature <kg·m²>', "with --urdf: reflected rotor inertia of every joint, over the manifest's actuators.armature", nonNegative)
    .addOption(new Option('--pd <integration>', 'with --urdf: PD solved with the next velocity (implicit, default) or from the step start (explicit)').choices(['implicit', 'explicit'] as const))
    .option('--host <addr>', 'interface to bind; anything but loopback requires --token', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port, printed)', portInt, DEFAULT_PORT)
    .option('--token <token>', `token a client needs to command (default: $${TOKEN_ENV}, else a random one, printed)`)
    .option('--rate <hz>', 'physics rate (Hz)', positiveNumber, 500)
    .addOption(new Option('--physics <engine>', 'physics engine: cannon-es (default) or MuJoCo (the official WebAssembly build, loaded only then)').choices(['cannon', 'mujoco'] as const).default('cannon' as const))
    .option('--state-rate <hz>', 'state frame rate (Hz), a divisor of --rate (default: --rate)', positiveNumber)
    .option('--seed <n>', 'seed of the initial state (and of its randomisation)', seedInt, 1)
    .option('--randomize', 'randomise the initial state and physical parameters (seeded; sim_reset draws again)', false)
    .option('--command-timeout <s>', 'deadman: safe-stop when commands stop for this long while running', positiveNumber, 0.2)
    .option('--observe-needs-token', 'send state frames only to clients that presented the token', false)
    .option('--stop-needs-token', 'e-stop needs the token too (default: any client may e-stop; for a server exposed beyond the robot\'s own network, docs/safety.md)', false)
    .option('--allow-origin <url>', "a web page's origin allowed to connect (repeatable; browsers send an Origin header and are refused without it, Node clients send none; hardware/PROTOCOL.md section 1)", allowOriginArg)
    .addOption(new Option('--pacing <kind>', `what wakes the physics at each step: worker (a timing thread sleeping in Atomics.wait; the default up to ${WORKER_PACING_MAX_HZ} Hz) or poll (a timer, then an I/O-polling spin of --spin-ms: about three times the CPU at 500 Hz; the default above ${WORKER_PACING_MAX_HZ} Hz, where it spins the whole period); docs/timing.md`).choices(['worker', 'poll'] as const))
    .option('--spin-ms <ms>', 'with --pacing poll: spin this long before each physics deadline (0: timer only; default 1.1)', nonNegative)
    .option('--duration <s>', 'stop serving after this many seconds (default: until Ctrl-C)', positiveNumber)
    .option('--json', 'print one JSON summary object on the last line of stdout when the server stops', false)
    .action(async (o, cmd) => {
      refuseOrphans(cmd, o, BRIDGE_COMPANIONS);
      const given = (['sim', 'urdf', 'mjcf'] as const).filter((k) => o[k] !== undefined);
      if (given.length !== 1)
        throw new UsageError(given.length === 0 ? '--sim' : `--${given[1]}`, given.length === 0 ? 'no robot was given' : `and --${given[0]} were both given`, `exactly one robot: --sim ${robotNames().join('|')}, --urdf FILE or --mjcf FILE`);
      refuseStraySetupFlags(o);
      if (o.sim !== undefined && !robotNames().includes(o.sim)) throw new UsageError('--sim', `unknown robot "${o.sim}"`, `one of ${robotNames().join(', ')}`);
      // --mjcf implies MuJoCo; an explicit --physics cannon is refused with the robot.
      const physics = o.mjcf && cmd.getOptionValueSource('physics') !== 'cli' ? 'mujoco' : o.physics;
      if (!(o.rate > 10 && o.rate <= MAX_PHYSICS_HZ)) throw new UsageError('--rate', `${o.rate} Hz cannot be used`, `a physics rate above 10 Hz and at most ${MAX_PHYSICS_HZ} Hz`);
      const stateHz = o.stateRate ?? o.rate;
      const dec = o.rate / stateHz;
      if (Math.abs(dec - Math.round(dec)) > 1e-6 || Math.round(dec) < 1)
        throw new UsageError('--state-rate', `${stateHz} Hz does not divide the physics rate ${o.rate} Hz`, `a divisor of ${o.rate}, e.g. ${o.rate} or ${o.rate / 2}`);
      const pacing = o.pacing ?? defaultPacing(o.rate);
      const spinMs = o.spinMs ?? 1.1;
      if (o.spinMs !== undefined && pacing !== 'poll') throw new UsageError('--spin-ms', `is a setting of --pacing poll, and the pacing is ${pacing}`, '--pacing poll with --spin-ms, or no --spin-ms');
      const token = o.token ?? process.env[TOKEN_ENV];
      if (token !== undefined && token.length === 0) throw new UsageError('--token', 'is empty', 'a non-empty token');
      await checkHostResolves(o.host); // before the token rule: a name that resolves nowhere is not "reachable from other machines"
      if (token === undefined && !isLoopback(o.host))
        throw new UsageError('--host', `"${o.host}" is reachable from other machines`, `a --token (or $${TOKEN_ENV}) when binding beyond loopback`);

      const served = await openServedRobot({ ...o, physics }, 1 / o.rate);
      // A file name the hello cannot carry: served all the same, without the drawing's field.
      if (served.robotFileNote) process.stderr.write(`axon bridge: note: ${served.robotFileNote}\n`);
      const robot = served.robot;
      // sim's state watchdog: a blown-up simulation is safe-stopped, not served on; its first
      // breach is kept for the summary and the exit code, as sim's.
      const watchdog = new StateWatchdog(robot.spec);
      let blownUp: string | undefined;
      const watch = {
        get reason() {
          return watchdog.reason;
        },
        check: (obs: Observation) => {
          if (watchdog.check(obs)) return true;
          blownUp ??= watchdog.reason;
          return false;
        },
        reset: (obs: Observation) => watchdog.reset(obs),
      };
      const engine = physics === 'mujoco' ? 'MuJoCo' : 'cannon-es';
      const flag = o.sim !== undefined ? '--sim' : o.urdf !== undefined ? '--urdf' : '--mjcf';
      const server = await BridgeServer.listen({
        robot,
        host: o.host,
        port: o.port,
        ...(token !== undefined ? { token } : {}),
        stateHz,
        commandTimeoutS: o.commandTimeout,
        observeWithoutToken: !o.observeNeedsToken,
        stopNeedsToken: o.stopNeedsToken,
        ...(o.allowOrigin ? { allowOrigins: o.allowOrigin } : {}),
        pacing,
        ...(pacing === 'poll' ? { spinMarginS: spinMs / 1000 } : {}),
        serverName: `axon 0.1.0 (axon bridge ${flag}, ${engine})`,
        engine: physics,
        // A URDF's file name and sha256 (never its path), so that a client draws it from its own copy.
        ...(served.robotFile ? { robotFile: served.robotFile } : {}),
        ...(served.imuLink !== undefined ? { imuLink: served.imuLink } : {}), // where the IMU is: a client deriving another link starts there
        watch,
      });
      const say = (s: string) => process.stdout.write(`${s}\n`);
      const n = robot.spec.joints.length;
      if (served.setupLine) say(`axon bridge: ${served.name} from ${o.urdf ?? o.mjcf}: ${served.setupLine}`);
      say(`axon bridge: serving ${served.name} (simulated in ${engine}, ${n} joint${n === 1 ? '' : 's'}, ${o.rate} Hz physics paced by ${pacing === 'worker' ? 'a timing thread' : spinMs > 0 ? `a timer and a ${spinMs} ms spin` : 'a timer'}, ${stateHz} Hz state frames), seed ${o.seed}${o.randomize ? ', randomised' : ''}`);
      say(`listening on ${server.url} (subprotocol ${SUBPROTOCOL}); deadman ${o.commandTimeout} s, heartbeat timeout ${server.heartbeatTimeoutS} s`);
      say(server.tokenGenerated ? `token: ${server.token} (generated: clients pass it with --token or $${TOKEN_ENV})` : 'token: as given');
      const interactive = process.stdin.isTTY === true;
      if (interactive && !o.json) say("operator: keys 'e' e-stop (no Enter needed), 'r' reset, 's' status, 'q' quit (Ctrl-C also quits)");

      // The process's CPU from here on (serving, not start-up), for the summary's pacing.cpu_share.
      const cpu0 = process.cpuUsage();
      const stateEvents: Record<string, number> = {};
      let connections = 0;
      const sub = server.events$.subscribe((e) => {
        if (e.kind === 'connect') connections++;
        if (e.kind === 'state') stateEvents[e.cause] = (stateEvents[e.cause] ?? 0) + 1;
        if (!o.json) say(describe(e));
      });

      // Ctrl-C, SIGTERM, SIGHUP (a closed terminal, a dropped SSH session), SIGQUIT
      // (src/session/stopSignals.ts): the first stops serving; later ones are absorbed until the
      // robot is closed (SHUTDOWN_S bounds the shutdown).
      let onStopSignal = () => {};
      const stopSignal = () => onStopSignal();
      for (const sig of STOP_SIGNALS) process.on(sig, stopSignal);
      await new Promise<void>((resolve) => {
        let done = false;
        const stop = () => {
          if (done) return;
          done = true;
          if (timer) clearTimeout(timer);
          operator?.detach();
          resolve();
        };
        const timer = o.duration !== undefined ? setTimeout(stop, o.duration * 1000) : undefined;
        onStopSignal = stop;
        // On a terminal each key acts at once (raw mode): the stop key needs no Enter (docs/bridge.md).
        const operator = interactive ? attachConsole(process.stdin, operatorConsole(server, say, stop)) : undefined;
      });

      const stats = server.stats();
      const paced = server.pacing();
      const cpu = process.cpuUsage(cpu0);
      const finalState = server.robotState;
      const refused = server.refusals;
      // A stop must end the process: a shutdown step that never finishes (CI once left an
      // `axon bridge --duration 6` waiting for an hour) is named and the process exits 1.
      let step = 'closing the server (clients, port, pacer)';
      const guard = setTimeout(() => {
        process.stderr.write(`axon bridge: shutdown did not finish within ${SHUTDOWN_S} s (still ${step}); exiting\n`);
        process.exit(EXIT_FAILED);
      }, SHUTDOWN_S * 1000);
      guard.unref();
      await server.close();
      sub.unsubscribe();
      step = 'closing the robot';
      await robot.close();
      clearTimeout(guard);
      for (const sig of STOP_SIGNALS) process.off(sig, stopSignal);
      const summary = {
        command: 'bridge',
        robot: served.name,
        joints: robot.spec.joints.map((j) => j.name),
        ...(o.urdf !== undefined || o.mjcf !== undefined ? { robot_file: o.urdf ?? o.mjcf, robot_setup: served.setupSummary } : {}),
        physics,
        url: server.url,
        duration_s: round(stats.time, 3),
        loop_hz: server.loopHz,
        state_hz: server.stateHz,
        connections,
        state_frames_sent: stats.stateFramesSent,
        commands: { accepted: stats.commandsAccepted, rejected: stats.commandsRejected },
        round_trip_us: stats.roundTripUs,
        overruns: stats.overruns,
        pacing: {
          kind: paced.kind,
          wakes: paced.wakes,
          wake_late_us: paced.lateUs,
          cpu_share: round((cpu.user + cpu.system) / 1e6 / Math.max(stats.time, 1e-9), 3),
          ...(paced.lost !== undefined ? { lost: paced.lost } : {}),
        },
        robot_state: finalState,
        state_changes: stateEvents,
        http_estops: server.httpEstops,
        refusals: { closed_over_limit: refused.closedOverLimit, origins_refused: refused.originsRefused, upgrades_refused: refused.upgradesRefused },
        ...(blownUp !== undefined ? { state_watchdog: blownUp } : {}),
      };
      if (o.json) say(JSON.stringify(summary));
      else {
        const bounds = refused.closedOverLimit + refused.originsRefused + refused.upgradesRefused;
        const boundsText = bounds === 0 ? '' : `; ${refused.upgradesRefused} upgrade(s) refused busy (503), ${refused.originsRefused} for their origin (403), ${refused.closedOverLimit} connection(s) closed over a bound (1008)`;
        say(`stopped after ${summary.duration_s} s: ${connections} connection(s), ${stats.commandsAccepted} commands accepted, ${stats.commandsRejected} refused, robot was ${finalState}${boundsText}`);
      }
      if (blownUp !== undefined) {
        // The simulation blew up while served (sim's exit code for a run its watchdog ended).
        process.stderr.write(`axon bridge: the simulation blew up (state watchdog: ${blownUp}); the server safe-stops a commanded robot, and again at each re-arm, until a sim_reset\n`);
        process.exitCode = EXIT_INVALID_RUN;
      }
    });
}

/** Longest a stopped bridge may take to close its clients, port, pacer and robot (s). */
const SHUTDOWN_S = 5;

/** One line of the server's log; a client's words in it (reasons, close reasons) are made printable (src/core/printable.ts). */
export function describe(e: BridgeServerEvent): string {
  const t = `[${e.time.toFixed(3).padStart(9)} s]`;
  switch (e.kind) {
    case 'connect':
      return `${t} client ${e.client} connected from ${e.remote}`;
    case 'disconnect':
      return `${t} client ${e.client} disconnected (${e.code}${e.reason ? ` ${printable(e.reason)}` : ''})`;
    case 'role':
      return `${t} client ${e.client} is ${e.role === 'command' ? 'the commander' : e.role === 'observe' ? 'an observer' : 'an observer without token'}`;
    case 'state':
      return `${t} robot ${e.robotState} (${e.cause}): ${printable(e.reason)}`;
    case 'refused':
      return `${t} client ${e.client} refused: ${e.name} (${e.code}) ${printable(e.text)}`;
    case 'refusals':
      return `${t} client ${e.client} refused: ${e.name} (${e.code}) ${e.count} ${e.more ? 'more ' : ''}command frame${e.count === 1 ? '' : 's'} while the robot was ${e.robotState}`;
    case 'upgrades_refused':
      return `${t} ${e.count} upgrade(s) refused since the last such line, the latest from ${e.remote}: ${e.status} ${printable(e.why)}`;
    case 'pacing':
      return `${t} pacing: ${e.reason}`;
  }
}

/** `--host NAME` must resolve to be bound (an IP literal or localhost needs no lookup); else one line naming it, exit 2. */
export async function checkHostResolves(host: string): Promise<void> {
  const h = host.trim().replace(/^\[|\]$/g, '');
  if (isIP(h) !== 0 || h.toLowerCase() === 'localhost') return;
  try {
    await lookup(h, { all: true });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError('--host', `"${host}" does not resolve (${why}): there is no address to bind`, 'an interface of this machine: 127.0.0.1 (the default), 0.0.0.0 or its IP or name (beyond loopback with --token)');
  }
}
