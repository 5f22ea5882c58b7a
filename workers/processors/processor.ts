import type { Job } from 'bullmq';

/**
 * One queue's worker: what it runs per job and how many at once. Each processor file owns its
 * queue's error, pause and retry policy; workers/index.ts only turns this table into BullMQ workers.
 */
export interface QueueProcessor<T = unknown> {
  queue: string;
  process(job: Job<T>, token?: string): Promise<unknown>;
  concurrency: number;
  /**
   * Crash recovery (see RECOVERY in workers/index.ts): jobs of a dead worker run again within
   * seconds. Scheduled ticks go without: the next tick comes anyway.
   */
  recover: boolean;
  /** A retry its processor has already logged: no second "will retry" line for it. */
  quietRetry?(err: Error): boolean;
}
