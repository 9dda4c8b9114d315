/**
 * Records every tick of a control loop to an MCAP file, off the tick path.
 *
 * On the tick (a `records$` subscriber, synchronous) the recorder only copies the record's numbers
 * into a preallocated ring of Float64 slots: no JSON, no allocation, no I/O (a safety event, rare,
 * is kept by reference). A timer (every `flushIntervalMs`) and a setImmediate scheduled when the
 * ring is a quarter full drain the ring: JSON-encode each tick's messages, hand them to
 * `@mcap/core`'s McapWriter, which writes zstd-compressed chunks of about `chunkSeconds` of run
 * time each. A run that is killed leaves every chunk written before it readable (no footer: the
 * reader warns). If the ring fills faster than it drains, ticks are dropped and counted, never
 * waited for.
 *
 * The ring's slot layout depends on the robot's observation (IMU, contacts, base, extras): it is
 * sized on the first record, once per run.
 */
import { performance } from 'node:perf_hooks';
import { openSync, write as fsWrite, close as fsClose } from 'node:fs';
import type { Subscription } from 'rxjs';
import { McapWriter, type IWritable } from '@mcap/core';
import type { TickRecord } from '../loop/TickRecord.ts';
import { stageNames } from '../loop/TickRecord.ts';
import type { ControlMode, JointCommand, RobotSpec } from '../core/robot.ts';
import type { SafetyEvent, SafetyState } from '../safety/types.ts';
import { AxonError } from '../core/errors.ts';
import { topics, schemas, metadataNames, mcapLibrary, mcapProfile, type Topic } from './channels.ts';
import { num, numArray, keepNonFinite } from './json.ts';
import type { RolloutTrace } from '../worldmodel/RolloutTrace.ts';

/** What a recording says about its run, written as MCAP metadata. */
export interface RecordingMeta {
  readonly spec: RobotSpec;
  /** The policy's model manifest (as loaded). */
  readonly manifest?: unknown;
  /** The world model's manifest, when one runs. */
  readonly worldModelManifest?: unknown;
  /** Loop period (s). */
  readonly period: number;
  /** Free-form facts about the run: command, robot, policy folder, seed, physics engine (`physics`: cannon | mujoco, a simulation), ... */
  readonly run?: Record<string, unknown>;
  /** A plan or shield hook's rollouts: each tick's predicted trajectory goes to /axon/world_model/predicted. */
  readonly worldModel?: RecordedWorldModel;
  /**
   * The operator's velocity command (a VelocityCommand): `applied`, the (vx m/s, vy m/s, wz rad/s)
   * the tick's observation used, goes into every /axon/tick as `velocity_command`.
   */
  readonly command?: { readonly applied: ArrayLike<number> };
}

/** What a recording needs to keep a world model's predictions (the trace) and to draw them later. */
export interface RecordedWorldModel {
  readonly trace: RolloutTrace;
  readonly mode: 'plan' | 'shield';
  /** World-model step (s). */
  readonly dt: number;
  readonly stateNames: readonly string[];
  /** Joint angle = state[slot] / scale + offset for robot joint `joint`. */
  readonly jointSlots: readonly { readonly slot: number; readonly joint: number; readonly scale: number; readonly offset: number }[];
}

export interface RecorderOptions {
  /** Ticks the ring holds between two flushes; default 16384. */
  readonly capacity?: number;
  /** Target run time per chunk (s); the chunk size is derived from the first tick's size. Default 1. */
  readonly chunkSeconds?: number;
  /** 'zstd' (WebAssembly, offline) or 'none'. Default 'zstd'. */
  readonly compression?: 'zstd' | 'none';
  /** Flush timer period (ms); default 50. */
  readonly flushIntervalMs?: number;
  /** Longest stretch of encoding/writing before yielding to the event loop (ms); default 1. */
  readonly sliceMs?: number;
}

export interface RecorderSummary {
  readonly file: string;
  readonly ticks: number;
  /** Ticks the recorder was handed and ticks it wrote (received = written + dropped). */
  readonly received: number;
  readonly written: number;
  /** Ticks lost because the ring was full (0 unless the writer fell behind). */
  readonly dropped: number;
  readonly events: number;
  readonly messages: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly compression: string;
}

export interface Recorder {
  readonly file: string;
  /** Ticks copied so far. */
  readonly ticks: number;
  readonly dropped: number;
  /** How the episode ended, written as `axon.episode` metadata at close (call before close()). */
  setEpisode(e: RecordedEpisode): void;
  /** Drains the ring, writes the summary and footer, closes the file. Idempotent. */
  close(): Promise<RecorderSummary>;
}

/** The `axon.episode` metadata: how the recorded episode ended. */
export interface RecordedEpisode {
  readonly success?: boolean;
  readonly seed?: number;
  readonly randomization?: Record<string, number>;
}

const STATE_NAMES: readonly SafetyState[] = ['running', 'degraded', 'safe-stop', 'e-stopped'];
const MODE_NAMES: readonly ControlMode[] = ['position', 'velocity', 'effort'];

// Fixed head of a slot.
const F_SEQ = 0, F_TIME = 1, F_LATE = 2, F_STATE = 3, F_RETURN = 4, F_TERM = 5, F_AGE = 6, F_INFER = 7;
const F_OBS_TIME = 8, F_OBS_SEQ = 9, F_PROPOSED_MODE = 10, F_SENT_MODE = 11;
// World-model values (F_WM = 1 when the tick carried them).
const F_WM = 12, F_WM_SURPRISE = 13, F_WM_COST = 14, F_WM_VETOED = 15, HEAD = 16;

interface Layout {
  readonly stride: number;
  readonly n: number;
  readonly stage: number;
  readonly pos: number;
  readonly vel: number;
  readonly eff: number;
  readonly imu: number; // -1 when absent; 10 values: orientation 4, angular velocity 3, linear acceleration 3
  readonly contacts: number;
  readonly nContacts: number;
  readonly base: number; // -1 when absent; 13 values: position 3, orientation 4, linear 3, angular 3
  readonly extras: readonly { name: string; off: number; len: number }[];
  readonly input: number;
  readonly nInput: number;
  readonly raw: number;
  readonly action: number;
  readonly nAction: number;
  readonly proposed: CommandLayout;
  readonly sent: CommandLayout;
  /** -1 without a world-model trace; else 2 + points × stateSize: present flag, cost, states. */
  readonly pred: number;
  readonly predPoints: number;
  readonly predSize: number;
  /** -1 without a velocity command; else vx, vy, wz. */
  readonly cmd: number;
}

interface CommandLayout {
  readonly target: number;
  readonly kp: number; // -1 when absent
  readonly kd: number;
  readonly ff: number;
}

/** An IWritable over a plain file descriptor (opened synchronously at attach time). */
class FdWritable implements IWritable {
  private pos = 0n;
  constructor(private readonly fd: number) {}
  position(): bigint {
    return this.pos;
  }
  async write(buffer: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buffer.byteLength) {
      off += await new Promise<number>((resolve, reject) =>
        fsWrite(this.fd, buffer, off, buffer.byteLength - off, null, (err, n) => (err ? reject(err) : resolve(n))),
      );
    }
    this.pos += BigInt(buffer.byteLength);
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => fsClose(this.fd, (err) => (err ? reject(err) : resolve())));
  }
}

type ZstdModule = { isLoaded: Promise<boolean>; compress(b: Uint8Array, level?: number): Uint8Array };
let _zstd: Promise<ZstdModule> | undefined;
/** @foxglove/wasm-zstd, loaded once (WebAssembly inside the package: works offline). */
export function loadZstd(): Promise<ZstdModule> {
  return (_zstd ??= import('@foxglove/wasm-zstd').then(async (m) => {
    const z = ((m as { default?: ZstdModule }).default ?? m) as ZstdModule;
    await z.isLoaded;
    return z;
  }));
}

const _encoder = new TextEncoder();

/** Creates (or truncates) a recording file; AxonError RECORD_FILE when it cannot be written. */
export function openRecordFile(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (e) {
    throw new AxonError('RECORD_FILE', file, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'a writable file path for --record');
  }
}

/**
 * Starts recording `loop`'s ticks into `file` (created or truncated now: a bad path fails here,
 * with AxonError RECORD_FILE). Subscribes synchronously, so call it before `loop.run()`.
 */
export function attachRecorder(
  loop: { readonly records$: { subscribe(fn: (r: TickRecord) => void): Subscription } },
  meta: RecordingMeta,
  file: string,
  o: RecorderOptions = {},
): Recorder {
  const writable = new FdWritable(openRecordFile(file));
  const capacity = o.capacity ?? 16384;
  const compression = o.compression ?? 'zstd';
  const sliceMs = o.sliceMs ?? 1;
  const chunkSeconds = o.chunkSeconds ?? 1;
  const spec = meta.spec;
  const jointNames = spec.joints.map((j) => j.name);

  let layout: Layout | undefined;
  let ring: Float64Array | undefined;
  let head = 0;
  let count = 0;
  let ticks = 0;
  let dropped = 0;
  let messages = 0;
  let eventCount = 0;
  let flushScheduled = false;
  const events: SafetyEvent[] = [];
  let writer: McapWriter | undefined;
  let channelIds: Record<Topic, number> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let closed: Promise<RecorderSummary> | undefined;
  let traceVersion = -1;
  let episode: RecordedEpisode | undefined;

  // ---- on the tick: copy numbers only -------------------------------------------------------
  const onRecord = (rec: TickRecord): void => {
    ticks++;
    if (layout === undefined) {
      layout = makeLayout(rec, meta.worldModel?.trace, meta.command !== undefined);
      ring = new Float64Array(capacity * layout.stride);
    }
    for (let i = 0; i < rec.events.length; i++) events.push(rec.events[i]);
    if (count === capacity) {
      dropped++;
      return;
    }
    const L = layout;
    const r = ring!;
    const b = ((head + count) % capacity) * L.stride;
    const obs = rec.observation;
    r[b + F_SEQ] = rec.seq;
    r[b + F_TIME] = rec.time;
    r[b + F_LATE] = rec.lateness;
    r[b + F_STATE] = STATE_NAMES.indexOf(rec.safetyState);
    r[b + F_RETURN] = rec.episodeReturn;
    r[b + F_TERM] = rec.terminated ? 1 : 0;
    r[b + F_AGE] = rec.actionAge;
    r[b + F_INFER] = rec.inferenceS;
    r[b + F_OBS_TIME] = obs.time;
    r[b + F_OBS_SEQ] = obs.seq;
    r[b + F_PROPOSED_MODE] = MODE_NAMES.indexOf(rec.proposed.mode);
    r[b + F_SENT_MODE] = MODE_NAMES.indexOf(rec.sent.mode);
    const wm = rec.worldModel;
    r[b + F_WM] = wm ? 1 : 0;
    if (wm) {
      r[b + F_WM_SURPRISE] = wm.surprise;
      r[b + F_WM_COST] = wm.cost;
      r[b + F_WM_VETOED] = wm.vetoed ? 1 : 0;
    }
    copy(r, b + L.stage, rec.stageS, stageNames.length);
    copy(r, b + L.pos, obs.jointPosition, L.n);
    copy(r, b + L.vel, obs.jointVelocity, L.n);
    copy(r, b + L.eff, obs.jointEffort, L.n);
    if (L.imu >= 0 && obs.imu) {
      copy(r, b + L.imu, obs.imu.orientation, 4);
      copy(r, b + L.imu + 4, obs.imu.angularVelocity, 3);
      copy(r, b + L.imu + 7, obs.imu.linearAcceleration, 3);
    }
    if (L.nContacts > 0 && obs.contacts) copy(r, b + L.contacts, obs.contacts, L.nContacts);
    if (L.base >= 0 && obs.base) {
      copy(r, b + L.base, obs.base.position, 3);
      copy(r, b + L.base + 3, obs.base.orientation, 4);
      copy(r, b + L.base + 7, obs.base.linearVelocity, 3);
      copy(r, b + L.base + 10, obs.base.angularVelocity, 3);
    }
    for (let e = 0; e < L.extras.length; e++) {
      const x = L.extras[e];
      const a = obs.extras[x.name];
      if (a !== undefined) copy(r, b + x.off, a, x.len);
    }
    copy(r, b + L.input, rec.input, L.nInput);
    copy(r, b + L.raw, rec.policyAction, L.nAction);
    copy(r, b + L.action, rec.action, L.nAction);
    copyCommand(r, b, L.proposed, rec.proposed, L.n);
    copyCommand(r, b, L.sent, rec.sent, L.n);
    if (L.cmd >= 0) copy(r, b + L.cmd, meta.command!.applied, 3);
    if (L.pred >= 0) {
      // The hook committed this tick's rollouts before the record was emitted: keep the chosen row.
      const tr = meta.worldModel!.trace;
      const fresh = tr.version !== traceVersion && tr.seq === rec.seq && tr.chosen >= 0;
      r[b + L.pred] = fresh ? 1 : 0;
      if (fresh) {
        traceVersion = tr.version;
        r[b + L.pred + 1] = tr.scores[tr.chosen];
        const S = L.predSize, st = tr.states;
        for (let t = 0, o = b + L.pred + 2; t < L.predPoints; t++)
          for (let i = (t * tr.capacity + tr.chosen) * S, end = i + S; i < end; i++, o++) r[o] = st[i];
      }
    }
    count++;
    if (!flushScheduled && count * 4 >= capacity) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  // ---- off the tick: encode and write ---------------------------------------------------------
  const start = async (L: Layout, b: number): Promise<void> => {
    if (compression === 'zstd') await loadZstd();
    const z = compression === 'zstd' ? await loadZstd() : undefined;
    // Chunk size from the first tick's encoded size: about chunkSeconds of run time per chunk.
    const sample = encodeTick(L, ring!, b).reduce((s, m) => s + m.data.byteLength + 40, 0);
    const chunkSize = Math.round(Math.min(4 << 20, Math.max(16 << 10, (sample * chunkSeconds) / meta.period)));
    writer = new McapWriter({
      writable,
      chunkSize,
      compressChunk: z ? (data) => ({ compression: 'zstd', compressedData: z.compress(data, 3) }) : undefined,
    });
    await writer.start({ profile: mcapProfile, library: mcapLibrary });
    await writer.addMetadata({ name: metadataNames.robot, metadata: new Map([['json', JSON.stringify(meta.spec, keepNonFinite)]]) });
    if (meta.manifest !== undefined)
      await writer.addMetadata({ name: metadataNames.manifest, metadata: new Map([['json', JSON.stringify(meta.manifest, keepNonFinite)]]) });
    if (meta.worldModelManifest !== undefined)
      await writer.addMetadata({ name: metadataNames.worldModelManifest, metadata: new Map([['json', JSON.stringify(meta.worldModelManifest, keepNonFinite)]]) });
    const w = meta.worldModel;
    if (w)
      await writer.addMetadata({
        name: metadataNames.worldModel,
        metadata: new Map([['json', JSON.stringify({ mode: w.mode, dt: w.dt, horizon: w.trace.horizon, state_size: w.trace.stateSize, state_names: w.stateNames, joint_slots: w.jointSlots })]]),
      });
    const run = { ...meta.run, period_s: meta.period, stage_names: stageNames, joints: jointNames };
    await writer.addMetadata({ name: metadataNames.run, metadata: new Map([['json', JSON.stringify(run, keepNonFinite)]]) });
    const ids: Partial<Record<Topic, number>> = {};
    const schemaIds = new Map<string, number>();
    for (const topic of Object.values(topics)) {
      const s = schemas[topic];
      let sid = schemaIds.get(s.name);
      if (sid === undefined) {
        sid = await writer.registerSchema({ name: s.name, encoding: 'jsonschema', data: _encoder.encode(JSON.stringify(s.schema)) });
        schemaIds.set(s.name, sid);
      }
      ids[topic] = await writer.registerChannel({ topic, schemaId: sid, messageEncoding: 'json', metadata: new Map() });
    }
    channelIds = ids as Record<Topic, number>;
  };

  const drain = async (): Promise<void> => {
    let slice = performance.now();
    while (count > 0) {
      // Work in slices of about sliceMs, yielding to the event loop between them, so that a
      // flush never holds back a tick for longer than that (a tick that is due runs in between).
      if (performance.now() - slice > sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
      const L = layout!;
      const b = head * L.stride;
      if (writer === undefined) await start(L, b);
      const seq = ring![b + F_SEQ];
      const logTime = nanos(ring![b + F_TIME]);
      for (const m of encodeTick(L, ring!, b)) {
        await writer!.addMessage({ channelId: channelIds![m.topic], sequence: seq, logTime, publishTime: logTime, data: m.data });
        messages++;
      }
      // Safety events raised up to this tick.
      while (events.length > 0 && events[0].seq <= seq) await writeEvent(events.shift()!, logTime);
      head = (head + 1) % capacity;
      count--;
    }
  };

  const writeEvent = async (e: SafetyEvent, logTime: bigint): Promise<void> => {
    const data = _encoder.encode(
      `{"time":${num(e.time)},"seq":${e.seq},"kind":${JSON.stringify(e.kind)},"state":${JSON.stringify(e.state)}` +
        (e.joint !== undefined ? `,"joint":${JSON.stringify(e.joint)}` : '') +
        (e.value !== undefined ? `,"value":${num(e.value)}` : '') +
        `,"reason":${JSON.stringify(e.reason)}}`,
    );
    await writer!.addMessage({ channelId: channelIds![topics.safetyEvent], sequence: e.seq, logTime, publishTime: logTime, data });
    messages++;
    eventCount++;
  };

  const flush = (): void => {
    flushScheduled = false;
    chain = chain.then(drain).catch((e: Error) => {
      failure ??= e;
      count = 0; // stop trying; close() reports it
    });
  };

  function encodeTick(L: Layout, r: Float64Array, b: number): { topic: Topic; data: Uint8Array }[] {
    const seq = r[b + F_SEQ];
    let obs = `{"seq":${seq},"time":${num(r[b + F_OBS_TIME])},"obs_seq":${r[b + F_OBS_SEQ]}`;
    if (L.imu >= 0)
      obs += `,"imu":{"orientation":${numArray(r, b + L.imu, 4)},"angular_velocity":${numArray(r, b + L.imu + 4, 3)},"linear_acceleration":${numArray(r, b + L.imu + 7, 3)}}`;
    if (L.nContacts > 0) obs += `,"contacts":${numArray(r, b + L.contacts, L.nContacts)}`;
    if (L.base >= 0)
      obs += `,"base":{"position":${numArray(r, b + L.base, 3)},"orientation":${numArray(r, b + L.base + 3, 4)},"linear_velocity":${numArray(r, b + L.base + 7, 3)},"angular_velocity":${numArray(r, b + L.base + 10, 3)}}`;
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
      out.push({ topic: topics.worldModel, data: _encoder.encode(`{"seq":${seq},"mode":"${meta.worldModel!.mode}","cost":${num(r[b + L.pred + 1])},"states":${states}]}`) });
    }
    out.push({ topic: topics.tick, data: _encoder.encode(tick) }); // last: it ends the tick for readers
    return out;
  }

  const sub = loop.records$.subscribe(onRecord);
  const timer = setInterval(flush, o.flushIntervalMs ?? 50);
  timer.unref();

  return {
    file,
    get ticks() {
      return ticks;
    },
    get dropped() {
      return dropped;
    },
    setEpisode(e: RecordedEpisode): void {
      episode = e;
    },
    close(): Promise<RecorderSummary> {
      closed ??= (async () => {
        sub.unsubscribe();
        clearInterval(timer);
        flush();
        await chain;
        try {
          if (failure === undefined) {
            if (writer === undefined && layout !== undefined) await start(layout, head * layout.stride);
            if (writer === undefined) {
              // No tick at all: still a valid, empty recording with its metadata.
              writer = new McapWriter({ writable });
              await writer.start({ profile: mcapProfile, library: mcapLibrary });
              await writer.addMetadata({ name: metadataNames.robot, metadata: new Map([['json', JSON.stringify(meta.spec, keepNonFinite)]]) });
            } else {
              const last = events.length > 0 ? nanos(events[events.length - 1].time) : 0n;
              while (events.length > 0) await writeEvent(events.shift()!, last);
            }
            if (episode !== undefined) await writer.addMetadata({ name: metadataNames.episode, metadata: new Map([['json', JSON.stringify(episode)]]) });
            await writer.end();
          }
        } catch (e) {
          failure ??= e as Error;
        } finally {
          await writable.close();
        }
        if (failure) throw new AxonError('RECORD_WRITE', file, `recording failed: ${failure.message}`);
        return {
          file,
          ticks,
          received: ticks,
          written: ticks - dropped,
          dropped,
          events: eventCount,
          messages,
          chunks: Number(writer?.statistics?.chunkCount ?? 0),
          bytes: Number(writable.position()),
          compression,
        };
      })();
      return closed;
    },
  };
}

function makeLayout(rec: TickRecord, trace: RolloutTrace | undefined, command: boolean): Layout {
  const obs = rec.observation;
  const n = obs.jointPosition.length;
  let off = HEAD;
  const take = (k: number) => {
    const at = off;
    off += k;
    return at;
  };
  const stage = take(stageNames.length);
  const pos = take(n);
  const vel = take(n);
  const eff = take(n);
  const imu = obs.imu ? take(10) : -1;
  const nContacts = obs.contacts?.length ?? 0;
  const contacts = take(nContacts);
  const base = obs.base ? take(13) : -1;
  const extras = Object.entries(obs.extras).map(([name, a]) => ({ name, len: a.length, off: take(a.length) }));
  const nInput = rec.input.length;
  const input = take(nInput);
  const nAction = rec.policyAction.length;
  const raw = take(nAction);
  const action = take(nAction);
  const cmd = (c: JointCommand): CommandLayout => ({
    target: take(n),
    kp: c.kp ? take(n) : -1,
    kd: c.kd ? take(n) : -1,
    ff: c.feedforward ? take(n) : -1,
  });
  const proposed = cmd(rec.proposed);
  const sent = cmd(rec.sent);
  const predPoints = trace?.steps ?? 0, predSize = trace?.stateSize ?? 0;
  const pred = trace ? take(2 + predPoints * predSize) : -1;
  const velocity = command ? take(3) : -1;
  return { stride: off, n, stage, pos, vel, eff, imu, contacts, nContacts, base, extras, input, nInput, raw, action, nAction, proposed, sent, pred, predPoints, predSize, cmd: velocity };
}

function copy(dst: Float64Array, at: number, src: ArrayLike<number>, len: number): void {
  for (let i = 0; i < len; i++) dst[at + i] = src[i];
}

function copyCommand(r: Float64Array, b: number, L: CommandLayout, c: JointCommand, n: number): void {
  copy(r, b + L.target, c.target, n);
  if (L.kp >= 0 && c.kp) copy(r, b + L.kp, c.kp, n);
  if (L.kd >= 0 && c.kd) copy(r, b + L.kd, c.kd, n);
  if (L.ff >= 0 && c.feedforward) copy(r, b + L.ff, c.feedforward, n);
}

function encodeCommand(seq: number, mode: number, L: CommandLayout, r: Float64Array, b: number, n: number): string {
  let s = `{"seq":${seq},"mode":"${MODE_NAMES[mode] ?? 'position'}","target":${numArray(r, b + L.target, n)}`;
  if (L.kp >= 0) s += `,"kp":${numArray(r, b + L.kp, n)}`;
  if (L.kd >= 0) s += `,"kd":${numArray(r, b + L.kd, n)}`;
  if (L.ff >= 0) s += `,"feedforward":${numArray(r, b + L.ff, n)}`;
  return s + '}';
}

/** Seconds to MCAP nanoseconds (negative times clamp to 0). */
function nanos(s: number): bigint {
  return Number.isFinite(s) && s > 0 ? BigInt(Math.round(s * 1e9)) : 0n;
}
