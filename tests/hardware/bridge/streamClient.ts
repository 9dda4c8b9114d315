/**
 * A raw commander that keeps streaming zero effort commands every 20 ms, as a third-party client
 * might (axon's own withholds while the served robot is stopped): docs/bridge.md's refusal-log example.
 *   npx tsx tests/hardware/bridge/streamClient.ts ws://127.0.0.1:18895 TOKEN SECONDS
 */
import { RawClient } from './helpers.ts';
import { encodeCommand } from '../../../hardware/bridge/frames.ts';
const c = await RawClient.open(process.argv[2]);
console.log('auth', (await c.auth(process.argv[3], 'command')).type);
const joints: number = c.hello.robot.joints.length;
const buf = Buffer.alloc(4096);
let seq = 0;
const t = setInterval(() => {
  const n = encodeCommand(buf, joints, ++seq, 0, 0, { mode: 'effort', target: new Float64Array(joints) });
  c.bin(Buffer.from(buf.subarray(0, n)));
}, 20);
setTimeout(() => {
  clearInterval(t);
  const errs = c.messages.filter((m) => m.type === 'error');
  console.log('sent', seq, 'error replies', errs.length, errs[0]?.name);
  c.ws.close();
}, Number(process.argv[4] ?? 10) * 1000);
