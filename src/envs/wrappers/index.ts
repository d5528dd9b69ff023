export {
  type EpisodeRecord,
  EpisodeStatistics,
  type EpisodeStatisticsOptions,
} from './episode-statistics.js';
export { NOISE_SPAWN_KEY, ObservationNoise } from './observation-noise.js';
export { DELAY_SPAWN_KEY, RewardDelay, type RewardDelayOptions } from './reward-delay.js';
export { TimeLimit } from './time-limit.js';
export { Wrapper } from './wrapper.js';
