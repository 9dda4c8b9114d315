/**
 * AsyncPolicy.reset() with a request still in the worker (an e-stop and an operator's re-arm while
 * the policy thinks): the answer to the old episode's input is dropped, not taken as the first
 * action of the new one (review R16 finding 4: action 0.90 from the pre-stop pose, actionAge -8).
 */
import { afterEach, expect, it } from 'vitest';
import { loadModelFolder, validateManifest } from '../../../src/model/manifest.ts';
import { AsyncPolicy } from '../../../src/policy/AsyncPolicy.ts';
import { manifest } from '../../helpers/fakes.ts';
import { linearPolicy } from '../../helpers/onnxFixtures.ts';

let policy: AsyncPolicy | undefined;
afterEach(async () => {
  await policy?.close();
  policy = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('an answer to a request made before reset() is never the first action after it', async () => {
  const m = validateManifest(manifest({ control_hz: 50, action: { type: 'joint_position', scale: 1 } }));
  const W = new Float32Array(8);
  W[0] = 1;
  W[5] = 1; // action = the first two inputs
  policy = await AsyncPolicy.load(loadModelFolder(linearPolicy(m, 4, 2, W, new Float32Array(2))), { stallS: 5, delayMs: 150 });
  policy.reset();
  let now = 0;
  for (let k = 0; k < 10; k++, now += 0.02) {
    policy.act(Float32Array.of(0.9, 0.9, 0, 0), now);
    await sleep(20);
  }
  policy.act(Float32Array.of(0.9, 0.9, 0, 0), now); // in the worker for 150 ms
  policy.reset();
  const seen: number[] = [];
  for (let k = 0; k < 40 && seen.length < 2; k++, now += 0.02) {
    const a = policy.act(Float32Array.of(0.1, 0.1, 0, 0), now);
    if (!policy.status.pending) {
      seen.push(a[0]);
      expect(policy.status.actionAge).toBeGreaterThanOrEqual(0);
    }
    await sleep(20);
  }
  expect(seen.length).toBeGreaterThan(0);
  for (const a of seen) expect(a).toBeCloseTo(0.1, 5);
}, 30_000);
