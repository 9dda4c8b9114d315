import { Subject, concatMap, from, map, of, takeWhile, tap, lastValueFrom, defaultIfEmpty, type Observable } from 'rxjs';
import { createCommand, type Robot } from '../core/robot.ts';
import type { Task } from '../core/task.ts';
import type { Clock, Tick } from '../clock/types.ts';
import { steadyNow } from '../clock/sleep.ts';
import type { ObservationBuilder } from '../model/ObservationBuilder.ts';
import type { ActionMapper } from '../model/ActionMapper.ts';
import type { Policy } from '../policy/Policy.ts';
import { InferenceTimeout } from '../policy/InferenceTimeout.ts';
import { clearWorldModelTick, type WorldModelHook } from '../worldmodel/types.ts';
import type { SafetySupervisor } from '../safety/SafetySupervisor.ts';
import { LoopStats } from './LoopStats.ts';
import { clockDeadlineTimer, isDeadlineTimer, type DeadlineTimer } from './DeadlineTimer.ts';
import { stageNames, type TickRecord } from './TickRecord.ts';

export interface ControlLoopParts {
  readonly robot: Robot;
  readonly clock: Clock;
  readonly builder: ObservationBuilder;
  readonly policy: Policy;
  readonly worldModel: WorldModelHook;
  /**
   * A throwaway instance of the world-model hook (its own state, events into a scratch supervisor)
   * that run() calls a few times on the first observation before arming: the hook's first calls
   * compile its code and warm onnxruntime's, and on a cold start took longer than the hook's budget
   * (a planner's first three ticks 20-40 ms: three world_model_deadline misses, safe-stop at 0.04 s).
   */
  readonly worldModelWarmUp?: WorldModelHook;
  readonly mapper: ActionMapper;
  readonly safety: SafetySupervisor;
  /** Scores the episode; when it reports termination the loop ends (if `stopOnTerminate`). */
  readonly task?: Task;
  readonly stopOnTerminate?: boolean;
  /** Ends the run after this many ticks. */
  readonly maxTicks: number;
  /**
   * Ends the run after this much loop-clock time (s), however many ticks that took: the last
   * tick is the one whose slot reaches it, or after which the clock has passed it (a live run's
   * `--duration`: a loop that overruns runs fewer ticks, never longer). Without it, maxTicks alone.
   */
  readonly durationS?: number;
  /** When the stages that can wait must have answered; defaults below. */
  readonly deadlines?: StageDeadlines;
  /** false: no policy warm-up before the ticks of a paced clock (Policy.prewarm, Clock.setWarmUp). Default true. */
  readonly prewarm?: boolean;
}

/**
 * The tick's budget for the stages that can wait. A stage that returns a promise is raced against
 * its deadline on the loop's clock; a late, hung or failed stage holds this tick (the supervisor's
 * hold command) with a 'policy_deadline' / 'world_model_deadline' event, and the supervisor
 * safe-stops at its deadlineMissesToSafeStop-th consecutive miss. While a late call is still
 * outstanding the stage is not called again: each tick it is busy is a miss at once, so a call
 * that never returns ends in safe-stop within (misses - 1) ticks after its first deadline, the
 * robot receiving the supervisor's safe command on every tick meanwhile. A synchronous stage
 * cannot be raced (the loop's thread is in it), so it is timed: its time on the loop clock, from
 * its call to its return, over the budget is the same miss, its answer not used (a policy that
 * blocks the loop 20 periods holds, then safe-stops like one that never answers). On a lockstep
 * simulation clock, whose time stands still within a tick, a synchronous stage is never late.
 */
export interface StageDeadlines {
  /** The policy's action is due this long after the tick's scheduled time (s, loop clock). Default 0.5 × period. */
  readonly policyS?: number;
  /** The world-model hook's action is due this long after the tick's scheduled time (s). Default 0.9 × period. */
  readonly worldModelS?: number;
  /**
   * How the loop waits on its clock. Default: the clock's own `at()` when it has one, else
   * clockDeadlineTimer(clock) (a lockstep simulation clock: a wall-time hang bound of 1 s).
   */
  readonly timer?: DeadlineTimer;
}

/** Calls of ControlLoopParts.worldModelWarmUp before arming. */
const WARM_UP_CALLS = 3;

/** The raced stage did not answer by its deadline. */
const LATE = Symbol('late');
/** The raced stage answered, but took longer than its budget from its call (made on a miss only). */
/** A policy's default budget, in periods from the tick's slot. */
export const POLICY_BUDGET = 0.5;
/** A world-model hook's default budget, in periods from the tick's slot. */
export const WORLD_MODEL_BUDGET = 0.9;

class TookTooLong {
  constructor(readonly took: number) {}
}
type Raced = Float32Array | typeof LATE | TookTooLong | Error;

export interface LoopResult {
  readonly ticks: number;
  readonly terminated: boolean;
  readonly stopped: boolean;
  readonly episodeReturn: number;
  readonly stats: LoopStats;
  /**
   * Loop-clock time the run spanned (s): from the first tick's slot to the end of the last tick's
   * slot, or to when its work ended if later (an overrun); ticks × period on a lockstep clock.
   */
  readonly timeS: number;
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
  private readonly timer: DeadlineTimer;
  private readonly policyS: number;
  private readonly worldModelS: number;
  /** An asynchronous call still outstanding (it missed its deadline) and the tick it was made on. */
  private policyBusy = false;
  private policyBusySeq = 0;
  private hookBusy = false;
  private hookBusySeq = 0;
  /** This tick's policy answered in time (else the hook is skipped and safety holds). */
  private policyOk = true;
  /** safety.armCount when the builder, policy and hook were last reset. */
  private armSeen = -1;
  /** The first tick's scheduled time (loop clock, s); NaN before it. */
  private firstTime = Number.NaN;
  /** The last tick's scheduled time and the loop clock when its work ended (s). */
  private lastTime = Number.NaN;
  private lastEnd = Number.NaN;

  constructor(private readonly p: ControlLoopParts) {
    const spec = p.robot.spec;
    const d = p.deadlines ?? {};
    this.timer = d.timer ?? (isDeadlineTimer(p.clock) ? p.clock : clockDeadlineTimer(p.clock));
    this.policyS = d.policyS ?? POLICY_BUDGET * p.clock.period;
    this.worldModelS = d.worldModelS ?? WORLD_MODEL_BUDGET * p.clock.period;
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

  /** The clock this loop runs on (its pacing figures: e.g. SimClock.sleeper). */
  get clock(): Clock {
    return this.p.clock;
  }

  /** Ends the run after the tick in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs until maxTicks, a terminating task, or stop().
   * @throws AxonError SAFETY_VELOCITY_GAIN before arming when the model's commands cannot move the
   *   robot (velocity mode with kd 0: SafetySupervisor.assertCommandable)
   * @throws AxonError SAFETY_GAIN_BOUND before arming for static gains above a joint's kpMax / kdMax
   */
  async run(): Promise<LoopResult> {
    const { robot, policy, builder, worldModel, safety, task } = this.p;
    const first = robot.observe();
    this.p.mapper.map(this.rec.action, this.rec.proposed); // zeros: the mode and gains the run will command
    safety.assertCommandable(this.rec.proposed);
    const warm = this.p.worldModelWarmUp;
    for (let i = 0; warm && i < WARM_UP_CALLS; i++) {
      try {
        await warm.apply(first, this.rec.input, this.rec.action, -1);
      } catch {
        break; // a hook that fails fails on its ticks, where the deadline rules handle it
      }
    }
    this.resetState();
    task?.reset(first);
    // Armed at the clock's reading now: tick 0 comes at or just after it (a wall clock's time counts
    // from when it was made, a simulation's from its sim time), so the soft start runs from there.
    safety.arm(first, 0, this.p.clock.now());
    this.armSeen = safety.armCount;
    this.stats.start(steadyNow());

    // A paced clock warms the policy's inference code shortly before each tick (Policy.prewarm).
    const prewarm = this.p.prewarm !== false && policy.prewarm ? () => policy.prewarm!() : undefined;
    this.p.clock.setWarmUp?.(prewarm);
    const done$ = new Subject<void>();
    let last: TickRecord;
    try {
      last = await lastValueFrom(
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
    } finally {
      this.p.clock.setWarmUp?.(undefined);
    }
    done$.complete();
    return {
      ticks: this.stats.ticks,
      terminated: last.terminated,
      stopped: this.stopRequested,
      episodeReturn: last.episodeReturn,
      stats: this.stats,
      timeS: this.timeSpanned(),
    };
  }

  /** LoopResult.timeS. */
  private timeSpanned(): number {
    if (Number.isNaN(this.firstTime)) return 0;
    return Math.max(this.lastTime + this.p.clock.period, this.lastEnd) - this.firstTime;
  }

  private begin(): void {
    this.stageStart = steadyNow();
  }

  private end(stage: number): void {
    const now = steadyNow();
    this.rec.stageS[stage] = now - this.stageStart;
    this.stageStart = now;
  }

  /** Builder, policy, hook and mapper back to their episode start (run start and every operator re-arm). */
  private resetState(): void {
    this.p.policy.reset();
    this.p.builder.reset();
    this.p.worldModel.reset();
    this.p.mapper.reset();
  }

  private observe(tick: Tick): TickRecord {
    const rec = this.rec;
    this.begin();
    // An operator re-armed the supervisor (reset after a stop): nothing learned before it carries
    // over (a NaN in a recurrent state or the last action would otherwise latch for good).
    if (this.p.safety.armCount !== this.armSeen) {
      this.armSeen = this.p.safety.armCount;
      this.resetState();
    }
    rec.seq = tick.seq;
    rec.time = tick.time;
    if (Number.isNaN(this.firstTime)) this.firstTime = tick.time;
    rec.lateness = tick.lateness;
    rec.observation = this.p.robot.observe();
    this.end(S_OBSERVE);
    return rec;
  }

  private build(rec: TickRecord): TickRecord {
    rec.input = this.p.builder.build(rec.observation, this.p.mapper.feedback);
    this.end(S_BUILD);
    return rec;
  }

  private act(rec: TickRecord): Observable<TickRecord> {
    this.policyOk = false;
    if (this.policyBusy) return of(this.policyMiss(rec, `policy still computing tick ${this.policyBusySeq}'s action`));
    let out: Float32Array | Promise<Float32Array>;
    const t0 = this.p.clock.now();
    try {
      out = this.p.policy.act(rec.input, this.p.clock.now());
    } catch (e) {
      return of(this.policyMiss(rec, e instanceof InferenceTimeout ? `policy: ${e.detail}` : `policy failed: ${(e as Error).message}`));
    }
    if (!(out instanceof Promise)) {
      // An asynchronous policy's act() only hands the input over: its lateness is its stall bound (PolicyStatus).
      const took = this.p.clock.now() - t0;
      if (!(took > this.policyS) || this.p.policy.status !== undefined) return of(this.acted(rec, out));
      // It answered, but the tick waited for it: what it said is recorded, not sent.
      rec.policyAction.set(out);
      return of(this.policyMiss(rec, `policy took ${ms(took)}, over its budget of ${ms(this.policyS)}`));
    }
    this.policyBusy = true;
    this.policyBusySeq = rec.seq;
    const free = () => {
      this.policyBusy = false;
    };
    out.then(free, free);
    return from(
      this.race(out, rec.time + this.policyS, t0, this.policyS).then((r) =>
        r instanceof Float32Array
          ? this.acted(rec, r)
          : this.policyMiss(rec, r === LATE ? `policy gave no action within ${ms(this.policyS)} of the tick` : r instanceof TookTooLong ? `policy took ${ms(r.took)}, over its budget of ${ms(this.policyS)}` : `policy failed: ${r.message}`),
      ),
    );
  }

  private acted(rec: TickRecord, a: Float32Array): TickRecord {
    rec.policyAction.set(a);
    this.policyOk = true;
    const status = this.p.policy.status;
    if (status) {
      rec.actionAge = status.actionAge;
      rec.inferenceS = status.inferenceS;
      // A stalled asynchronous policy: safety holds this tick and safe-stops if it persists.
      if (status.stalled) {
        this.policyOk = false;
        this.p.safety.reportDeadlineMiss(status.pending ? 'policy stalled: no first action within its bound' : 'policy stalled: no action within its bound', rec.time, rec.seq, 'policy_deadline');
      } else if (status.pending) {
        // No action yet (its placeholder is not one: a joint_position zero is the default pose):
        // safety holds the pose, no miss counted until the policy's own stall bound.
        this.policyOk = false;
        this.p.safety.holdPending('policy has given no action yet', rec.time, rec.seq);
      }
    }
    this.end(S_POLICY);
    return rec;
  }

  /** No action this tick: the previous one stays in the record, safety holds. */
  private policyMiss(rec: TickRecord, reason: string): TickRecord {
    this.p.safety.reportDeadlineMiss(reason, rec.time, rec.seq, 'policy_deadline');
    this.end(S_POLICY);
    return rec;
  }

  private worldModel(rec: TickRecord): Observable<TickRecord> {
    // No fresh policy action (safety holds this tick): the hook is not run on a stale one, and the
    // record carries none of its last values (clearWorldModelTick).
    if (!this.policyOk) {
      clearWorldModelTick(rec.worldModel);
      return of(this.hooked(rec, undefined));
    }
    // The supervisor holds a stop (safe-stop, e-stopped): nothing this tick proposes is sent, so
    // the hook is not run, and a shield or monitor counts no veto or surprise for it, in the summary
    // and in the tick record alike. The action is the policy's (the mapper's last_action); an
    // operator re-arm resets the hook (observe()).
    const st = this.p.safety.state;
    if (st === 'safe-stop' || st === 'e-stopped') {
      clearWorldModelTick(rec.worldModel);
      rec.action.set(rec.policyAction);
      return of(this.hooked(rec, undefined));
    }
    if (this.hookBusy) return of(this.hookMiss(rec, `world model still computing tick ${this.hookBusySeq}'s action`));
    let out: Float32Array | Promise<Float32Array>;
    const t0 = this.p.clock.now();
    try {
      out = this.p.worldModel.apply(rec.observation, rec.input, rec.policyAction, rec.seq);
    } catch (e) {
      return of(this.hookFailed(rec, e as Error));
    }
    if (!(out instanceof Promise)) {
      const took = this.p.clock.now() - t0;
      return of(took > this.worldModelS ? this.hookMiss(rec, `world model took ${ms(took)}, over its budget of ${ms(this.worldModelS)}`) : this.hooked(rec, out));
    }
    this.hookBusy = true;
    this.hookBusySeq = rec.seq;
    const free = () => {
      this.hookBusy = false;
    };
    out.then(free, free);
    return from(
      this.race(out, rec.time + this.worldModelS, t0, this.worldModelS).then((r) =>
        r instanceof Float32Array
          ? this.hooked(rec, r)
          : r instanceof Error
            ? this.hookFailed(rec, r)
            : this.hookMiss(rec, r === LATE ? `world model gave no action within ${ms(this.worldModelS)} of the tick` : `world model took ${ms(r.took)}, over its budget of ${ms(this.worldModelS)}`),
      ),
    );
  }

  private hooked(rec: TickRecord, a: Float32Array | undefined): TickRecord {
    if (a !== undefined) rec.action.set(a);
    this.end(S_WM);
    return rec;
  }

  /** The hook threw: an error, unless its model's guarded call ran out of time (a deadline). */
  private hookFailed(rec: TickRecord, e: Error): TickRecord {
    return e instanceof InferenceTimeout ? this.hookMiss(rec, `world model: ${e.detail}`) : this.hookMiss(rec, `world model failed: ${e.message}`, 'world_model_error');
  }

  /** The hook gave no usable action: late (a deadline) or failed (an error, not a deadline); safety holds either way. */
  private hookMiss(rec: TickRecord, reason: string, kind: 'world_model_deadline' | 'world_model_error' = 'world_model_deadline'): TickRecord {
    this.p.safety.reportDeadlineMiss(reason, rec.time, rec.seq, kind);
    this.end(S_WM);
    return rec;
  }

  /**
   * Settles with the stage's answer, LATE at `due` on the loop clock, or its error, whichever
   * comes first. A late answer is dropped (the stage stays busy until it settles). An answer that
   * took longer than `budget` from the stage's call (`t0`) is dropped too, as a synchronous
   * stage's is: an `async` stage whose work is synchronous (the shipped world-model hooks call
   * onnxruntime on this thread) has already settled when the race starts, so the timer cannot
   * catch it (review R20 F2).
   */
  private race(p: Promise<Float32Array>, due: number, t0: number, budget: number): Promise<Raced> {
    return new Promise<Raced>((resolve) => {
      let settled = false;
      const cancel = this.timer.at(due, () => {
        if (settled) return;
        settled = true;
        resolve(LATE);
      });
      p.then(
        (a) => {
          if (settled) return;
          settled = true;
          cancel();
          const took = this.p.clock.now() - t0;
          resolve(took > budget ? new TookTooLong(took) : a);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
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
    this.p.worldModel.commanded?.(rec.sent); // a monitor predicts from what was sent (docs/world-model.md)
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
    const clock = this.p.clock;
    this.lastTime = rec.time;
    this.lastEnd = clock.now();
    if (this.stopRequested) return true;
    if (rec.terminated && (this.p.stopOnTerminate ?? true)) return true;
    const d = this.p.durationS;
    if (d !== undefined) {
      // The next slot would start at or past the end, or this tick's work ran past it.
      const end = this.firstTime + d - 1e-9 * clock.period;
      if (rec.time + clock.period >= end || this.lastEnd >= end) return true;
    }
    return this.stats.ticks >= this.p.maxTicks;
  }
}

function ms(s: number): string {
  return `${+(s * 1e3).toPrecision(3)} ms`;
}
