export {
  lunarLanderHeuristic,
  lunarLanderHeuristicContinuous,
  lunarLanderHeuristicDiscrete,
} from './heuristic.js';
export { LunarLanderContinuousEnv, LunarLanderEnv, type LunarLanderOptions } from './lunar-lander.js';
