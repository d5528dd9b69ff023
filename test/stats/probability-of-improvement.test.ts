import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { Generator } from '../../src/rng/index.js';
import { probabilityOfImprovement } from '../../src/stats/probability-of-improvement.js';
import { expectClose, loadFixture } from './helpers.js';

// Known answers: rliable's definition with SciPy, mannwhitneyu(x, y).statistic / (n·m) per
// task, averaged (scripts/fixtures/stats_fixtures.py); values rounded to 0.1 so ties occur.
interface PoiCase {
  x: number[][];
  y: number[][];
  perTask: number[];
  average: number;
}
const cases = loadFixture<PoiCase[]>('poi.json');

describe('probabilityOfImprovement', () => {
  it('matches U/(n·m) from SciPy, per task and averaged', () => {
    for (const c of cases) {
      c.x.forEach((x, t) => {
        expectClose(probabilityOfImprovement(x, c.y[t]), c.perTask[t], 1e-14);
      });
      expectClose(probabilityOfImprovement(c.x, c.y), c.average, 1e-14);
    }
  });

  it('counts wins and half ties by hand', () => {
    // pairs (x, y): 3>1, 3>2, 3=3, 1<2, 1=1 (x=1,y=1), 1<3 → wins 2 + ½·2 = 3 of 6
    expect(probabilityOfImprovement([3, 1], [1, 2, 3])).toBe(0.5);
    expect(probabilityOfImprovement([5, 6], [1, 2])).toBe(1);
    expect(probabilityOfImprovement([0], [1])).toBe(0);
    expect(probabilityOfImprovement([2, 2], [2, 2, 2])).toBe(0.5);
  });

  it('P(x > y) + P(y > x) = 1 and it is order invariant', () => {
    const g = new Generator(3);
    for (let k = 0; k < 20; k++) {
      const x = Array.from({ length: 1 + g.integers(0, 20) }, () => g.integers(0, 5));
      const y = Array.from({ length: 1 + g.integers(0, 20) }, () => g.integers(0, 5));
      expectClose(probabilityOfImprovement(x, y) + probabilityOfImprovement(y, x), 1, 1e-15);
      expect(probabilityOfImprovement([...x].reverse(), y)).toBe(probabilityOfImprovement(x, y));
    }
  });

  it('validates its inputs', () => {
    expect(() => probabilityOfImprovement([], [1])).toThrow(ValidationError);
    expect(() => probabilityOfImprovement([[1]], [1])).toThrow(/both/);
    expect(() => probabilityOfImprovement([[1], [2]], [[1]])).toThrow(/tasks/);
    expect(() => probabilityOfImprovement([1, Number.NaN], [1])).toThrow(/x\[1\]/);
  });
});
