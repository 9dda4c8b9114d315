/**
 * One ring slot (a tick's numbers, see ringLayout.ts) as the JSON messages of a recording, one per
 * topic. Runs on the recorder's writer thread, never on the loop's.
 */
import { stageNames } from '../loop/TickRecord.ts';
import type { SafetyEvent } from '../safety/types.ts';
import { topics, type Topic } from './channels.ts';
import { num, numArray } from './json.ts';
import {
  F_AGE, F_INFER, F_LATE, F_OBS_SEQ, F_OBS_TIME, F_PROPOSED_MODE, F_RETURN, F_SENT_MODE, F_SEQ, F_STATE, F_TERM, F_TIME,
  F_WM, F_WM_COST, F_WM_SURPRISE, F_WM_VETOED, MODE_NAMES, STATE_NAMES, type CommandLayout, type Layout,
} from './ringLayout.ts';

const _encoder = new TextEncoder();

/** The messages of the tick in slot `b` of `r`, /axon/tick last (it ends the tick for readers). */
export function encodeTick(L: Layout, r: Float64Array, b: number, jointNames: readonly string[], worldModelMode: string | undefined): { topic: Topic; data: Uint8Array }[] {
  const seq = r[b + F_SEQ];
  let obs = `{"seq":${seq},"time":${num(r[b + F_OBS_TIME])},"obs_seq":${r[b + F_OBS_SEQ]}`;
  if (L.imu >= 0)
    obs += `,"imu":{"orientation":${numArray(r, b + L.imu, 4)},"angular_velocity":${numArray(r, b + L.imu + 4, 3)},"linear_acceleration":${numArray(r, b + L.imu + 7, 3)}}`;
  if (L.nContacts > 0) obs += `,"contacts":${numArray(r, b + L.contacts, L.nContacts)}`;
  if (L.base >= 0)
    obs +=
      `,"base":{"position":${numArray(r, b + L.base, 3)},"orientation":${numArray(r, b + L.base + 3, 4)},"linear_velocity":${numArray(r, b + L.base + 7, 3)},"angular_velocity":${numArray(r, b + L.base + 10, 3)}` +
      (L.baseCom >= 0 ? `,"com_position":${numArray(r, b + L.baseCom, 3)},"com_linear_velocity":${numArray(r, b + L.baseCom + 3, 3)}}` : '}');
  if (L.extras.length > 0) obs += `,"extras":{${L.extras.map((x) => `${JSON.stringify(x.name)}:${numArray(r, b + x.off, x.len)}`).join(',')}}`;
  obs += '}';

  const t = r[b + F_TIME];
  const sec = Math.max(0, Math.floor(t));
  const nsec = Math.min(999_999_999, Math.max(0, Math.round((t - sec) * 1e9)));
  let js = `{"timestamp":{"sec":${sec},"nsec":${nsec}},"joints":[`;
  for (let i = 0; i < L.n; i++) {
    if (i > 0) js += ',';
    js += `{"name":${JSON.stringify(jointNames[i])},"position":${num(r[b + L.pos + i])},"velocity":${num(r[b + L.vel + i])},"effort":${num(r[b + L.eff + i])}}`;
  }
  js += ']}';

  const pol =
    `{"seq":${seq},"input":${numArray(r, b + L.input, L.nInput)},"raw":${numArray(r, b + L.raw, L.nAction)},` +
    `"action":${numArray(r, b + L.action, L.nAction)},"action_age":${num(r[b + F_AGE])},"inference_s":${num(r[b + F_INFER])}}`;

  let stage = '{';
  for (let s = 0; s < stageNames.length; s++) stage += `${s > 0 ? ',' : ''}"${stageNames[s]}":${num(Math.round(r[b + L.stage + s] * 1e7) / 10)}`;
  stage += '}';
  const tick =
    `{"seq":${seq},"time":${num(t)},"lateness_us":${num(Math.round(r[b + F_LATE] * 1e7) / 10)},"stage_us":${stage},` +
    `"safety_state":"${STATE_NAMES[r[b + F_STATE]] ?? 'running'}","episode_return":${num(r[b + F_RETURN])},"terminated":${r[b + F_TERM] === 1}` +
    (L.cmd >= 0 ? `,"velocity_command":${numArray(r, b + L.cmd, 3)}` : '') +
    (r[b + F_WM] === 1 ? `,"world_model":{"surprise":${num(r[b + F_WM_SURPRISE])},"cost":${num(r[b + F_WM_COST])},"vetoed":${r[b + F_WM_VETOED] === 1}}}` : '}');

  const out: { topic: Topic; data: Uint8Array }[] = [
    { topic: topics.observation, data: _encoder.encode(obs) },
    { topic: topics.jointStates, data: _encoder.encode(js) },
    { topic: topics.policy, data: _encoder.encode(pol) },
    { topic: topics.proposed, data: _encoder.encode(encodeCommand(seq, r[b + F_PROPOSED_MODE], L.proposed, r, b, L.n)) },
    { topic: topics.sent, data: _encoder.encode(encodeCommand(seq, r[b + F_SENT_MODE], L.sent, r, b, L.n)) },
  ];
  if (L.pred >= 0 && r[b + L.pred] === 1) {
    let states = '[';
    for (let t = 0; t < L.predPoints; t++) states += `${t > 0 ? ',' : ''}${numArray(r, b + L.pred + 2 + t * L.predSize, L.predSize)}`;
    out.push({ topic: topics.worldModel, data: _encoder.encode(`{"seq":${seq},"mode":"${worldModelMode}","cost":${num(r[b + L.pred + 1])},"states":${states}]}`) });
  }
  out.push({ topic: topics.tick, data: _encoder.encode(tick) }); // last: it ends the tick for readers
  return out;
}

/** A safety event as its /axon/safety/event message. */
export function encodeEvent(e: SafetyEvent): Uint8Array {
  return _encoder.encode(
    `{"time":${num(e.time)},"seq":${e.seq},"kind":${JSON.stringify(e.kind)},"state":${JSON.stringify(e.state)}` +
      (e.joint !== undefined ? `,"joint":${JSON.stringify(e.joint)}` : '') +
      (e.value !== undefined ? `,"value":${num(e.value)}` : '') +
      `,"reason":${JSON.stringify(e.reason)}}`,
  );
}

function encodeCommand(seq: number, mode: number, L: CommandLayout, r: Float64Array, b: number, n: number): string {
  let s = `{"seq":${seq},"mode":"${MODE_NAMES[mode] ?? 'position'}","target":${numArray(r, b + L.target, n)}`;
  if (L.kp >= 0) s += `,"kp":${numArray(r, b + L.kp, n)}`;
  if (L.kd >= 0) s += `,"kd":${numArray(r, b + L.kd, n)}`;
  if (L.ff >= 0) s += `,"feedforward":${numArray(r, b + L.ff, n)}`;
  return s + '}';
}
