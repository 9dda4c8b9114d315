import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism, tmpdir } from 'node:os';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeVendorDeploy, writeVendorOnnx, writeVendorUrdf } from '../helpers/vendorDeploy.ts';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { runAxon } from '../helpers/cli.ts';

/** Bad input: one line on stderr naming the flag, file or field, exit code 2, and no run started. */
const axon = (...args: string[]) => runAxon(args, 30_000);

function expectUsage(r: ReturnType<typeof axon>, ...parts: string[]) {
  expect(r.code, r.stderr).toBe(2);
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'))).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const policy = 'models/cartpole-balance';

/** The cartpole policy folder with its model.onnx replaced by `bytes` (text, or nothing). */
function brokenModel(bytes: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'axon-badonnx-')), 'm');
  cpSync(policy, dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  return dir;
}

describe('bad input is refused before the work', () => {
  it.each([
    ['sim', '--robot', 'cartpole', '--policy', policy, '--duration', '1', '--fast'],
    ['eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '1', '--duration', '1'],
    ['sim2sim', '--robot', 'cartpole', '--policy', policy, '--duration', '1'],
    ['inspect', policy, '--robot', 'cartpole'],
  ])('%s: --physics-hz above 20000 Hz (1e9 ran millions of steps a tick, deaf to Ctrl-C)', (...args) => {
    expectUsage(axon(...args, '--physics-hz', '1e9'), '--physics-hz', 'at most 20000 Hz');
  });
});

describe('eval --workers', () => {
  it('runs no more worker threads than the CPUs, with a note naming --workers and the count (64 took 3.2 GB)', () => {
    const cpus = availableParallelism();
    const r = axon('eval', '--robot', 'cartpole', '--policy', policy, '--episodes', String(cpus + 1), '--duration', '0.02', '--workers', String(cpus + 1), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`--workers ${cpus + 1} is more than this machine's ${cpus} CPUs`);
    const s = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(s.workers).toBe(cpus);
    expect(s.episodes).toBe(cpus + 1);
  });
});

describe('a bad model found in a worker thread is bad input, as in one thread', () => {
  it.each([
    ['eval --workers 2', ['eval', '--robot', 'cartpole', '--episodes', '2', '--duration', '1', '--workers', '2']],
    ['sim --async', ['sim', '--robot', 'cartpole', '--duration', '1', '--fast', '--async']],
  ])('%s: ONNX_LOAD naming model.onnx, exit 2', (_, args) => {
    const dir = brokenModel('this is not an onnx\n');
    expectUsage(axon(...args, '--policy', dir), '[ONNX_LOAD]', join(dir, 'model.onnx'), 'a valid ONNX model');
  });
});

describe('a model.onnx onnxruntime cannot load is one line, ONNX_LOAD, exit 2', () => {
  it.each([
    ['inspect, text', 'this is not an onnx\n', (dir: string) => ['inspect', dir, '--robot', 'cartpole']],
    ['inspect, empty', '', (dir: string) => ['inspect', dir, '--robot', 'cartpole']],
    ['sim, empty (no C++ signature)', '', (dir: string) => ['sim', '--robot', 'cartpole', '--policy', dir, '--duration', '0.1', '--fast']],
  ])('%s', (_, bytes, args) => {
    const dir = brokenModel(bytes);
    const r = axon(...args(dir));
    expectUsage(r, '[ONNX_LOAD]', join(dir, 'model.onnx'), 'a valid ONNX model');
    expect(r.stderr).not.toContain('onnxruntime_src');
  });
});

describe('an output path of the wrong kind names its flag before any work, exit 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'axon-outpaths-'));
  const file = join(tmp, 'a-file.txt');
  writeFileSync(file, 'hello\n');
  const folder = join(tmp, 'a-folder');
  mkdirSync(folder);
  const dangling = join(tmp, 'dangling');
  symlinkSync(join(tmp, 'nothing-here'), dangling);
  const evalArgs = ['eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '2', '--duration', '0.1'];

  it.each([
    ['a file', file, 'is a file, not a folder'],
    ['a path under a file', join(file, 'runs'), 'is a file, not a folder'],
    ['a broken link', dangling, 'broken symbolic link'],
  ])('eval --record: %s', (_, dir, says) => {
    expectUsage(axon(...evalArgs, '--record', dir), '--record', says, 'a folder');
  });

  it.runIf(existsSync('/proc/self'))('eval --record under /proc is refused, not a mkdir that loops for ever', () => {
    expectUsage(axon(...evalArgs, '--record', '/proc/axon-nope/runs'), '--record', 'cannot be made');
  });

  it('eval --shard --out: a folder is refused before the episodes; a missing folder above the file is made', () => {
    expectUsage(axon(...evalArgs, '--shard', '0/2', '--out', folder), '--out', 'is a folder', "shard's results");
    expectUsage(axon(...evalArgs, '--shard', '0/2', '--out', join(file, 's.json')), '--out', 'is a file, not a folder');
    const deep = join(tmp, 'new', 'dir', 'shard.json');
    const r = axon(...evalArgs, '--shard', '0/2', '--out', deep);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(deep)).toBe(true);
  });

  it('manifest from-deploy: a file for --out, a folder for the deploy file', () => {
    const d = writeVendorDeploy(join(tmp, 'params'));
    const onnx = writeVendorOnnx(join(tmp, 'policy.onnx'));
    const urdf = writeVendorUrdf(join(tmp, 'g1.urdf'));
    expectUsage(axon('manifest', 'from-deploy', d.path, '--onnx', onnx, '--urdf', urdf, '--out', file), '--out', 'is a file, not a folder', 'a model folder');
    expectUsage(axon('manifest', 'from-deploy', folder, '--onnx', onnx, '--urdf', urdf, '--out', join(tmp, 'model')), '<deploy>', 'is a folder', 'a deploy.yaml file');
    expect(existsSync(join(tmp, 'model'))).toBe(false);
  });

  it.each(['from-isaaclab', 'from-legged-gym'])('manifest %s: a folder for the config', (sub) => {
    expectUsage(axon('manifest', sub, folder, '--joints', 'a,b'), '<config>', 'is a folder', 'a config file');
  });

  it('export lerobot --out: a file for the dataset folder', () => {
    const mcap = join(tmp, 'run.mcap');
    const rec = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '0.1', '--fast', '--record', mcap);
    expect(rec.code, rec.stderr).toBe(0);
    expectUsage(axon('export', 'lerobot', mcap, '--out', file), '--out', 'is a file, not a folder', 'a dataset folder');
  });
});

describe('sim --view on a busy port', () => {
  it('is refused before the run: no summary on stdout, VIEWER_LISTEN naming the port, exit 2', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = axon('sim', '--robot', 'cartpole', '--policy', policy, '--duration', '1', '--view', '--view-port', String(port), '--json');
      expectUsage(r, '[VIEWER_LISTEN]', String(port), '--view-port');
      expect(r.stdout).not.toContain('"command":"sim"');
    } finally {
      busy.close();
    }
  });
});

describe('a command group without its subcommand', () => {
  it.each([[[]], [['hw']], [['manifest']], [['dataset']], [['export']]])('axon %j: usage on stderr, exit 2 (asking for help is still 0)', (args) => {
    const r = axon(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: axon');
    const help = axon(...args, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: axon');
  });
});

describe('a port that cannot be opened is one line: the port, what failed, what to check', () => {
  const RUN = ['run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--duration', '0.2'];
  const count = (s: string, part: string) => s.split(part).length - 1;

  it.each([
    ['a serial device that is not there', [...RUN, '--port', '/dev/ttyAXONNOPE'], 'arm6-xm430 on /dev/ttyAXONNOPE: cannot open the serial port: not found', '/dev/ttyAXONNOPE', 'is the adapter plugged in?'],
    ['a folder', [...RUN, '--port', tmpdir()], `arm6-xm430 on ${tmpdir()}: cannot open the serial port: it is a folder, not a serial device`, tmpdir(), 'a serial device such as /dev/ttyUSB0'],
    ['a TCP port nothing listens on', [...RUN, '--port', 'tcp://127.0.0.1:1'], 'arm6-xm430 on tcp://127.0.0.1:1: cannot connect: connection refused', 'tcp://127.0.0.1:1', 'a listening serial-over-TCP server'],
    ['hw scan', ['hw', 'scan', '--port', '/dev/ttyAXONNOPE'], '/dev/ttyAXONNOPE: cannot open the serial port: not found', '/dev/ttyAXONNOPE', 'is the adapter plugged in?'],
    ['teleop: the arm is named', ['teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--leader-port', '/dev/ttyAXONNOPE', '--follower-port', 'emu://', '--duration', '1'], 'so101-leader on /dev/ttyAXONNOPE: cannot open the serial port: not found', '/dev/ttyAXONNOPE', 'is the adapter plugged in?'],
  ])('%s', (_, args, says, port, check) => {
    const r = axon(...args);
    expectUsage(r, '[TRANSPORT_OPEN]', says, check);
    // Said once each (it was "arm6-xm430 on P: P: P: cannot open: Error: No such file or directory, cannot open P (expected X) (expected X)").
    expect(count(r.stderr, port)).toBe(1);
    expect(count(r.stderr, '(expected')).toBe(1);
    expect(r.stderr).not.toContain('Error:');
  });
});

describe('inspect X.onnx --draft PATH: a path that cannot be written names --draft before the model is read, exit 2', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'axon-draft-'));
  const file = join(tmp, 'a-file.txt');
  writeFileSync(file, 'hello\n');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const onnx = `${policy}/model.onnx`;

  it.each([
    ['a folder', tmp, 'is a folder'],
    ['a path under a file', join(file, 'manifest.json'), 'is a file, not a folder'],
    ...(existsSync('/proc/self')
      ? [
          ['a file that /proc cannot hold', '/proc/axon-draft.json', 'cannot be made'],
          ['a folder that cannot be made under /proc', '/proc/axon-nope/manifest.json', 'cannot be made'],
        ]
      : []),
  ])('%s', (_, draft, says) => {
    expectUsage(axon('inspect', onnx, '--draft', draft), '--draft', says, 'a file path for the manifest draft');
  });

  it('a missing folder is made and the draft written', () => {
    const draft = join(tmp, 'new', 'manifest.json');
    const r = axon('inspect', onnx, '--draft', draft);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(draft)).toBe(true);
  });
});

describe.runIf(existsSync('/proc/self'))('--dataset under /proc is refused at once, not a writer that loops for ever', () => {
  it.each([
    ['sim', ['sim', '--robot', 'cartpole', '--policy', policy, '--duration', '0.1', '--fast']],
    ['eval', ['eval', '--robot', 'cartpole', '--policy', policy, '--episodes', '1', '--duration', '0.1']],
    ['run', ['run', '--config', 'hardware/robots/arm6-xm430.json', '--policy', 'models/arm6-pose', '--port', 'emu://', '--duration', '0.2']],
    ['teleop', ['teleop', '--leader', 'hardware/robots/so101-leader.json', '--follower', 'hardware/robots/so101-follower.json', '--script-leader', '--duration', '0.5']],
  ])('%s', (_, args) => {
    const t0 = performance.now();
    const r = axon(...args, '--dataset', '/proc/axon-nope/ds');
    expectUsage(r, '--dataset', '/proc/axon-nope/ds cannot be made', 'a dataset folder');
    expect(performance.now() - t0).toBeLessThan(20_000); // it hung until killed
  });
});

describe('a model with no moving joint is refused by name, not reported as a schema error of axon\'s own hold-pose model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axon-nojoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A vendor's prop or tool as shipped: a base with a mesh, a camera frame link of zero inertia welded on.
  const urdf = join(dir, 'tool.urdf');
  writeFileSync(
    urdf,
    `<robot name="tool">
  <link name="base"><inertial><mass value="0.4"/><inertia ixx="1e-4" ixy="0" ixz="0" iyy="1e-4" iyz="0" izz="1e-4"/></inertial>
    <visual><geometry><mesh filename="tool.stl"/></geometry></visual></link>
  <joint name="camera_joint" type="fixed"><parent link="base"/><child link="camera_link"/><origin xyz="0 0 0.1"/></joint>
  <link name="camera_link"><inertial><mass value="0"/><inertia ixx="0" ixy="0" ixz="0" iyy="0" iyz="0" izz="0"/></inertial></link>
</robot>`,
  );
  const mjcf = join(dir, 'ball.xml');
  writeFileSync(mjcf, '<mujoco><worldbody><body name="ball"><freejoint/><geom size="0.1"/></body></worldbody></mujoco>');

  it.each([
    ['sim', '--urdf', urdf, '--duration', '1', '--fast'],
    ['sim', '--urdf', urdf, '--policy', policy, '--duration', '1', '--fast'],
    ['sim', '--urdf', urdf, '--physics', 'mujoco', '--duration', '1', '--fast'],
    ['sim2sim', '--urdf', urdf, '--policy', policy, '--duration', '1'],
  ])('%s %s %s ...', (...args) => {
    expectUsage(axon(...args), 'ROBOT_NO_JOINTS', urdf, 'robot tool has no moving joint', 'revolute, continuous or prismatic');
  });

  it('an MJCF whose only joint is the free joint', () => {
    const r = axon('sim', '--mjcf', mjcf, '--duration', '1', '--fast');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`[ROBOT_NO_JOINTS]: ${mjcf}: robot ball has no moving joint`);
    expect(r.stderr).not.toContain('hold-pose manifest');
  });
});
