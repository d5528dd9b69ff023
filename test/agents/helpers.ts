/** Checks shared by the agent tests. */
import { expect } from 'vitest';
import type { Agent } from '../../src/agents/types.js';
import { runEpisodes } from '../../src/evaluation/runner.js';
import type { Param } from '../../src/nn/tensor.js';

/**
 * Mean deterministic return of `agent` over `episodes` episodes of `envId` with seeds
 * 1000, 1001, … — played by the engine's own episode runner.
 */
export function meanReturn(agent: Agent, envId: string, episodes: number): number {
  const { episodes: played } = runEpisodes(agent, { envId, episodes, baseSeed: 1000, deterministic: true });
  return played.reduce((sum, e) => sum + e.return, 0) / episodes;
}

/**
 * Asserts that `analytic` (one gradient array per parameter) matches central finite
 * differences of `loss` over every element of `params`: |fd − analytic| < 5e-4·max(1, |analytic|).
 * The step is divided by the difference of the stored float32 values, not by 2h.
 */
export function expectFiniteDifferences(
  params: readonly Param[],
  analytic: readonly Float64Array[],
  loss: () => number,
  h = 3e-3,
): void {
  params.forEach((p, pi) => {
    for (let k = 0; k < p.size; k++) {
      const x = p.data[k];
      p.data[k] = x + h;
      const up = p.data[k];
      const lUp = loss();
      p.data[k] = x - h;
      const down = p.data[k];
      const lDown = loss();
      p.data[k] = x;
      const fd = (lUp - lDown) / (up - down);
      const a = analytic[pi][k];
      expect(Math.abs(fd - a), `${p.name}[${k}]: fd ${fd}, analytic ${a}`).toBeLessThan(
        5e-4 * Math.max(1, Math.abs(a)),
      );
    }
  });
}
