/**
 * The environment registry: `make(envId, options?)` and `listEnvs()`, after Gymnasium 1.x
 * `gymnasium.make` and its registrations in gymnasium/envs/__init__.py (same ids, same
 * `max_episode_steps` and `reward_threshold`; LunarLanderContinuous-v3 is registered there
 * as LunarLander-v3 with `continuous=True`, and so it is here).
 *
 * `make` builds, from the inside out:
 *   1. the environment, constructed with the environment's own options (Gymnasium's env
 *      kwargs, under the same snake_case names, e.g. `{ continuous: true }`), its `spec` set
 *      to the registered one;
 *   2. TimeLimit(maxEpisodeSteps) — the registered limit unless `maxEpisodeSteps` overrides it;
 *   3. optionally ObservationNoise(sigma), RewardDelay, EpisodeStatistics, in that order (so
 *      the statistics report what an agent sees: noisy observations, delayed rewards).
 * Gymnasium's PassiveEnvChecker and OrderEnforcing are left out: stepping before reset already
 * throws EnvStateError in every environment, and actions are validated by the environments.
 */
import { ValidationError } from '../errors.js';
import { LunarLanderContinuousEnv, LunarLanderEnv } from './box2d/index.js';
import {
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
import type { ActionSpace, Env, EnvSpec, SuccessCriterion } from './core.js';
import { UnknownEnvironmentError } from './errors.js';
import { Box } from './spaces.js';
import {
  EpisodeStatistics,
  type EpisodeStatisticsOptions,
  ObservationNoise,
  RewardDelay,
  type RewardDelayOptions,
  TimeLimit,
} from './wrappers/index.js';

/** Options of `make`: the wrapper options below, plus the environment's own options by name. */
export interface MakeOptions {
  /** Overrides the registered time limit (a positive integer). */
  maxEpisodeSteps?: number;
  /** Gaussian observation noise: its standard deviation sigma (0 or absent: no noise). */
  observationNoise?: number | { sigma: number };
  /** Delay each reward by 1–3 steps (true) or by a custom range. */
  rewardDelay?: boolean | RewardDelayOptions;
  /** Record episode statistics in `info.episode` (true) or with a custom queue length. */
  episodeStatistics?: boolean | EpisodeStatisticsOptions;
  /** The environment's own options, e.g. `continuous`, `gravity`, `goal_velocity`, `g`. */
  [envOption: string]: unknown;
}

/** The wrapper options `make` understands; any other key is passed to the environment. */
export const MAKE_OPTIONS = [
  'maxEpisodeSteps',
  'observationNoise',
  'rewardDelay',
  'episodeStatistics',
] as const;

/** One registered environment, as `listEnvs()` describes it. */
export interface EnvDescription {
  id: string;
  observationSpace: Box;
  actionSpace: ActionSpace;
  /** Registered TimeLimit (Gymnasium's `max_episode_steps`). */
  maxEpisodeSteps: number;
  /** Gymnasium's `reward_threshold`, or null where it registers none (Pendulum-v1). */
  rewardThreshold: number | null;
  /** Whether the action space is continuous (a Box) rather than Discrete. */
  continuous: boolean;
  /** When an episode counts as a success (DESIGN section 3), in words. */
  successCriterion: string;
  /** The environment's success test, `success(episodeReturn, terminated, truncated)`. */
  success: SuccessCriterion;
}

/** The static side every registered environment class provides. */
interface EnvClassInfo {
  readonly spec: EnvSpec;
  readonly success: SuccessCriterion;
}

interface RegistryEntry {
  readonly info: EnvClassInfo;
  readonly create: (options: Record<string, unknown>) => Env & { spec: EnvSpec | null };
  readonly successCriterion: string;
}

const REGISTRY: ReadonlyMap<string, RegistryEntry> = new Map<string, RegistryEntry>(
  [
    {
      info: CartPoleEnv,
      create: (o: Record<string, unknown>) => new CartPoleEnv(o as CartPoleOptions),
      successCriterion: 'episode return >= 195 (475 counts as solved for v1)',
    },
    {
      info: AcrobotEnv,
      create: (o: Record<string, unknown>) => new AcrobotEnv(o as AcrobotOptions),
      successCriterion: 'terminated: the free end reached the target height within the time limit',
    },
    {
      info: MountainCarEnv,
      create: (o: Record<string, unknown>) => new MountainCarEnv(o as MountainCarOptions),
      successCriterion: 'terminated: the car reached the goal (position >= 0.5) within the time limit',
    },
    {
      info: ContinuousMountainCarEnv,
      create: (o: Record<string, unknown>) => new ContinuousMountainCarEnv(o as ContinuousMountainCarOptions),
      successCriterion: 'terminated: the car reached the goal (position >= 0.45) within the time limit',
    },
    {
      info: PendulumEnv,
      create: (o: Record<string, unknown>) => new PendulumEnv(o as PendulumOptions),
      successCriterion: 'episode return >= -200',
    },
    {
      info: LunarLanderEnv,
      create: (o: Record<string, unknown>) => new LunarLanderEnv(o),
      successCriterion: 'episode return >= 200',
    },
    {
      info: LunarLanderContinuousEnv,
      create: (o: Record<string, unknown>) => new LunarLanderContinuousEnv(o),
      successCriterion: 'episode return >= 200',
    },
  ].map((e) => [e.info.spec.id, e]),
);

/** The registered environment ids, in registration order. */
export const ENV_IDS: readonly string[] = Object.freeze([...REGISTRY.keys()]);

/** Whether `id` is a registered environment id. */
export function isEnvId(id: string): boolean {
  return REGISTRY.has(id);
}

/**
 * Creates the environment `envId` wrapped as described in the module header.
 * Throws UnknownEnvironmentError for an unregistered id (suggesting the closest id) and
 * ValidationError for an unknown or invalid option (naming it).
 */
export function make(envId: string, options: MakeOptions = {}): Env {
  const entry = lookup(envId);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValidationError('make options must be an object', { field: 'options' });
  }
  const envOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!(MAKE_OPTIONS as readonly string[]).includes(key)) envOptions[key] = value;
  }

  let inner: Env & { spec: EnvSpec | null };
  try {
    inner = entry.create(envOptions);
  } catch (err) {
    throw rephraseUnknownOption(err, envId, envOptions);
  }
  const maxEpisodeSteps = options.maxEpisodeSteps ?? entry.info.spec.maxEpisodeSteps;
  inner.spec = entry.info.spec;

  let env: Env = new TimeLimit(inner, maxEpisodeSteps);
  const sigma = noiseSigma(options.observationNoise);
  if (sigma > 0) env = new ObservationNoise(env, sigma);
  const delay = wrapperOption<RewardDelayOptions>('rewardDelay', options.rewardDelay, [
    'minDelay',
    'maxDelay',
  ]);
  if (delay !== null) env = new RewardDelay(env, delay);
  const stats = wrapperOption<EpisodeStatisticsOptions>('episodeStatistics', options.episodeStatistics, [
    'bufferLength',
  ]);
  if (stats !== null) env = new EpisodeStatistics(env, stats);
  return env;
}

/** Every registered environment with its spaces, limits and success criterion. */
export function listEnvs(): EnvDescription[] {
  return [...REGISTRY.values()].map((entry) => describe(entry));
}

/** The description of one registered environment (as an element of `listEnvs()`). */
export function describeEnv(envId: string): EnvDescription {
  return describe(lookup(envId));
}

const descriptions = new Map<string, EnvDescription>();

function describe(entry: RegistryEntry): EnvDescription {
  const id = entry.info.spec.id;
  let d = descriptions.get(id);
  if (d === undefined) {
    // Spaces are instance fields; constructing an environment is cheap (no physics until reset).
    const env = entry.create({});
    d = Object.freeze({
      id,
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      maxEpisodeSteps: entry.info.spec.maxEpisodeSteps,
      rewardThreshold: entry.info.spec.rewardThreshold,
      continuous: env.actionSpace instanceof Box,
      successCriterion: entry.successCriterion,
      success: entry.info.success,
    });
    env.close();
    descriptions.set(id, d);
  }
  return d;
}

function lookup(envId: string): RegistryEntry {
  const entry = typeof envId === 'string' ? REGISTRY.get(envId) : undefined;
  if (entry !== undefined) return entry;
  const suggestion = typeof envId === 'string' ? closestId(envId) : null;
  throw new UnknownEnvironmentError(String(envId), ENV_IDS, suggestion);
}

/** The registered id nearest to `id` (case-insensitive edit distance ≤ 3), or null. */
export function closestId(id: string): string | null {
  const target = id.toLowerCase();
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of ENV_IDS) {
    const d = editDistance(target, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions each cost 1). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * An environment rejects an option it does not know with `details.valid` listing its own;
 * as a `make` option could have been meant, list both kinds.
 */
function rephraseUnknownOption(err: unknown, envId: string, envOptions: Record<string, unknown>): unknown {
  if (!(err instanceof ValidationError)) return err;
  const field = err.details?.field;
  const valid = err.details?.valid;
  if (typeof field !== 'string' || !(field in envOptions) || !Array.isArray(valid)) return err;
  const all = [...MAKE_OPTIONS, ...(valid as string[])];
  return new ValidationError(
    `unknown option '${field}' for make('${envId}'); valid options: ${all.join(', ')}`,
    { field, valid: all },
    { cause: err },
  );
}

function noiseSigma(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'object') checkKeys('observationNoise', value, ['sigma']);
  const sigma = typeof value === 'object' ? (value as { sigma?: unknown }).sigma : value;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new ValidationError(
      `observationNoise must be a finite sigma >= 0 (a number or { sigma }), got ${JSON.stringify(value)}`,
      { field: 'observationNoise' },
    );
  }
  return sigma;
}

/** A wrapper switch: absent/false → null (no wrapper), true → defaults, an object → its options. */
function wrapperOption<T extends object>(name: string, value: unknown, allowed: readonly string[]): T | null {
  if (value === undefined || value === null || value === false) return null;
  if (value === true) return {} as T;
  if (typeof value === 'object' && !Array.isArray(value)) {
    checkKeys(name, value, allowed);
    return value as T;
  }
  throw new ValidationError(`${name} must be a boolean or an options object, got ${JSON.stringify(value)}`, {
    field: name,
  });
}

function checkKeys(name: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`unknown option '${name}.${key}'; valid: ${allowed.join(', ')}`, {
        field: `${name}.${key}`,
        valid: [...allowed],
      });
    }
  }
}
