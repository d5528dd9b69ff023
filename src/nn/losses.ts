/**
 * Regression losses with mean reduction, as the agents use them:
 *
 * - `mseLoss`: PyTorch's `F.mse_loss` — the value loss of SB3's PPO and A2C and the critic
 *   loss of DDPG/TD3.
 * - `smoothL1Loss`: PyTorch's `F.smooth_l1_loss(beta=1)` — SB3's DQN loss. With beta = 1 it
 *   equals the Huber loss with delta = 1.
 *
 * Each returns the loss value and, when `grad` is given, writes dLoss/dPrediction into it
 * (same length as `pred`). Nothing is allocated, so they can run inside the update loop.
 */
import { ValidationError } from '../errors.js';

type Floats = Float32Array | Float64Array;

function checkLengths(name: string, pred: ArrayLike<number>, target: ArrayLike<number>, grad?: Floats): void {
  if (pred.length !== target.length) {
    throw new ValidationError(
      `${name}: prediction has ${pred.length} elements but target has ${target.length}`,
      { field: 'target' },
    );
  }
  if (grad !== undefined && grad.length !== pred.length) {
    throw new ValidationError(
      `${name}: gradient buffer has ${grad.length} elements but prediction has ${pred.length}`,
      { field: 'grad' },
    );
  }
  if (pred.length === 0) {
    // torch returns NaN for the mean of an empty tensor; an empty batch is a caller bug here.
    throw new ValidationError(`${name}: empty batch`, { field: 'pred' });
  }
}

/**
 * Mean squared error, L = (1/N) Σ (pred_i − target_i)², with dL/dpred_i = 2 (pred_i − target_i) / N.
 */
export function mseLoss(pred: ArrayLike<number>, target: ArrayLike<number>, grad?: Floats): number {
  checkLengths('mseLoss', pred, target, grad);
  const n = pred.length;
  let sum = 0;
  if (grad === undefined) {
    for (let i = 0; i < n; i++) {
      const d = pred[i] - target[i];
      sum += d * d;
    }
  } else {
    const scale = 2 / n;
    for (let i = 0; i < n; i++) {
      const d = pred[i] - target[i];
      sum += d * d;
      grad[i] = scale * d;
    }
  }
  return sum / n;
}

/**
 * Smooth L1 loss with mean reduction, as `torch.nn.functional.smooth_l1_loss`:
 * with z = |pred − target|, the element loss is 0.5 z² / beta when z < beta, else z − 0.5 beta.
 * Its derivative is d / beta inside the quadratic zone and sign(d) outside (at z = beta
 * exactly torch takes the linear branch, and so do we; both sides agree there anyway).
 */
export function smoothL1Loss(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  grad?: Floats,
  beta = 1,
): number {
  checkLengths('smoothL1Loss', pred, target, grad);
  if (!(beta > 0) || !Number.isFinite(beta)) {
    // torch allows beta = 0 (pure L1); the agents never use it and it divides by zero below.
    throw new ValidationError(`smoothL1Loss: beta must be a positive finite number, got ${beta}`, {
      field: 'beta',
    });
  }
  const n = pred.length;
  const halfBeta = 0.5 * beta;
  const invBeta = 1 / beta;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    const z = Math.abs(d);
    if (z < beta) {
      sum += 0.5 * d * d * invBeta;
      if (grad !== undefined) grad[i] = (d * invBeta) / n;
    } else {
      sum += z - halfBeta;
      if (grad !== undefined) grad[i] = (d > 0 ? 1 : -1) / n;
    }
  }
  return sum / n;
}

/** `smoothL1Loss` with beta = 1, i.e. the Huber loss with delta = 1 (SB3 DQN's loss). */
export function huberLoss(pred: ArrayLike<number>, target: ArrayLike<number>, grad?: Floats): number {
  return smoothL1Loss(pred, target, grad, 1);
}
