/**
 * The hand-written LunarLander controller of Gymnasium's `lunar_lander.py` (`heuristic(env, s)`),
 * used there to test and demonstrate the environment; it lands with a return above 200 on
 * most seeds, which makes it a physics-level check of this port.
 *
 * It is a pair of PD-like loops on the observation s = [x, y, vx, vy, angle, angular velocity,
 * left leg contact, right leg contact]:
 *   - angle target: point towards the pad, 0.5·x + 1.0·vx, clipped to ±0.4 rad (22°);
 *   - hover target: height proportional to the horizontal offset, 0.55·|x|;
 *   - angle command = 0.5·(angle target − angle) − 1.0·angular velocity;
 *   - hover command = 0.5·(hover target − y) − 0.5·vy;
 *   - once a leg touches, stop steering and only brake the fall: angle 0, hover −0.5·vy.
 * The discrete policy fires the main engine when the hover command dominates (and exceeds
 * 0.05), otherwise the side engine that corrects the angle (dead band ±0.05). The continuous
 * policy scales the commands by 20 into clipped [main, lateral] throttles.
 */

/** The two commands of the controller, [angle, hover], written into a shared scratch array. */
const todo = new Float64Array(2);

function commands(s: ArrayLike<number>): Float64Array {
  let angleTarget = s[0] * 0.5 + s[2] * 1.0;
  if (angleTarget > 0.4) angleTarget = 0.4; // more than 0.4 rad (22°) is bad
  if (angleTarget < -0.4) angleTarget = -0.4;
  const hoverTarget = 0.55 * Math.abs(s[0]);

  let angleTodo = (angleTarget - s[4]) * 0.5 - s[5] * 1.0;
  let hoverTodo = (hoverTarget - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] !== 0 || s[7] !== 0) {
    // Legs down: just reduce the fall speed.
    angleTodo = 0;
    hoverTodo = -s[3] * 0.5;
  }
  todo[0] = angleTodo;
  todo[1] = hoverTodo;
  return todo;
}

/** Discrete LunarLander action (0 nop, 1 left engine, 2 main engine, 3 right engine) for observation `s`. */
export function lunarLanderHeuristicDiscrete(s: ArrayLike<number>): number {
  const c = commands(s);
  const angleTodo = c[0];
  const hoverTodo = c[1];
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2;
  if (angleTodo < -0.05) return 3;
  if (angleTodo > +0.05) return 1;
  return 0;
}

/**
 * Continuous LunarLander action [main, lateral] in [-1, 1]² for observation `s`, written into
 * `out` (a fresh array when omitted) so a rollout loop need not allocate.
 */
export function lunarLanderHeuristicContinuous(
  s: ArrayLike<number>,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  const c = commands(s);
  const angleTodo = c[0];
  const hoverTodo = c[1];
  out[0] = Math.min(Math.max(hoverTodo * 20 - 1, -1), 1);
  out[1] = Math.min(Math.max(-angleTodo * 20, -1), 1);
  return out;
}

/** Gymnasium's `heuristic(env, s)`: the continuous or the discrete policy, as the env requires. */
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: boolean): number | Float64Array {
  return continuous ? lunarLanderHeuristicContinuous(s) : lunarLanderHeuristicDiscrete(s);
}
