/**
 * Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization
 * Algorithms"), following Stable-Baselines3's PPO (ppo/ppo.py) step for step:
 *
 *   rollout   n_steps × n_envs transitions from the current policy (on-policy.ts);
 *   advantage GAE(λ) (Schulman et al. 2016) and returns R = A + V;
 *   update    n_epochs passes over the rollout, each in minibatches of batch_size drawn from
 *             a fresh permutation; per minibatch:
 *               Â = (A − mean A) / (std A + 1e-8)        (unbiased std, when normalize_advantage)
 *               ρ = exp(log π(a|s) − log π_old(a|s))
 *               L_clip = −mean(min(Â ρ, Â clip(ρ, 1 − ε, 1 + ε)))          (paper eq. 7)
 *               L_vf   = mean((R − V(s))²)
 *               L_ent  = −mean(H(π(·|s)))
 *               L = L_clip + ent_coef · L_ent + vf_coef · L_vf            (paper eq. 9)
 *             then one Adam step (eps 1e-5) after clipping the global gradient norm to
 *             max_grad_norm. approx_kl = mean((ρ − 1) − log ρ) (Schulman's low-variance
 *             estimator, SB3 PR #417); past 1.5 · target_kl the update stops before stepping.
 *
 * learning_rate and clip_range are schedules evaluated at progress_remaining when the update
 * starts. SB3's clip_range_vf (value clipping) is not offered: its default is None.
 */
import { Adam, clipGradNorm } from '../nn/optim.js';
import type { StateDict } from '../nn/state-dict.js';
import {
  ACTOR_CRITIC_ADAM_EPS,
  ActorCriticAgent,
  type ActorCriticAgentOptions,
  type ActorCriticPolicy,
} from './actor-critic.js';
import { permutation, type RolloutBuffer } from './buffers.js';
import { type PpoHyperparameters, scheduleValue } from './hyperparameters.js';
import {
  addRolloutDiagnostics,
  normalizeAdvantages,
  type OnPolicyUpdate,
  runOnPolicy,
  type UpdateLosses,
} from './on-policy.js';
import { openTraining } from './train-options.js';
import type { AgentSpaces, TrainOptions, TrainResult } from './types.js';

export class PpoAgent extends ActorCriticAgent<'ppo'> {
  constructor(
    hyperparameters: PpoHyperparameters,
    spaces: AgentSpaces,
    options: ActorCriticAgentOptions = {},
  ) {
    super('ppo', hyperparameters, spaces, options);
  }
}

/** One minibatch of rollout data, rows 0..size−1 of each array. */
export interface PpoMinibatch {
  size: number;
  /** size × obsDim observations (ideally the policy's `trainingInput(size)` buffer). */
  obs: Float32Array;
  /** size × actDim actions as stored in the rollout (indices, or unclipped samples). */
  actions: Float32Array;
  /** log π_old(a|s) from collection. */
  oldLogProb: Float64Array;
  /** Advantages, already normalised when normalize_advantage is set. */
  advantages: Float64Array;
  returns: Float64Array;
}

export interface PpoLossCoefficients {
  clipRange: number;
  entCoef: number;
  vfCoef: number;
}

export interface PpoLossTerms {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropyLoss: number;
  approxKl: number;
  clipFraction: number;
  /** dL/dH per row (−ent_coef / size), for `policy.backward`. */
  dEntropy: number;
}

/**
 * Forward pass and PPO loss of one minibatch (SB3 PPO.train's inner loop), with dL/dlog π
 * written into `dLogProb` and dL/dV into `dValue` (per row) for `policy.backward`.
 */
export function ppoLoss(
  policy: ActorCriticPolicy,
  mb: PpoMinibatch,
  coef: PpoLossCoefficients,
  dLogProb: Float64Array,
  dValue: Float64Array,
): PpoLossTerms {
  const m = mb.size;
  policy.evaluateActions(mb.obs, mb.actions, m);
  const logProb = policy.logProb;
  const values = policy.values;
  const entropy = policy.entropy;
  const eps = coef.clipRange;
  let surrogate = 0;
  let clipped = 0;
  let kl = 0;
  let sqErr = 0;
  let entSum = 0;
  for (let i = 0; i < m; i++) {
    const adv = mb.advantages[i];
    const logRatio = logProb[i] - mb.oldLogProb[i];
    const ratio = Math.exp(logRatio);
    const clampedRatio = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
    const unclippedObj = adv * ratio;
    const clippedObj = adv * clampedRatio;
    // min(Âρ, Â clip(ρ)): the gradient flows through ρ only where the unclipped term is the
    // minimum (at a tie ρ is inside the clip range, where both terms have gradient Â).
    const useUnclipped = unclippedObj <= clippedObj;
    surrogate += useUnclipped ? unclippedObj : clippedObj;
    dLogProb[i] = useUnclipped ? (-adv * ratio) / m : 0;
    if (Math.abs(ratio - 1) > eps) clipped++;
    kl += ratio - 1 - logRatio;
    const err = values[i] - mb.returns[i];
    sqErr += err * err;
    dValue[i] = (coef.vfCoef * 2 * err) / m;
    entSum += entropy[i];
  }
  const policyLoss = -surrogate / m;
  const valueLoss = sqErr / m;
  const entropyLoss = -entSum / m;
  return {
    loss: policyLoss + coef.entCoef * entropyLoss + coef.vfCoef * valueLoss,
    policyLoss,
    valueLoss,
    entropyLoss,
    approxKl: kl / m,
    clipFraction: clipped / m,
    dEntropy: -coef.entCoef / m,
  };
}

/** The PPO update (SB3 PPO.train) bound to an agent: its optimiser and minibatch buffers. */
export function createPpoUpdate(agent: PpoAgent, rolloutSize: number): OnPolicyUpdate {
  const hp = agent.hyperparameters;
  const policy = agent.policy;
  const obsDim = policy.obsDim;
  const actDim = policy.actDim;
  const params = policy.parameters;
  const optimizer = new Adam(params, { lr: scheduleValue(hp.learning_rate, 1), eps: ACTOR_CRITIC_ADAM_EPS });
  const batchSize = Math.min(hp.batch_size, rolloutSize);
  policy.reserveTraining(batchSize);
  // When one minibatch holds the whole rollout (RL Zoo's CartPole setting: 8 × 32 rows, batch
  // 256), SB3's permutation only reorders the rows of a mean, i.e. the summation order. The
  // rows are then used where the rollout stores them: no shuffle, no gather.
  const wholeRollout = batchSize === rolloutSize;
  const order = new Int32Array(rolloutSize);
  const mb: PpoMinibatch = {
    size: 0,
    obs: policy.trainingInput(batchSize),
    actions: new Float32Array(batchSize * actDim),
    oldLogProb: new Float64Array(batchSize),
    advantages: new Float64Array(batchSize),
    returns: new Float64Array(batchSize),
  };
  const dLogProb = new Float64Array(batchSize);
  const dValue = new Float64Array(batchSize);
  let nUpdates = 0;

  return (rollout: RolloutBuffer, progressRemaining: number): UpdateLosses => {
    if (wholeRollout) {
      mb.obs = rollout.obs;
      mb.actions = rollout.actions;
      mb.oldLogProb = rollout.logProbs;
      mb.returns = rollout.returns;
    }
    const lr = scheduleValue(hp.learning_rate, progressRemaining);
    const coef: PpoLossCoefficients = {
      clipRange: scheduleValue(hp.clip_range, progressRemaining),
      entCoef: hp.ent_coef,
      vfCoef: hp.vf_coef,
    };
    let sumLoss = 0;
    let sumPolicy = 0;
    let sumValue = 0;
    let sumEntropy = 0;
    let sumClip = 0;
    let minibatches = 0;
    let epochKl = 0;
    let epochMinibatches = 0;
    let continueTraining = true;
    for (let epoch = 0; epoch < hp.n_epochs && continueTraining; epoch++) {
      epochKl = 0;
      epochMinibatches = 0;
      if (!wholeRollout) permutation(order, rolloutSize, agent.shuffleRng);
      for (let start = 0; start < rolloutSize; start += batchSize) {
        const m = Math.min(batchSize, rolloutSize - start);
        mb.size = m;
        if (wholeRollout) {
          mb.advantages.set(rollout.advantages);
        } else {
          // Gather the minibatch rows straight into the actor's input buffer.
          mb.obs = policy.trainingInput(m);
          for (let r = 0; r < m; r++) {
            const i = order[start + r];
            const src = i * obsDim;
            const dst = r * obsDim;
            for (let k = 0; k < obsDim; k++) mb.obs[dst + k] = rollout.obs[src + k];
            for (let k = 0; k < actDim; k++) mb.actions[r * actDim + k] = rollout.actions[i * actDim + k];
            mb.oldLogProb[r] = rollout.logProbs[i];
            mb.advantages[r] = rollout.advantages[i];
            mb.returns[r] = rollout.returns[i];
          }
        }
        if (hp.normalize_advantage) normalizeAdvantages(mb.advantages, m);

        const terms = ppoLoss(policy, mb, coef, dLogProb, dValue);
        sumLoss += terms.loss;
        sumPolicy += terms.policyLoss;
        sumValue += terms.valueLoss;
        sumEntropy += terms.entropyLoss;
        sumClip += terms.clipFraction;
        minibatches++;
        epochKl += terms.approxKl;
        epochMinibatches++;
        if (hp.target_kl !== null && terms.approxKl > 1.5 * hp.target_kl) {
          continueTraining = false; // SB3: stop before this minibatch's step
          break;
        }

        policy.zeroGrad();
        policy.backward(mb.actions, dLogProb, terms.dEntropy, dValue, m);
        clipGradNorm(params, hp.max_grad_norm);
        optimizer.step(lr);
      }
      nUpdates++;
    }
    const losses: UpdateLosses = {
      loss: sumLoss / minibatches,
      policy_loss: sumPolicy / minibatches,
      value_loss: sumValue / minibatches,
      entropy_loss: sumEntropy / minibatches,
      // As SB3 logs it: the mean over the last epoch's minibatches.
      approx_kl: epochKl / epochMinibatches,
      clip_fraction: sumClip / minibatches,
      learning_rate: lr,
      clip_range: coef.clipRange,
      n_updates: nUpdates,
    };
    return addRolloutDiagnostics(losses, rollout, policy);
  };
}

/**
 * Trains a PPO agent on `options.envId` for `options.totalTimesteps` steps over
 * `hyperparameters.n_envs` copies, starting from `initialState` when given (else from the
 * seeded orthogonal initialisation). Same seed, same hyperparameters ⇒ same weights.
 */
export function trainPpo(
  hyperparameters: PpoHyperparameters,
  options: TrainOptions,
  initialState?: StateDict,
): TrainResult<'ppo'> {
  const { vec, built: agent } = openTraining(
    options,
    hyperparameters.n_envs,
    (spaces) => new PpoAgent(hyperparameters, spaces, { seed: options.seed, stateDict: initialState }),
  );
  const update = createPpoUpdate(agent, hyperparameters.n_steps * hyperparameters.n_envs);
  return runOnPolicy(agent, vec, options, update);
}
