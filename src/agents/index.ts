/**
 * The agents layer: `createAgent` (load or initialise a policy of one of the four types)
 * and `trainAgent` (train one for a timestep budget), dispatching on `agent_type`.
 */
import type { ActionSpace, Box } from '../envs/index.js';
import { make } from '../envs/index.js';
import type { StateDict } from '../nn/state-dict.js';
import { A2cAgent, trainA2c } from './a2c.js';
import { DdpgAgent, trainDdpg } from './ddpg.js';
import { DqnAgent, trainDqn } from './dqn.js';
import { type AgentType, parseAgentType, resolveHyperparameters } from './hyperparameters.js';
import { PpoAgent, trainPpo } from './ppo.js';
import type { Agent, AgentSpaces, TrainOptions, TrainResult } from './types.js';

export { A2cAgent, trainA2c } from './a2c.js';
export { createActionNoise, NormalActionNoise, OrnsteinUhlenbeckActionNoise } from './action-noise.js';
export { DdpgAgent, trainDdpg } from './ddpg.js';
export { DqnAgent, explorationSchedule, trainDqn } from './dqn.js';
export {
  type A2cHyperparameters,
  type ActionNoiseSpec,
  type Activation as HiddenLayerActivation,
  AGENT_TYPES,
  type AgentType,
  type DdpgHyperparameters,
  type DqnHyperparameters,
  describeHyperparameters,
  HYPERPARAMETER_SCHEMAS,
  type HyperparametersOf,
  type PpoHyperparameters,
  parseAgentType,
  resolveHyperparameters,
  type Schedule,
  scheduleValue,
} from './hyperparameters.js';
export { PpoAgent, trainPpo } from './ppo.js';
export type {
  ActOptions,
  Agent,
  AgentSpaces,
  LearningCurvePoint,
  LossRecord,
  TrainOptions,
  TrainProgress,
  TrainResult,
} from './types.js';

export interface CreateAgentOptions {
  /** Seeds the initial weights (when no state dict is given) and stochastic acting. Default 0. */
  seed?: number;
}

/**
 * An agent of `agentType` (either case) with the given hyperparameters (validated, SB3
 * defaults filled in), loaded from `stateDict` when given, for an environment's spaces.
 * Spaces may be given directly or as an environment id.
 */
export function createAgent(
  agentType: string,
  hyperparameters: unknown,
  stateDict?: StateDict,
  spaces?: AgentSpaces | { envId: string },
  options: CreateAgentOptions = {},
): Agent {
  const type = parseAgentType(agentType);
  const s = resolveSpaces(spaces);
  const seed = options.seed ?? 0;
  switch (type) {
    case 'ppo':
      return new PpoAgent(resolveHyperparameters('ppo', hyperparameters), s, { seed, stateDict });
    case 'a2c':
      return new A2cAgent(resolveHyperparameters('a2c', hyperparameters), s, { seed, stateDict });
    case 'dqn':
      return new DqnAgent(resolveHyperparameters('dqn', hyperparameters), s, { seed, stateDict });
    case 'ddpg':
      return new DdpgAgent(resolveHyperparameters('ddpg', hyperparameters), s, { seed, stateDict });
  }
}

function resolveSpaces(spaces: AgentSpaces | { envId: string } | undefined): AgentSpaces {
  if (spaces === undefined) {
    throw new TypeError(
      'createAgent needs the observation and action spaces (or an envId) of the environment',
    );
  }
  if ('envId' in spaces) {
    const env = make(spaces.envId);
    const s = { observationSpace: env.observationSpace as Box, actionSpace: env.actionSpace as ActionSpace };
    env.close();
    return s;
  }
  return spaces;
}

/**
 * Trains an agent of `agentType` with `hyperparameters` (validated) on `options.envId` for
 * `options.totalTimesteps`, starting from `initialState` when given.
 */
export function trainAgent(
  agentType: string,
  hyperparameters: unknown,
  options: TrainOptions,
  initialState?: StateDict,
): TrainResult {
  const type: AgentType = parseAgentType(agentType);
  switch (type) {
    case 'ppo':
      return trainPpo(resolveHyperparameters('ppo', hyperparameters), options, initialState);
    case 'a2c':
      return trainA2c(resolveHyperparameters('a2c', hyperparameters), options, initialState);
    case 'dqn':
      return trainDqn(resolveHyperparameters('dqn', hyperparameters), options, initialState);
    case 'ddpg':
      return trainDdpg(resolveHyperparameters('ddpg', hyperparameters), options, initialState);
  }
}
