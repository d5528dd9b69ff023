/**
 * Hyperparameter schemas of the four agent types. Names, meanings and defaults follow
 * Stable-Baselines3 (ppo.py, a2c.py, dqn.py, ddpg.py / td3.py of SB3 2.x); `n_envs`,
 * `net_arch` and `activation` follow RL Zoo's conventions. Each field declares its type,
 * default, range and a one-line description, so the same table drives validation (with
 * errors naming the field), `--help` text and the API's schema.
 *
 * Schedules: `learning_rate` and `clip_range` take a number or RL Zoo's `"lin_<value>"`,
 * a linear decay from value to 0 over training (progress_remaining from 1 to 0).
 */
import { ValidationError } from '../errors.js';

export const AGENT_TYPES = ['dqn', 'a2c', 'ppo', 'ddpg'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export type Activation = 'tanh' | 'relu';

/** A value that may decay linearly with training progress. */
export type Schedule = { kind: 'constant'; value: number } | { kind: 'linear'; initial: number };

export interface ActionNoiseSpec {
  type: 'normal' | 'ornstein_uhlenbeck';
  sigma: number;
  /** Mean-reversion rate of the Ornstein-Uhlenbeck process (SB3 default 0.15). */
  theta: number;
  /** Time step of the Ornstein-Uhlenbeck process (SB3 default 1e-2). */
  dt: number;
}

type FieldSpec =
  | {
      kind: 'number' | 'integer';
      default: number | null;
      min?: number;
      max?: number;
      /** min is exclusive (value must be > min). */
      exclusiveMin?: boolean;
      nullable?: boolean;
      description: string;
    }
  | { kind: 'schedule'; default: number; min: number; max: number; description: string }
  | { kind: 'net_arch'; default: number[]; description: string }
  | { kind: 'activation'; default: Activation; description: string }
  | { kind: 'boolean'; default: boolean; description: string }
  | { kind: 'action_noise'; default: null; description: string };

const common = {
  gamma: { kind: 'number', default: 0.99, min: 0, max: 1, description: 'discount factor' },
  net_arch: {
    kind: 'net_arch',
    default: [64, 64],
    description: 'hidden layer sizes of each network (1–8 layers of 1–4096 units)',
  },
  max_grad_norm: {
    kind: 'number',
    default: 0.5,
    min: 0,
    exclusiveMin: true,
    max: 1e6,
    description: 'global gradient-norm clipping threshold',
  },
} as const satisfies Record<string, FieldSpec>;

const onPolicy = {
  gamma: common.gamma,
  n_envs: { kind: 'integer', default: 1, min: 1, max: 64, description: 'parallel environment copies' },
  gae_lambda: {
    kind: 'number',
    default: 0.95,
    min: 0,
    max: 1,
    description: 'GAE lambda (bias/variance trade-off of the advantage estimate)',
  },
  ent_coef: { kind: 'number', default: 0, min: 0, max: 1, description: 'entropy bonus coefficient' },
  vf_coef: { kind: 'number', default: 0.5, min: 0, max: 10, description: 'value-loss coefficient' },
  max_grad_norm: common.max_grad_norm,
  normalize_advantage: { kind: 'boolean', default: true, description: 'normalise advantages per batch' },
  net_arch: common.net_arch,
  activation: { kind: 'activation', default: 'tanh', description: 'hidden-layer activation' },
} as const satisfies Record<string, FieldSpec>;

const offPolicy = {
  gamma: common.gamma,
  buffer_size: {
    kind: 'integer',
    default: 1_000_000,
    min: 1,
    max: 10_000_000,
    description: 'replay buffer capacity (transitions)',
  },
  learning_starts: {
    kind: 'integer',
    default: 100,
    min: 0,
    max: 10_000_000,
    description: 'environment steps collected before learning starts',
  },
  batch_size: { kind: 'integer', default: 256, min: 1, max: 65_536, description: 'minibatch size' },
  tau: {
    kind: 'number',
    default: 0.005,
    min: 0,
    exclusiveMin: true,
    max: 1,
    description: 'soft target update coefficient (1 = hard copy)',
  },
  train_freq: {
    kind: 'integer',
    default: 1,
    min: 1,
    max: 1_000_000,
    description: 'environment steps between training phases',
  },
  gradient_steps: {
    kind: 'integer',
    default: 1,
    min: 1,
    max: 100_000,
    description: 'gradient steps per training phase',
  },
  n_envs: { kind: 'integer', default: 1, min: 1, max: 64, description: 'parallel environment copies' },
  net_arch: common.net_arch,
  activation: { kind: 'activation', default: 'relu', description: 'hidden-layer activation' },
} as const satisfies Record<string, FieldSpec>;

export const HYPERPARAMETER_SCHEMAS = {
  ppo: {
    learning_rate: {
      kind: 'schedule',
      default: 3e-4,
      min: 0,
      max: 1,
      description: 'Adam step size (number or "lin_<value>")',
    },
    n_steps: {
      kind: 'integer',
      default: 2048,
      min: 1,
      max: 1_000_000,
      description: 'steps per environment per rollout',
    },
    batch_size: { kind: 'integer', default: 64, min: 1, max: 1_000_000, description: 'minibatch size' },
    n_epochs: {
      kind: 'integer',
      default: 10,
      min: 1,
      max: 1000,
      description: 'optimisation epochs per rollout',
    },
    clip_range: {
      kind: 'schedule',
      default: 0.2,
      min: 0,
      max: 10,
      description: 'PPO clipping parameter (number or "lin_<value>")',
    },
    target_kl: {
      kind: 'number',
      default: null,
      nullable: true,
      min: 0,
      exclusiveMin: true,
      max: 100,
      description: 'stop an update early when the approximate KL exceeds 1.5× this (null: never)',
    },
    ...onPolicy,
  },
  a2c: {
    learning_rate: {
      kind: 'schedule',
      default: 7e-4,
      min: 0,
      max: 1,
      description: 'RMSprop step size (number or "lin_<value>")',
    },
    n_steps: {
      kind: 'integer',
      default: 5,
      min: 1,
      max: 1_000_000,
      description: 'steps per environment per update',
    },
    rms_prop_eps: {
      kind: 'number',
      default: 1e-5,
      min: 0,
      exclusiveMin: true,
      max: 1,
      description:
        'RMSprop epsilon (added to the root of the squared-gradient average, as torch.optim.RMSprop)',
    },
    use_rms_prop: { kind: 'boolean', default: true, description: 'RMSprop (true) or Adam (false)' },
    ...onPolicy,
    gae_lambda: { ...onPolicy.gae_lambda, default: 1 },
    normalize_advantage: { ...onPolicy.normalize_advantage, default: false },
  },
  dqn: {
    learning_rate: {
      kind: 'schedule',
      default: 1e-4,
      min: 0,
      max: 1,
      description: 'Adam step size (number or "lin_<value>")',
    },
    ...offPolicy,
    batch_size: { ...offPolicy.batch_size, default: 32 },
    tau: { ...offPolicy.tau, default: 1 },
    train_freq: { ...offPolicy.train_freq, default: 4 },
    target_update_interval: {
      kind: 'integer',
      default: 10_000,
      min: 1,
      max: 10_000_000,
      description: 'environment steps between target-network updates',
    },
    exploration_fraction: {
      kind: 'number',
      default: 0.1,
      min: 0,
      max: 1,
      description: 'fraction of training over which epsilon decays',
    },
    exploration_initial_eps: {
      kind: 'number',
      default: 1,
      min: 0,
      max: 1,
      description: 'initial epsilon of epsilon-greedy exploration',
    },
    exploration_final_eps: {
      kind: 'number',
      default: 0.05,
      min: 0,
      max: 1,
      description: 'final epsilon of epsilon-greedy exploration',
    },
    epsilon: {
      kind: 'number',
      default: null,
      nullable: true,
      min: 0,
      max: 1,
      description: 'fixed epsilon (alias: sets initial and final epsilon to this value)',
    },
    max_grad_norm: { ...common.max_grad_norm, default: 10 },
  },
  ddpg: {
    learning_rate: {
      kind: 'schedule',
      default: 1e-3,
      min: 0,
      max: 1,
      description: 'Adam step size of actor and critic (number or "lin_<value>")',
    },
    ...offPolicy,
    action_noise: {
      kind: 'action_noise',
      default: null,
      description: 'exploration noise: null, or { type: "normal"|"ornstein_uhlenbeck", sigma, theta?, dt? }',
    },
    net_arch: { ...common.net_arch, default: [400, 300] },
  },
} as const satisfies Record<AgentType, Record<string, FieldSpec>>;

type Schemas = typeof HYPERPARAMETER_SCHEMAS;

type Resolved<F> = F extends { kind: 'schedule' }
  ? Schedule
  : F extends { kind: 'net_arch' }
    ? number[]
    : F extends { kind: 'activation' }
      ? Activation
      : F extends { kind: 'boolean' }
        ? boolean
        : F extends { kind: 'action_noise' }
          ? ActionNoiseSpec | null
          : F extends { nullable: true }
            ? number | null
            : number;

/** Fully resolved hyperparameters of one agent type (every field present, schedules parsed). */
export type HyperparametersOf<T extends AgentType> = {
  -readonly [K in keyof Schemas[T]]: Resolved<Schemas[T][K]>;
};
export type PpoHyperparameters = HyperparametersOf<'ppo'>;
export type A2cHyperparameters = HyperparametersOf<'a2c'>;
export type DqnHyperparameters = HyperparametersOf<'dqn'>;
export type DdpgHyperparameters = HyperparametersOf<'ddpg'>;

/** Accepts either case on input ("PPO", "ppo"), returns the lowercase type or throws naming the field. */
export function parseAgentType(value: unknown, field = 'agent_type'): AgentType {
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if ((AGENT_TYPES as readonly string[]).includes(t)) return t as AgentType;
  }
  throw new ValidationError(
    `${field} must be one of ${AGENT_TYPES.join(', ')}; got ${JSON.stringify(value)}`,
    {
      field,
    },
  );
}

const LIN_PREFIX = 'lin_';

function fail(field: string, message: string): never {
  throw new ValidationError(`hyperparameters.${field} ${message}`, { field: `hyperparameters.${field}` });
}

function checkRange(
  field: string,
  v: number,
  spec: { min?: number; max?: number; exclusiveMin?: boolean; kind: string },
): void {
  if (!Number.isFinite(v)) fail(field, `must be a finite number, got ${v}`);
  if (spec.kind === 'integer' && !Number.isInteger(v)) fail(field, `must be an integer, got ${v}`);
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
    fail(field, `must be ${spec.exclusiveMin ? '>' : '≥'} ${spec.min}, got ${v}`);
  }
  if (spec.max !== undefined && v > spec.max) fail(field, `must be ≤ ${spec.max}, got ${v}`);
}

function parseField(field: string, spec: FieldSpec, raw: unknown): unknown {
  switch (spec.kind) {
    case 'number':
    case 'integer':
      if (raw === null && spec.nullable) return null;
      if (typeof raw !== 'number') fail(field, `must be a number, got ${JSON.stringify(raw)}`);
      checkRange(field, raw, spec);
      return raw;
    case 'schedule': {
      if (typeof raw === 'number') {
        checkRange(field, raw, { ...spec, kind: 'number' });
        return { kind: 'constant', value: raw } satisfies Schedule;
      }
      if (typeof raw === 'string' && raw.startsWith(LIN_PREFIX)) {
        const v = Number(raw.slice(LIN_PREFIX.length));
        if (raw.length === LIN_PREFIX.length || Number.isNaN(v)) {
          fail(field, `must be a number or "lin_<number>", got ${JSON.stringify(raw)}`);
        }
        checkRange(field, v, { ...spec, kind: 'number' });
        return { kind: 'linear', initial: v } satisfies Schedule;
      }
      return fail(field, `must be a number or "lin_<number>", got ${JSON.stringify(raw)}`);
    }
    case 'net_arch': {
      if (!Array.isArray(raw) || raw.length < 1 || raw.length > 8) {
        fail(field, `must be an array of 1 to 8 layer sizes, got ${JSON.stringify(raw)}`);
      }
      for (const [i, u] of raw.entries()) {
        if (typeof u !== 'number' || !Number.isInteger(u) || u < 1 || u > 4096) {
          fail(`${field}[${i}]`, `must be an integer from 1 to 4096, got ${JSON.stringify(u)}`);
        }
      }
      return [...(raw as number[])];
    }
    case 'activation':
      if (raw !== 'tanh' && raw !== 'relu')
        fail(field, `must be "tanh" or "relu", got ${JSON.stringify(raw)}`);
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') fail(field, `must be true or false, got ${JSON.stringify(raw)}`);
      return raw;
    case 'action_noise':
      return parseActionNoise(field, raw);
  }
}

function parseActionNoise(field: string, raw: unknown): ActionNoiseSpec | null {
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail(field, `must be null or an object { type, sigma, theta?, dt? }, got ${JSON.stringify(raw)}`);
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['type', 'sigma', 'theta', 'dt'].includes(k)) fail(`${field}.${k}`, 'is not a known field');
  }
  if (o.type !== 'normal' && o.type !== 'ornstein_uhlenbeck') {
    fail(`${field}.type`, `must be "normal" or "ornstein_uhlenbeck", got ${JSON.stringify(o.type)}`);
  }
  const num = (k: string, def: number, min: number, max: number): number => {
    const v = o[k] ?? def;
    if (typeof v !== 'number') fail(`${field}.${k}`, `must be a number, got ${JSON.stringify(v)}`);
    checkRange(`${field}.${k}`, v, { kind: 'number', min, max });
    return v;
  };
  return {
    type: o.type,
    sigma: num('sigma', 0.1, 0, 10),
    theta: num('theta', 0.15, 0, 10),
    dt: num('dt', 1e-2, 0, 10),
  };
}

/**
 * Validates user hyperparameters against the agent type's schema and fills in defaults.
 * Unknown names and out-of-range values throw a ValidationError naming the field
 * (`hyperparameters.<name>`).
 */
export function resolveHyperparameters<T extends AgentType>(
  agentType: T,
  input: unknown = {},
): HyperparametersOf<T> {
  if (input === null || input === undefined) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError('hyperparameters must be an object', { field: 'hyperparameters' });
  }
  const schema = HYPERPARAMETER_SCHEMAS[agentType] as Record<string, FieldSpec>;
  const given = input as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in schema)) {
      const known = Object.keys(schema).sort().join(', ');
      fail(name, `is not a ${agentType} hyperparameter (known: ${known})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const raw = given[name];
    out[name] = raw === undefined ? parseField(name, spec, spec.default) : parseField(name, spec, raw);
  }
  if (agentType === 'dqn' && typeof out.epsilon === 'number') {
    // `epsilon` is a fixed exploration rate: initial and final epsilon both take it.
    out.exploration_initial_eps = out.epsilon;
    out.exploration_final_eps = out.epsilon;
  }
  if (agentType === 'ppo') {
    const n = (out.n_steps as number) * (out.n_envs as number);
    if (n < 2 && out.normalize_advantage) {
      fail('n_steps', 'times n_envs must be > 1 when normalize_advantage is true (advantages of one sample)');
    }
  }
  return out as HyperparametersOf<T>;
}

/** The value of a schedule at `progressRemaining` ∈ [0, 1] (1 at the start of training). */
export function scheduleValue(s: Schedule, progressRemaining: number): number {
  return s.kind === 'constant' ? s.value : s.initial * progressRemaining;
}

/** Human-readable description of every field of an agent type (for `--help` and docs). */
export function describeHyperparameters(agentType: AgentType): Array<{
  name: string;
  kind: string;
  default: unknown;
  range: string;
  description: string;
}> {
  const schema = HYPERPARAMETER_SCHEMAS[agentType] as Record<string, FieldSpec>;
  return Object.entries(schema).map(([name, spec]) => {
    let range = '';
    if (spec.kind === 'number' || spec.kind === 'integer' || spec.kind === 'schedule') {
      const lo =
        'min' in spec && spec.min !== undefined
          ? `${'exclusiveMin' in spec && spec.exclusiveMin ? '(' : '['}${spec.min}`
          : '(-inf';
      const hi = 'max' in spec && spec.max !== undefined ? `${spec.max}]` : 'inf)';
      range = `${lo}, ${hi}`;
    }
    return { name, kind: spec.kind, default: spec.default, range, description: spec.description };
  });
}
