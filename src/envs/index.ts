/**
 * The environments layer: Gymnasium-faithful environments, their spaces, the registry
 * (`make`, `listEnvs`), wrappers and the synchronous vector env.
 */
export {
  LunarLanderContinuousEnv,
  LunarLanderEnv,
  type LunarLanderOptions,
  lunarLanderHeuristic,
  lunarLanderHeuristicContinuous,
  lunarLanderHeuristicDiscrete,
} from './box2d/index.js';
export {
  AcrobotEnv,
  type AcrobotOptions,
  CartPoleEnv,
  type CartPoleOptions,
  ContinuousMountainCarEnv,
  type ContinuousMountainCarOptions,
  MountainCarEnv,
  type MountainCarOptions,
  PendulumEnv,
  type PendulumOptions,
} from './classic-control/index.js';
export {
  type Action,
  type ActionSpace,
  EMPTY_INFO,
  type Env,
  type EnvSpec,
  type Info,
  type ResetOptions,
  type ResetResult,
  type StepResult,
  type SuccessCriterion,
} from './core.js';
export { EnvStateError, InvalidActionError, UnknownEnvironmentError } from './errors.js';
export {
  closestId,
  describeEnv,
  ENV_IDS,
  type EnvDescription,
  isEnvId,
  listEnvs,
  MAKE_OPTIONS,
  type MakeOptions,
  make,
} from './registry.js';
export { Box, type BoxJSON, Discrete, type JsonBound, type Space, validateAction } from './spaces.js';
export {
  makeVec,
  SyncVectorEnv,
  type VectorActions,
  type VectorResetOptions,
  type VectorResetResult,
  type VectorStepResult,
} from './vector.js';
export {
  DELAY_SPAWN_KEY,
  type EpisodeRecord,
  EpisodeStatistics,
  type EpisodeStatisticsOptions,
  NOISE_SPAWN_KEY,
  ObservationNoise,
  RewardDelay,
  type RewardDelayOptions,
  TimeLimit,
  Wrapper,
} from './wrappers/index.js';
