import { Subject, concatMap, from, map, of, takeWhile, tap, lastValueFrom, defaultIfEmpty, type Observable } from 'rxjs';
import { createCommand, type Robot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import type { Clock, Tick } from '../clock/types.ts';
import { steadyNow } from '../clock/sleep.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import type { ActionMapper } from '../model/ActionMapper.ts';
import type { Policy } from '../policy/Policy.ts';
import type { WorldModelHook } from '../worldmodel/types.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { LoopStats } from './LoopStats.ts';
import { stageNames, type TickRecord } from './TickRecord.ts';

export interface ControlLoopParts {
  readonly robot: Robot;
  readonly clock: Clock;
  readonly builder: ObservationBuilder;
  readonly policy: Policy;
  readonly worldModel: WorldModelHook;
  readonly mapper: ActionMapper;
  readonly safety: SafetySupervisor;
  /** Scores the episode; when it reports termination the loop ends (if `stopOnTerminate`). */
  readonly task?: Task;
  readonly stopOnTerminate?: boolean;
  /** Ends the run after this many ticks. */
  readonly maxTicks: number;
}

export interface LoopResult {
  readonly ticks: number;
  readonly terminated: boolean;
  readonly stopped: boolean;
  readonly episodeReturn: number;
  readonly stats: LoopStats;
}

const S_OBSERVE = 0, S_BUILD = 1, S_POLICY = 2, S_WM = 3, S_MAP = 4, S_SAFETY = 5, S_COMMAND = 6;

/**
 * The control loop: one RxJS pipeline from clock tick to robot command.
 *
 *   tick -> observe -> build -> policy -> world model -> map -> safety -> command -> record
 *
 * Each stage is a small method over one reused TickRecord. The clock emits the next tick only
 * after `done$` (lockstep sim) or on real time (wall clock, which counts overruns itself). Nothing
 * on the tick logs, parses or writes to disk; `records$` carries the reused record to telemetry.
 */
export class ControlLoop {
  /** Every tick's record, synchronously after the command was sent. Copy what you keep. */
  readonly records$ = new Subject<TickRecord>();
  readonly stats: LoopStats;
  private readonly rec: TickRecord;
  private stopRequested = false;
  private stageStart = 0;

  constructor(private readonly p: ControlLoopParts) {
    const spec = p.robot.spec;
    this.stats = new LoopStats(stageNames, Math.max(1, Math.min(p.maxTicks, 200_000)));
    this.rec = {
      seq: 0,
      time: 0,
      lateness: 0,
      observation: p.robot.observe(),
      input: p.builder.output,
      policyAction: new Float32Array(p.policy.outputSize),
      action: new Float32Array(p.policy.outputSize),
      proposed: createCommand(spec, p.mapper.mode),
      sent: createCommand(spec, p.mapper.mode),
      safetyState: p.safety.state,
      events: p.safety.tickEvents,
      episodeReturn: 0,
      terminated: false,
      actionAge: 0,
      inferenceS: 0,
      stageS: new Float64Array(stageNames.length),
      ...(p.worldModel.tick ? { worldModel: p.worldModel.tick } : {}),
    };
  }

  /** Ends the run after the tick in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs until maxTicks, a terminating task, or stop(). */
  async run(): Promise<LoopResult> {
    const { robot, policy, builder, worldModel, safety, task } = this.p;
    const first = robot.observe();
    policy.reset();
    builder.reset();
    worldModel.reset();
    task?.reset(first);
    safety.arm(first, 0, 0); // tick 0 is at time 0 on every clock
    this.stats.start(steadyNow());

    const done$ = new Subject<void>();
    const last = await lastValueFrom(
      this.p.clock.ticks(done$).pipe(
        map((tick) => this.observe(tick)),
        map((rec) => this.build(rec)),
        concatMap((rec) => this.act(rec)),
        concatMap((rec) => this.worldModel(rec)),
        map((rec) => this.map(rec)),
        map((rec) => this.check(rec)),
        map((rec) => this.command(rec)),
        tap((rec) => this.record(rec)),
        takeWhile((rec) => !this.finished(rec), true),
      ).pipe(
        tap(() => done$.next()),
        defaultIfEmpty(this.rec),
      ),
    );
    done$.complete();
    return {
      ticks: this.stats.ticks,
      terminated: last.terminated,
      stopped: this.stopRequested,
      episodeReturn: last.episodeReturn,
      stats: this.stats,
    };
  }

  private begin(): void {
    this.stageStart = steadyNow();
  }

  private end(stage: number): void {
    const now = steadyNow();
    this.rec.stageS[stage] = now - this.stageStart;
    this.stageStart = now;
  }

  private observe(tick: Tick): TickRecord {
    const rec = this.rec;
    this.begin();
    rec.seq = tick.seq;
    rec.time = tick.time;
    rec.lateness = tick.lateness;
    rec.observation = this.p.robot.observe();
    this.end(S_OBSERVE);
    return rec;
  }

  private build(rec: TickRecord): TickRecord {
    rec.input = this.p.builder.build(rec.observation, this.p.mapper.clipped);
    this.end(S_BUILD);
    return rec;
  }

  private act(rec: TickRecord): Observable<TickRecord> {
    const out = this.p.policy.act(rec.input);
    const after = (a: Float32Array) => {
      rec.policyAction.set(a);
      const status = this.p.policy.status;
      if (status) {
        rec.actionAge = status.actionAge;
        rec.inferenceS = status.inferenceS;
        // A stalled asynchronous policy: safety holds this tick and safe-stops if it persists.
        if (status.stalled) this.p.safety.reportDeadlineMiss('policy stalled: no action within its bound', rec.time, rec.seq);
      }
      this.end(S_POLICY);
      return rec;
    };
    return out instanceof Promise ? from(out.then(after)) : of(after(out));
  }

  private worldModel(rec: TickRecord): Observable<TickRecord> {
    const out = this.p.worldModel.apply(rec.observation, rec.input, rec.policyAction, rec.seq);
    const after = (a: Float32Array) => {
      rec.action.set(a);
      this.end(S_WM);
      return rec;
    };
    return out instanceof Promise ? from(out.then(after)) : of(after(out));
  }

  private map(rec: TickRecord): TickRecord {
    this.p.mapper.map(rec.action, rec.proposed);
    this.end(S_MAP);
    return rec;
  }

  private check(rec: TickRecord): TickRecord {
    // `now` is the loop clock's time, not the observation's stamp: a robot whose data stopped
    // arriving keeps an old stamp, and only the clock sees the observation age.
    rec.safetyState = this.p.safety.check(rec.proposed, rec.observation, rec.time, rec.seq, rec.sent);
    rec.events = this.p.safety.tickEvents;
    this.end(S_SAFETY);
    return rec;
  }

  private command(rec: TickRecord): TickRecord {
    this.p.robot.command(rec.sent);
    this.end(S_COMMAND);
    return rec;
  }

  private record(rec: TickRecord): void {
    const task = this.p.task;
    if (task) {
      rec.terminated = task.step(rec.observation, this.p.clock.period);
      rec.episodeReturn = task.totalReward;
    }
    const clockOverruns = (this.p.clock as { overruns?: number }).overruns;
    if (clockOverruns !== undefined) this.stats.overruns = clockOverruns;
    else if (rec.lateness > this.p.clock.period) this.stats.overruns++;
    this.stats.record(rec.lateness, rec.stageS, steadyNow());
    this.records$.next(rec);
  }

  private finished(rec: TickRecord): boolean {
    if (this.stopRequested) return true;
    if (rec.terminated && (this.p.stopOnTerminate ?? true)) return true;
    return this.stats.ticks >= this.p.maxTicks;
  }
}
