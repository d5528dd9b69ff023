/**
 * Power and sample size of the z-test with known variance, for planning how many episodes
 * an evaluation needs to see a given regression (and for checking the regression
 * benchmark's detection rates against theory).
 *
 * The test: Z = (x̄ − μ₀) √n / σ, which is N(δ, 1) with δ = effect · √n / σ when the true
 * mean is μ₀ + effect. For a two-sample comparison of n runs each, pass σ√2 as `sd`.
 */
import { ValidationError } from '../errors.js';
import type { Alternative } from './hypothesis-tests.js';
import { normalIsf, normalSf } from './special.js';

function checkPositive(v: number, name: string): void {
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new ValidationError(`${name} must be a positive finite number, got ${v}`, { field: name });
  }
}

function checkLevel(v: number, name: string): void {
  if (!(v > 0 && v < 1)) throw new ValidationError(`${name} must be in (0, 1), got ${v}`, { field: name });
}

function checkAlternative(alternative: Alternative): void {
  if (alternative !== 'two-sided' && alternative !== 'less' && alternative !== 'greater') {
    throw new ValidationError(`alternative must be 'two-sided', 'less' or 'greater', got '${alternative}'`, {
      field: 'alternative',
    });
  }
}

/**
 * Power of the level-`alpha` z-test with known standard deviation `sd` and `n`
 * observations when the true shift is `effect` (Cohen 1988, ch. 2 with known σ):
 * 'greater': Q(z₁₋α − δ); 'less': Q(z₁₋α + δ); 'two-sided': Q(z₁₋α/₂ − δ) + Q(z₁₋α/₂ + δ),
 * with δ = effect √n / sd and Q the normal survival function. effect = 0 gives alpha.
 *
 * Degenerate inputs: non-finite `effect`, sd ≤ 0, n ≤ 0 or alpha outside (0, 1) → ValidationError.
 */
export function zTestPower(
  effect: number,
  sd: number,
  n: number,
  alpha = 0.05,
  alternative: Alternative = 'greater',
): number {
  if (!Number.isFinite(effect))
    throw new ValidationError(`effect must be finite, got ${effect}`, { field: 'effect' });
  checkPositive(sd, 'sd');
  checkPositive(n, 'n');
  checkLevel(alpha, 'alpha');
  checkAlternative(alternative);
  const delta = (effect * Math.sqrt(n)) / sd;
  if (alternative === 'greater') return normalSf(normalIsf(alpha) - delta);
  if (alternative === 'less') return normalSf(normalIsf(alpha) + delta);
  const z = normalIsf(alpha / 2);
  return normalSf(z - delta) + normalSf(z + delta);
}

/**
 * Smallest n at which `zTestPower(effect, sd, n, alpha, alternative)` reaches `power`:
 * the textbook n = ((z₁₋α + z_power) σ / effect)² rounded up for one-sided tests, then
 * adjusted by direct search (which also covers the two-sided case exactly).
 *
 * Degenerate inputs: effect = 0 (or of the wrong sign for a one-sided test: no n suffices)
 * → ValidationError; other invalid arguments as `zTestPower`.
 */
export function zTestSampleSize(
  effect: number,
  sd: number,
  alpha = 0.05,
  power = 0.8,
  alternative: Alternative = 'greater',
): number {
  checkPositive(sd, 'sd');
  checkLevel(alpha, 'alpha');
  checkLevel(power, 'power');
  checkAlternative(alternative);
  const helps =
    alternative === 'two-sided' ? effect !== 0 : alternative === 'greater' ? effect > 0 : effect < 0;
  if (!Number.isFinite(effect) || !helps) {
    throw new ValidationError(
      `effect ${effect} can never reach power ${power} with alternative '${alternative}'`,
      {
        field: 'effect',
      },
    );
  }
  const zAlpha = alternative === 'two-sided' ? normalIsf(alpha / 2) : normalIsf(alpha);
  const zPower = normalIsf(1 - power);
  let n = Math.max(1, Math.ceil((((zAlpha + zPower) * sd) / effect) ** 2));
  while (zTestPower(effect, sd, n, alpha, alternative) < power) n++;
  while (n > 1 && zTestPower(effect, sd, n - 1, alpha, alternative) >= power) n--;
  return n;
}
