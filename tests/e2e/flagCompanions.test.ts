/**
 * A flag that acts only with another (its companion) is refused without it, and `--command` is
 * refused where no model reads it: before, each of these ran and ignored the flag in silence, so
 * the user believed it had acted (docs/cli.md, "Flags that need another"). One line on stderr
 * naming both, exit 2, before any work.
 */
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { velocityPolicy } from '../helpers/velocityPolicy.ts';
import { runAxon } from '../helpers/cli.ts';

// 30 s: `hw emulate` with an ignored flag served until killed.
const axon = (...args: string[]) => runAxon(args, 30_000);

function expectRefused(r: ReturnType<typeof axon>, ...parts: string[]) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain('[CLI_USAGE]');
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toBe(''); // nothing ran
}

const P = 'models/cartpole-balance';
const SIM = ['sim', '--robot', 'cartpole', '--policy', P, '--duration', '0.1', '--fast'];
const PLAN = ['sim', '--robot', 'cartpole', '--world-model', 'models/cartpole-wm', '--duration', '0.1', '--fast'];
const MONITOR = [...SIM, '--world-model', 'models/cartpole-wm', '--wm-mode', 'monitor'];
const URDF = ['sim', '--urdf', 'sim/robots/arm.urdf', '--duration', '0.1', '--fast'];
const BRIDGED = ['sim', '--robot', 'ws://127.0.0.1:1', '--policy', P, '--duration', '0.1'];
const EVAL = ['eval', '--robot', 'cartpole', '--policy', P, '--episodes', '1', '--duration', '0.1'];
const RUN = ['run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://', '--duration', '0.2'];
const TELEOP = ['teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--script-leader', '--duration', '0.5'];

describe('a flag given without the flag it needs is refused, naming both (exit 2, before any work)', () => {
  it.each([
    // the world-model hook's settings: each belongs to one mode
    ['sim --samples without --world-model', [...SIM, '--samples', '8'], '--samples', '--wm-mode plan'],
    ['sim --temperature in monitor mode', [...MONITOR, '--temperature', '0.5'], '--temperature', 'the mode is monitor'],
    ['sim --elite with the MPPI planner', [...PLAN, '--elite', '0.2'], '--elite', '--planner cem'],
    ['sim --shield-horizon in monitor mode', [...MONITOR, '--shield-horizon', '3'], '--shield-horizon', '--wm-mode shield'],
    ['sim --surprise-ticks without --world-model', [...SIM, '--surprise-ticks', '3'], '--surprise-ticks', '--wm-mode monitor'],
    ['eval --horizon without --world-model', [...EVAL, '--horizon', '5'], '--horizon', '--wm-mode plan'],
    ['run --planner without --world-model', [...RUN, '--planner', 'cem'], '--planner', '--wm-mode plan'],
    // outputs and threads
    ['sim --stall-ms without --async', [...SIM, '--stall-ms', '50'], '--stall-ms', '--async'],
    ['sim --view-port without --view', [...SIM, '--view-port', '9999'], '--view-port', '--view'],
    ['sim --task without --dataset', [...SIM, '--task', 'balance'], '--task', '--dataset'],
    ['sim --allow-drops without a recording', [...SIM, '--allow-drops'], '--allow-drops', '--record or --dataset'],
    ['eval --task without --dataset', [...EVAL, '--task', 'balance'], '--task', '--dataset'],
    ['run --stall-ms without --async', [...RUN, '--stall-ms', '50'], '--stall-ms', '--async'],
    ['run --view-port without --view', [...RUN, '--view-port', '9999'], '--view-port', '--view'],
    ['run --urdf without --view or --record', [...RUN, '--urdf', 'hardware/robots/arm6-xm430.urdf'], '--urdf', '--view or --record'],
    ['teleop --task without --dataset', [...TELEOP, '--task', 'pick'], '--task', '--dataset'],
    ['teleop --allow-drops without a recording', [...TELEOP, '--allow-drops'], '--allow-drops', '--record or --dataset'],
    ['replay --speed without --view', ['replay', 'none.mcap', '--speed', '2'], '--speed', '--view'],
    ['replay --from without --view', ['replay', 'none.mcap', '--from', '1'], '--from', '--view'],
    ['replay --urdf without --view', ['replay', 'none.mcap', '--urdf', 'robot.urdf'], '--urdf', '--view'],
    // sim's robot
    ['sim --token without a bridged robot', [...SIM, '--token', 'abc'], '--token', '--robot ws://'],
    ['sim --strict without --urdf', [...SIM, '--strict'], '--strict', '--urdf FILE'],
    ['sim --mesh-collision without --urdf', [...SIM, '--mesh-collision', 'box'], '--mesh-collision', '--urdf FILE'],
    ['sim --urdf-package-path without --urdf', [...SIM, '--urdf-package-path', '/tmp'], '--urdf-package-path', '--urdf FILE'],
    ['sim --zero-policy without --policy', [...URDF, '--zero-policy'], '--zero-policy', '--policy'],
    ['sim --async without --policy', [...URDF, '--async'], '--async', '--policy'],
    ['sim --physics-hz on a bridged robot', [...BRIDGED, '--physics-hz', '1000'], '--physics-hz', "server's physics"],
    ['sim --physics on a bridged robot', [...BRIDGED, '--physics', 'mujoco'], '--physics', "server's physics"],
    ['sim --urdf on a bridged robot without --view or --record', [...BRIDGED, '--urdf', 'sim/robots/arm.urdf'], '--urdf', '--view or --record'],
    ['sim2sim --urdf-package-path without --urdf', ['sim2sim', '--robot', 'cartpole', '--policy', P, '--urdf-package-path', '/tmp'], '--urdf-package-path', '--urdf FILE'],
    // eval's
    ['eval --out without --shard', [...EVAL, '--out', 'shard.json'], '--out', '--shard'],
    ['eval --baseline without --world-model', [...EVAL, '--baseline'], '--baseline', '--world-model'],
    // inspect: a model folder is checked against a robot; a bare .onnx gets a draft
    ['inspect --draft on a model folder', ['inspect', P, '--draft', 'draft.json'], '--draft', 'a bare .onnx'],
    ['inspect --robot on a bare .onnx', ['inspect', `${P}/model.onnx`, '--robot', 'cartpole'], '--robot', 'a model folder'],
    ['inspect --physics-hz on a bare .onnx', ['inspect', `${P}/model.onnx`, '--physics-hz', '100'], '--physics-hz', 'a model folder'],
    ['inspect --urdf-package-path without --urdf', ['inspect', P, '--urdf-package-path', '/tmp'], '--urdf-package-path', '--urdf FILE'],
    // hw
    ['hw scan --port with --list', ['hw', 'scan', '--list', '--port', '/dev/ttyUSB0'], '--port', '--list'],
    ['hw scan --timeout-ms with Dynamixel --ids', ['hw', 'scan', '--port', 'emu://3', '--ids', '1-3', '--timeout-ms', '5'], '--timeout-ms', '--ids'],
    ['hw emulate --servos with --config', ['hw', 'emulate', '--servos', '3', '--config', 'hardware/robots/arm6-xm430.json'], '--servos', '--config'],
    ['hw emulate --servo-baud on a Dynamixel bus', ['hw', 'emulate', '--servo-baud', '57600'], '--servo-baud', '--protocol feetech'],
  ])('%s', (_, args, flag, needs) => {
    const r = axon(...args);
    expectRefused(r, `${flag}: only applies with`, needs);
  });

  it('a robot set-up flag on a bridged robot is refused: the server sets the robot up (axon bridge takes it)', () => {
    const r = axon(...BRIDGED, '--urdf', 'sim/robots/arm.urdf', '--view', '--fixed-base');
    expectRefused(r, '--fixed-base: sets up a robot simulated here, and a bridged robot is set up by its server', 'axon bridge --urdf FILE --fixed-base');
  });

  it('with its companion the flag is taken: --stall-ms with --async runs', () => {
    const r = axon(...SIM, '--async', '--stall-ms', '50', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).async_policy).toBeDefined();
  });
});

describe('--command where nothing reads it is refused (it was ignored: the user believed the robot was being commanded)', () => {
  it.each([
    ['sim, a policy without velocity_commands', [...SIM, '--command', '0.5,0,0'], "models/cartpole-balance's manifest has no velocity_commands"],
    ['sim --urdf without a policy', [...URDF, '--command', '0.5,0,0'], 'there is no --policy'],
    ['sim over the bridge', [...BRIDGED, '--command', '0.5,0,0'], 'velocity_commands'],
    ['eval', [...EVAL, '--command', '0.5,0,0'], 'velocity_commands'],
    ['run (hardware)', [...RUN, '--command', '0.5,0,0'], "models/arm6-pose's manifest has no velocity_commands"],
    ['sim2sim', ['sim2sim', '--robot', 'cartpole', '--policy', P, '--command', '0.5,0,0'], 'velocity_commands'],
  ])('%s', (_, args, says) => {
    expectRefused(axon(...args), '--command', '0.5,0,0 would be read by nothing', says);
  });

  it('a policy that reads the command still takes it', () => {
    const policy = velocityPolicy();
    const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--command', '0.5,0,0', '--duration', '0.1', '--fast', '--json');
    rmSync(policy, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).velocity_command).toEqual([0.5, 0, 0]);
  });
});
