import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bad input: one line on stderr naming the flag, file or field, exit code 2, and no run started. */
function axon(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/axon.js', ...args], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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
