/**
 * Per-row random streams for batched sampling. The batched samplers of src/nn draw a fixed
 * number of values per row, rows in order (categorical: one uniform per row; diagonal
 * Gaussian: one normal per action dimension per row). `RowStreams` presents several
 * generators as one source that hands draw k to row ⌊k / drawsPerRow⌋'s generator, so row r
 * of a batch consumes exactly what it would consume alone — the evaluation runner relies on
 * this to make an episode's actions independent of what else is in the batch.
 */
import type { Generator } from '../rng/index.js';

export class RowStreams {
  #rngs: readonly Generator[] = [];
  #perRow = 1;
  #draw = 0;

  /** Points the source at `rngs` (row r uses rngs[r]) with `drawsPerRow` draws per row. */
  reset(rngs: readonly Generator[], drawsPerRow: number): this {
    this.#rngs = rngs;
    this.#perRow = drawsPerRow;
    this.#draw = 0;
    return this;
  }

  #next(): Generator {
    const row = Math.floor(this.#draw++ / this.#perRow);
    const g = this.#rngs[row];
    if (g === undefined)
      throw new RangeError(`no generator for batch row ${row} (${this.#rngs.length} given)`);
    return g;
  }

  random(): number {
    return this.#next().random();
  }

  standardNormal(): number {
    return this.#next().standardNormal();
  }
}
