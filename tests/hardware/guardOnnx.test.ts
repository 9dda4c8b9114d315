/**
 * `axon run --guard-onnx` on the emulated arm6 bus (docs/safety.md "Deadlines"): an onnxruntime call
 * that never returns, in the policy or in the world model, is a deadline miss the supervisor holds
 * and safe-stops on (ended_by "safe_stop", exit 5, the stop naming the stage), not a frozen loop.
 * A call stuck in native code (a FIFO open() here, which worker.terminate() cannot interrupt) leaves
 * a thread Node cannot join: the run still writes its summary, then ends by SIGKILL.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAxon } from '../helpers/cli.ts';
import { axonChildren } from '../helpers/axonChildren.ts';
import { startServer } from './bridge/helpers.ts';
import { createSimRobot } from '../../sim/index.ts';
import { EXIT_SAFE_STOPPED } from '../../src/cli/exitCodes.ts';

// The shipped arm with a 1 s bus watchdog (100 ms shipped): these runs are about the loop's own
// stop; on a loaded CI host a pause past 100 ms would trip the emulated servos' watchdog first.
const CONFIG = join(mkdtempSync(join(tmpdir(), 'axon-guard-')), 'arm6-xm430.json');
writeFileSync(CONFIG, JSON.stringify({ ...JSON.parse(readFileSync('hardware/robots/arm6-xm430.json', 'utf8')), watchdog_ms: 1000, urdf: undefined }));
const RUN = ['run', '--config', CONFIG, '--port', 'emu://', '--policy', 'models/arm6-pose', '--guard-onnx', '--duration', '4', '--json'];
const hang = (spec: string) => ({ ...process.env, AXON_TEST_ONNX_HANG: spec });
const children = axonChildren();

describe('axon run --guard-onnx', () => {
  it('safe-stops on a policy call that never returns', () => {
    const r = runAxon(RUN, 120_000, hang('40,model=arm6-pose'));
    expect(r.code, r.stderr).toBe(EXIT_SAFE_STOPPED);
    const s = JSON.parse(r.lastLine);
    expect(s.ended_by).toBe('safe_stop');
    expect(s.safety.stop).toMatchObject({ by: 'supervisor', kind: 'policy_deadline' });
    expect(s.safety.stop.reason).toMatch(/onnxruntime/);
    // Held from the stop to the end of the run: the loop went on ticking.
    expect(s.ticks).toBeGreaterThan(100);
  });

  it('safe-stops on a world-model call that never returns', () => {
    const r = runAxon([...RUN, '--async', '--world-model', 'models/arm-wm', '--wm-mode', 'shield'], 120_000, hang('40,model=arm-wm'));
    expect(r.code, r.stderr).toBe(EXIT_SAFE_STOPPED);
    const s = JSON.parse(r.lastLine);
    expect(s.safety.stop).toMatchObject({ by: 'supervisor', kind: 'world_model_deadline' });
    expect(s.ticks).toBeGreaterThan(100);
  });

  it('a monitor whose model stops answering misses every tick: the 3rd in a row safe-stops (review R22 F4)', () => {
    const r = runAxon([...RUN, '--async', '--world-model', 'models/arm-wm', '--wm-mode', 'monitor'], 120_000, hang('40,model=arm-wm'));
    expect(r.code, r.stderr).toBe(EXIT_SAFE_STOPPED);
    const stop = JSON.parse(r.lastLine).safety.stop;
    expect(stop).toMatchObject({ by: 'supervisor', kind: 'world_model_deadline' });
    expect(stop.reason).toMatch(/^3 consecutive world model deadline misses/);
  });

  it('writes its summary, then ends by SIGKILL when the call is stuck in native code', () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'axon-guard-')), 'never');
    execFileSync('mkfifo', [fifo]);
    const r = runAxon(RUN, 120_000, hang(`40,model=arm6-pose,fifo=${fifo}`));
    expect(r.code).toBeNull(); // killed by a signal, not exit 0
    expect(JSON.parse(r.lastLine).ended_by).toBe('safe_stop');
    expect(r.stderr).toMatch(/1 onnxruntime call never returned.*SIGKILL \(exit status 137, where 5 was due\)/);
  });

  it('over the bridge too (axon sim --robot ws://... --guard-onnx): the client safe-stops; a local sim refuses the flag', async () => {
    const server = await startServer({ robot: createSimRobot('cartpole'), engine: 'cannon' });
    children.open.push(server);
    const p = children.axon(['sim', '--robot', server.url, '--token', 'secret-token', '--policy', 'models/cartpole-balance', '--guard-onnx', '--duration', '3', '--json'], hang('60,model=cartpole-balance'));
    const code = await p.done;
    expect(code, p.err).toBe(EXIT_SAFE_STOPPED);
    expect(JSON.parse(p.out.trim().split('\n').at(-1)!).safety.stop).toMatchObject({ by: 'supervisor', kind: 'policy_deadline' });
    const local = runAxon(['sim', '--robot', 'cartpole', '--policy', 'models/cartpole-balance', '--guard-onnx']);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--guard-onnx: only applies with --robot ws:\/\/HOST:PORT/);
  });
});
