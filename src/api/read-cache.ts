/**
 * A bounded least-recently-used cache of serialised responses, for records that never change
 * once written (a job that has completed or failed for good) or whose changes are announced
 * (baselines, through the database's NOTIFY). Bounded by total characters, so
 * a few large evaluation results cannot grow the heap without limit; an entry larger than the
 * whole budget is never kept.
 */
export class ResponseCache {
  private readonly entries = new Map<string, string>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(key: string): string | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, v);
    return v;
  }

  set(key: string, value: string): void {
    if (value.length > this.maxChars) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.chars -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.chars += value.length;
    for (const [k, v] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(k);
      this.chars -= v.length;
    }
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Recent reads of records that change, by key: a read is shared by every caller for `ttlMs`
 * (concurrent callers share the one in flight), then made again. Misses (null) and failed
 * reads are not remembered. Bounded to `maxEntries`, the oldest read going first. `forget`
 * drops a key at once (a change was announced).
 */
export class RecentReads<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V | null> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, read: () => Promise<V | null>): Promise<V | null> {
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.value;
    const value = read();
    this.entries.delete(key);
    this.entries.set(key, { at: now, value });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const drop = () => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    };
    value.then((v) => {
      if (v === null) drop();
    }, drop);
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
