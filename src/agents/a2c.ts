/**
 * Advantage Actor-Critic (Mnih et al. 2016, "Asynchronous Methods for Deep Reinforcement
 * Learning", synchronous variant), following Stable-Baselines3's A2C (a2c/a2c.py):
 *
 *   rollout   n_steps × n_envs transitions from the current policy (on-policy.ts; default
 *             n_steps 5);
 *   advantage GAE(λ) with λ = 1 by default, i.e. the n-step return minus V(s); returns R = A + V;
 *   update    one gradient step on the whole rollout:
 *               L_pg  = −mean(A · log π(a|s))            (A normalised only if normalize_advantage)
 *               L_vf  = mean((R − V(s))²)
 *               L_ent = −mean(H(π(·|s)))
 *               L = L_pg + ent_coef · L_ent + vf_coef · L_vf
 *             global gradient-norm clipping to max_grad_norm, then one step of
 *             torch.optim.RMSprop (α = 0.99, eps = rms_prop_eps added to √(mean g²), square
 *             average starting at 0) as SB3's A2C sets it up when use_rms_prop is true, or
 *             of Adam (eps 1e-5, the actor-critic policy's default) otherwise. (SB3's
 *             TensorFlow-style RMSpropTFLike is opt-in through policy_kwargs, as RL Zoo's
 *             Atari settings do; its CartPole settings keep the default.)
 *
 * SB3 draws a permutation of the rollout before its single full batch; the loss is a mean
 * over all rows, so the order only changes float rounding and is not drawn here.
 */
import { Adam, clipGradNorm, RMSprop } from '../nn/optim.js';
import type { StateDict } from '../nn/state-dict.js';
import {
  ACTOR_CRITIC_ADAM_EPS,
  ActorCriticAgent,
  type ActorCriticAgentOptions,
  type ActorCriticPolicy,
} from './actor-critic.js';
import type { RolloutBuffer } from './buffers.js';
import { type A2cHyperparameters, scheduleValue } from './hyperparameters.js';
import {
  addRolloutDiagnostics,
  normalizeAdvantages,
  type OnPolicyUpdate,
  runOnPolicy,
  type UpdateLosses,
} from './on-policy.js';
import { openTraining } from './train-options.js';
import type { AgentSpaces, TrainOptions, TrainResult } from './types.js';

/** RMSprop's smoothing constant in SB3's A2C. */
const RMSPROP_ALPHA = 0.99;

export class A2cAgent extends ActorCriticAgent<'a2c'> {
  constructor(
    hyperparameters: A2cHyperparameters,
    spaces: AgentSpaces,
    options: ActorCriticAgentOptions = {},
  ) {
    super('a2c', hyperparameters, spaces, options);
  }
}

/** The rollout rows one A2C step optimises over. */
export interface A2cBatch {
  size: number;
  obs: Float32Array;
  actions: Float32Array;
  advantages: Float64Array;
  returns: Float64Array;
}

export interface A2cLossTerms {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropyLoss: number;
  /** dL/dH per row (−ent_coef / size), for `policy.backward`. */
  dEntropy: number;
}

/**
 * Forward pass and A2C loss over a batch, with dL/dlog π into `dLogProb` and dL/dV into
 * `dValue` per row, for `policy.backward`.
 */
export function a2cLoss(
  policy: ActorCriticPolicy,
  batch: A2cBatch,
  entCoef: number,
  vfCoef: number,
  dLogProb: Float64Array,
  dValue: Float64Array,
): A2cLossTerms {
  const m = batch.size;
  policy.evaluateActions(batch.obs, batch.actions, m);
  const logProb = policy.logProb;
  const values = policy.values;
  const entropy = policy.entropy;
  let pg = 0;
  let sqErr = 0;
  let entSum = 0;
  for (let i = 0; i < m; i++) {
    const adv = batch.advantages[i];
    pg += adv * logProb[i];
    dLogProb[i] = -adv / m;
    const err = values[i] - batch.returns[i];
    sqErr += err * err;
    dValue[i] = (vfCoef * 2 * err) / m;
    entSum += entropy[i];
  }
  const policyLoss = -pg / m;
  const valueLoss = sqErr / m;
  const entropyLoss = -entSum / m;
  return {
    loss: policyLoss + entCoef * entropyLoss + vfCoef * valueLoss,
    policyLoss,
    valueLoss,
    entropyLoss,
    dEntropy: -entCoef / m,
  };
}

/** The A2C update (SB3 A2C.train) bound to an agent: its optimiser and gradient buffers. */
export function createA2cUpdate(agent: A2cAgent, rolloutSize: number): OnPolicyUpdate {
  const hp = agent.hyperparameters;
  const policy = agent.policy;
  const params = policy.parameters;
  const lr0 = scheduleValue(hp.learning_rate, 1);
  const optimizer = hp.use_rms_prop
    ? new RMSprop(params, { lr: lr0, alpha: RMSPROP_ALPHA, eps: hp.rms_prop_eps, weightDecay: 0 })
    : new Adam(params, { lr: lr0, eps: ACTOR_CRITIC_ADAM_EPS });
  policy.reserveTraining(rolloutSize);
  const advantages = new Float64Array(rolloutSize);
  const dLogProb = new Float64Array(rolloutSize);
  const dValue = new Float64Array(rolloutSize);
  let nUpdates = 0;

  return (rollout: RolloutBuffer, progressRemaining: number): UpdateLosses => {
    const lr = scheduleValue(hp.learning_rate, progressRemaining);
    advantages.set(rollout.advantages);
    if (hp.normalize_advantage) normalizeAdvantages(advantages, rolloutSize);
    const batch: A2cBatch = {
      size: rolloutSize,
      obs: rollout.obs,
      actions: rollout.actions,
      advantages,
      returns: rollout.returns,
    };
    const terms = a2cLoss(policy, batch, hp.ent_coef, hp.vf_coef, dLogProb, dValue);
    policy.zeroGrad();
    policy.backward(rollout.actions, dLogProb, terms.dEntropy, dValue, rolloutSize);
    clipGradNorm(params, hp.max_grad_norm);
    optimizer.step(lr);
    nUpdates++;
    const losses: UpdateLosses = {
      loss: terms.loss,
      policy_loss: terms.policyLoss,
      value_loss: terms.valueLoss,
      entropy_loss: terms.entropyLoss,
      learning_rate: lr,
      n_updates: nUpdates,
    };
    return addRolloutDiagnostics(losses, rollout, policy);
  };
}

/**
 * Trains an A2C agent on `options.envId` for `options.totalTimesteps` steps over
 * `hyperparameters.n_envs` copies, starting from `initialState` when given (else from the
 * seeded orthogonal initialisation). Same seed, same hyperparameters ⇒ same weights.
 */
export function trainA2c(
  hyperparameters: A2cHyperparameters,
  options: TrainOptions,
  initialState?: StateDict,
): TrainResult<'a2c'> {
  const { vec, built: agent } = openTraining(
    options,
    hyperparameters.n_envs,
    (spaces) => new A2cAgent(hyperparameters, spaces, { seed: options.seed, stateDict: initialState }),
  );
  const update = createA2cUpdate(agent, hyperparameters.n_steps * hyperparameters.n_envs);
  return runOnPolicy(agent, vec, options, update);
}
