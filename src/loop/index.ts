export * from './ControlLoop.ts';
export * from './LoopStats.ts';
export * from './TickRecord.ts';
export * from './DeadlineTimer.ts';
