/**
 * Probability of improvement of Agarwal et al. (2021), "Deep RL at the Edge of the
 * Statistical Precipice", as rliable's `probability_of_improvement`: for one task,
 * P(X > Y) + ½ P(X = Y) for a random run X of algorithm x and Y of algorithm y, estimated
 * by the Mann–Whitney statistic U/(n·m); for several tasks, the average over tasks.
 */
import { ValidationError } from '../errors.js';
import { checkNonEmpty, type Sample } from './internal.js';
import { rankSummary } from './ranks.js';

function isTaskList(v: Sample | readonly Sample[]): v is readonly Sample[] {
  return v.length > 0 && typeof v[0] === 'object' && v[0] !== null;
}

/**
 * P(X > Y) + ½ P(X = Y) estimated as U_x/(n·m), or its average over tasks when `x` and `y`
 * are arrays of per-task samples (same number of tasks, sizes may differ).
 *
 * Degenerate inputs: an empty sample, NaN, or task lists of different lengths →
 * ValidationError. Identical constant samples give ½.
 */
export function probabilityOfImprovement(
  x: Sample | readonly Sample[],
  y: Sample | readonly Sample[],
): number {
  const xTasks = isTaskList(x);
  const yTasks = isTaskList(y);
  if (xTasks !== yTasks) {
    throw new ValidationError('x and y must both be samples or both be lists of per-task samples', {
      field: 'y',
    });
  }
  if (!xTasks || !yTasks) {
    const xs = x as Sample;
    const ys = y as Sample;
    checkNonEmpty(xs, 'x');
    checkNonEmpty(ys, 'y');
    return rankSummary(xs, ys).u1 / (xs.length * ys.length);
  }
  if (x.length !== y.length) {
    throw new ValidationError(`x has ${x.length} tasks but y has ${y.length}`, { field: 'y' });
  }
  let total = 0;
  for (let t = 0; t < x.length; t++) {
    checkNonEmpty(x[t], `x[${t}]`);
    checkNonEmpty(y[t], `y[${t}]`);
    total += rankSummary(x[t], y[t]).u1 / (x[t].length * y[t].length);
  }
  return total / x.length;
}
