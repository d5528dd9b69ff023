/**
 * Dense networks for the agents: WebAssembly SIMD kernels (with a plain-TS reference),
 * MLPs, optimisers, distributions, losses, initialisers, and state dicts in the
 * Stable-Baselines3 layout (JSON tensors and safetensors).
 */
export * from './distributions.js';
export * from './init.js';
export { createKernels, RefKernels, WasmKernels } from './kernels.js';
export type { Activation, DenseKernels } from './kernels-common.js';
export * from './losses.js';
export * from './mlp.js';
export * from './optim.js';
export * from './safetensors.js';
export * from './sb3-layout.js';
export {
  cloneStateDict,
  float32ToBase64,
  formatShape,
  type JsonTensor,
  MAX_TENSOR_RANK,
  makeTensor,
  type NestedNumbers,
  numel,
  type ParseStateDictOptions,
  parseStateDictJson,
  type StateDict,
  stateDictToJson,
  type Tensor as NamedTensor,
  toNested,
  validateShape,
} from './state-dict.js';
export { Arena, type ArenaOptions, Param, Tensor } from './tensor.js';
