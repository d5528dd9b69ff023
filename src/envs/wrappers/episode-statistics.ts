/**
 * EpisodeStatistics, as Gymnasium 1.x `gymnasium.wrappers.RecordEpisodeStatistics`
 * (gymnasium/wrappers/common.py): on the step that ends an episode (terminated or
 * truncated) it adds `info.episode = { r, l, t }` — the episode's return, its length in
 * steps and the wall-clock seconds since the reset (rounded to microseconds, as Gymnasium
 * rounds to 6 decimals) — and appends them to bounded queues of the most recent episodes
 * (`returnQueue`, `lengthQueue`, `timeQueue`; 100 by default, Gymnasium's `buffer_length`).
 *
 * Allocation: nothing on ordinary steps. On the final step the info object is replaced by a
 * copy with the `episode` field added (the inner info may be a shared frozen object, so it is
 * never mutated).
 */
import { performance } from 'node:perf_hooks';
import { ValidationError } from '../../errors.js';
import type { Action, Env, Info, ResetOptions, ResetResult, StepResult } from '../core.js';
import { Wrapper } from './wrapper.js';

/** The statistics of one finished episode (Gymnasium's `info["episode"]`). */
export interface EpisodeRecord {
  /** Return: the sum of the episode's rewards. */
  r: number;
  /** Length in steps. */
  l: number;
  /** Wall-clock seconds from reset to the final step. */
  t: number;
}

export interface EpisodeStatisticsOptions {
  /** How many recent episodes the queues keep (default 100). */
  bufferLength?: number;
}

/** A fixed-capacity ring of the most recent values. */
class RecentValues {
  private readonly buf: Float64Array;
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.buf = new Float64Array(capacity);
  }

  push(v: number): void {
    this.buf[this.next] = v;
    this.next = (this.next + 1) % this.buf.length;
    if (this.count < this.buf.length) this.count += 1;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    const cap = this.buf.length;
    const start = (this.next - this.count + cap) % cap;
    for (let i = 0; i < this.count; i++) out.push(this.buf[(start + i) % cap]);
    return out;
  }
}

export class EpisodeStatistics extends Wrapper {
  readonly bufferLength: number;
  /** Episodes finished since construction. */
  episodeCount = 0;
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeStart = -1;
  private readonly returns: RecentValues;
  private readonly lengths: RecentValues;
  private readonly times: RecentValues;

  constructor(env: Env, options: EpisodeStatisticsOptions = {}) {
    super(env);
    const bufferLength = options.bufferLength ?? 100;
    if (!Number.isSafeInteger(bufferLength) || bufferLength <= 0) {
      throw new ValidationError(
        `episodeStatistics.bufferLength must be a positive integer, got ${bufferLength}`,
        { field: 'episodeStatistics.bufferLength' },
      );
    }
    this.bufferLength = bufferLength;
    this.returns = new RecentValues(bufferLength);
    this.lengths = new RecentValues(bufferLength);
    this.times = new RecentValues(bufferLength);
  }

  /** Returns of the most recent finished episodes, oldest first. */
  get returnQueue(): number[] {
    return this.returns.toArray();
  }

  /** Lengths of the most recent finished episodes, oldest first. */
  get lengthQueue(): number[] {
    return this.lengths.toArray();
  }

  /** Durations (seconds) of the most recent finished episodes, oldest first. */
  get timeQueue(): number[] {
    return this.times.toArray();
  }

  override reset(opts?: ResetOptions): ResetResult {
    const result = this.env.reset(opts);
    this.episodeStart = performance.now();
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return result;
  }

  override step(action: Action): StepResult {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength += 1;
    if (result.terminated || result.truncated) {
      const now = performance.now();
      const seconds = (now - this.episodeStart) / 1000;
      const record: EpisodeRecord = {
        r: this.episodeReturn,
        l: this.episodeLength,
        t: Math.round(seconds * 1e6) / 1e6,
      };
      const info: Info = { ...result.info, episode: record };
      result.info = info;
      this.returns.push(record.r);
      this.lengths.push(record.l);
      this.times.push(record.t);
      this.episodeCount += 1;
      // Gymnasium restarts the clock here (but keeps the running sums until the next reset).
      this.episodeStart = now;
    }
    return result;
  }
}
