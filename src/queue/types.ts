/** What the API and the CLI see of the job queue, whichever mode runs underneath. */
import type { JobStatus } from '../store/schema.js';

export interface QueueStats {
  /** Jobs per status in the database (every status present). */
  depth: Record<JobStatus, number>;
  /** Jobs this process is running now (0 for a producer-only distributed queue). */
  running: number;
}

export interface JobQueue {
  readonly mode: 'embedded' | 'distributed';
  /** Asks for job `jobId` (a row already created with `createJob`) to be run. */
  enqueue(jobId: string): Promise<void>;
  /** Starts scheduling: reclaims expired leases and picks up jobs left pending. */
  start(): Promise<void>;
  /** Stops: running jobs finish within the grace period or are handed back. */
  close(): Promise<void>;
  stats(): Promise<QueueStats>;
}
