/** The five Gymnasium classic-control environments. */
export { AcrobotEnv, type AcrobotOptions, bound, wrap } from './acrobot.js';
export { CartPoleEnv, type CartPoleOptions } from './cartpole.js';
export { MountainCarEnv, type MountainCarOptions } from './mountain-car.js';
export { ContinuousMountainCarEnv, type ContinuousMountainCarOptions } from './mountain-car-continuous.js';
export { angleNormalize, PendulumEnv, type PendulumOptions } from './pendulum.js';
