/**
 * The `state_dict()` layout of Stable-Baselines3 2.x MlpPolicy for each agent type: tensor
 * names and torch shapes (Linear weight [out, in], bias [out]), in torch's order (a module's
 * own parameters, then its submodules in assignment order). Taken from SB3's source:
 *
 * - PPO / A2C — `ActorCriticPolicy` (common/policies.py) with `MlpExtractor`
 *   (common/torch_layers.py): separate `mlp_extractor.policy_net` and
 *   `mlp_extractor.value_net` Sequentials (Linear at even indices 0, 2, …, activation
 *   between, tanh by default), then `action_net` (logits for Discrete, mean for Box),
 *   `value_net` [1, latent_vf], and for Box spaces the state-independent `log_std` [action_dim]
 *   (`DiagGaussianDistribution.proba_distribution_net`), which comes first as the policy's
 *   own parameter. Default net_arch dict(pi=[64, 64], vf=[64, 64]).
 * - DQN — `DQNPolicy` (dqn/policies.py): `q_net.q_net.{0, 2, …}` (`QNetwork.q_net`, a
 *   `create_mlp` Sequential with ReLU, last Linear [n_actions, ·]) and the same under
 *   `q_net_target.`. Default net_arch [64, 64].
 * - DDPG — `TD3Policy` (td3/policies.py) with `n_critics=1` (ddpg/ddpg.py): `actor.mu.{0, 2, …}`
 *   (ReLU, final tanh without parameters), `actor_target.mu.*`, `critic.qf0.{0, 2, …}` whose
 *   input is obs ⊕ action and output 1 (`ContinuousCritic`), `critic_target.qf0.*`.
 *   Default net_arch [400, 300].
 *
 * The features extractors (`features_extractor`, `pi_features_extractor`,
 * `vf_features_extractor`, and the actor's / critic's) are `FlattenExtractor`s, an
 * `nn.Flatten` with no parameters, so they contribute no keys.
 *
 * Target networks (`q_net_target`, `actor_target`, `critic_target`) are optional on input:
 * when a whole target network is absent it is copied from its online network, which is
 * what SB3 does at construction (`load_state_dict(online.state_dict())`).
 */
import { ValidationError } from '../errors.js';
import { formatShape, numel, type StateDict } from './state-dict.js';

export type Sb3AgentType = 'ppo' | 'a2c' | 'dqn' | 'ddpg';

export type Sb3ActionSpec = { kind: 'discrete'; n: number } | { kind: 'box'; dim: number };

/**
 * SB3's `net_arch`: one list of hidden sizes for both networks, or per network — `{pi, vf}`
 * for PPO/A2C (a missing side means no hidden layer, as SB3's `net_arch.get('pi', [])`),
 * `{pi, qf}` for DDPG (both required, as `get_actor_critic_arch`). DQN takes a list only.
 */
export type Sb3NetArch = number[] | { pi?: number[]; vf?: number[]; qf?: number[] };

export interface Sb3LayoutSpec {
  /** Flattened observation size (the FlattenExtractor's features_dim). */
  obsDim: number;
  action: Sb3ActionSpec;
  /** Hidden layer sizes; the agent type's SB3 default when omitted. */
  netArch?: Sb3NetArch;
}

export interface Sb3LayoutEntry {
  name: string;
  shape: number[];
  /** For a target-network tensor, the online tensor it is copied from when absent. */
  targetOf?: string;
}

export const SB3_DEFAULT_NET_ARCH: Record<Sb3AgentType, number[]> = {
  ppo: [64, 64],
  a2c: [64, 64],
  dqn: [64, 64],
  ddpg: [400, 300],
};

/** Prefixes of the optional target networks and of the online networks they copy. */
const TARGET_PREFIXES: [target: string, online: string][] = [
  ['q_net_target.', 'q_net.'],
  ['actor_target.', 'actor.'],
  ['critic_target.', 'critic.'],
];

function bad(message: string, field: string): never {
  throw new ValidationError(message, { field });
}

function checkSizes(what: string, sizes: unknown): number[] {
  if (!Array.isArray(sizes)) bad(`${what} must be a list of layer sizes`, 'net_arch');
  for (const s of sizes) {
    if (!Number.isSafeInteger(s) || (s as number) < 1)
      bad(`${what} sizes must be positive integers, got ${String(s)}`, 'net_arch');
  }
  return [...(sizes as number[])];
}

/** Linear layers of an SB3 `create_mlp` Sequential: Linear at indices 0, 2, 4, …; an output layer when outDim > 0. */
function mlpEntries(prefix: string, inDim: number, hidden: number[], outDim: number): Sb3LayoutEntry[] {
  const entries: Sb3LayoutEntry[] = [];
  let last = inDim;
  let index = 0;
  for (const h of [...hidden, ...(outDim > 0 ? [outDim] : [])]) {
    entries.push({ name: `${prefix}${index}.weight`, shape: [h, last] });
    entries.push({ name: `${prefix}${index}.bias`, shape: [h] });
    last = h;
    index += 2; // each Linear is followed by its activation module (which has no parameters)
  }
  return entries;
}

function asTarget(entries: Sb3LayoutEntry[], onlinePrefix: string, targetPrefix: string): Sb3LayoutEntry[] {
  return entries.map((e) => ({
    name: targetPrefix + e.name.slice(onlinePrefix.length),
    shape: [...e.shape],
    targetOf: e.name,
  }));
}

/**
 * The tensors of an SB3 MlpPolicy `state_dict()` for `agentType` and `spec`, in torch's order.
 * Throws a ValidationError for an impossible combination (DQN with a Box action space, DDPG
 * with a Discrete one) or malformed sizes.
 */
export function expectedLayout(agentType: Sb3AgentType, spec: Sb3LayoutSpec): Sb3LayoutEntry[] {
  const { obsDim, action } = spec;
  if (!Number.isSafeInteger(obsDim) || obsDim < 1)
    bad(`obsDim must be a positive integer, got ${obsDim}`, 'obsDim');
  const actionSize = action.kind === 'discrete' ? action.n : action.dim;
  if (!Number.isSafeInteger(actionSize) || actionSize < 1) {
    bad(`the action space size must be a positive integer, got ${actionSize}`, 'action');
  }
  if (!(agentType in SB3_DEFAULT_NET_ARCH))
    bad(`unknown agent type ${JSON.stringify(agentType)}`, 'agent_type');
  const arch = spec.netArch ?? SB3_DEFAULT_NET_ARCH[agentType];

  switch (agentType) {
    case 'ppo':
    case 'a2c': {
      const pi = checkSizes('net_arch.pi', Array.isArray(arch) ? arch : (arch.pi ?? []));
      const vf = checkSizes('net_arch.vf', Array.isArray(arch) ? arch : (arch.vf ?? []));
      if (!Array.isArray(arch) && arch.qf !== undefined)
        bad(`${agentType} net_arch takes pi and vf, not qf`, 'net_arch');
      const latentPi = pi.length > 0 ? pi[pi.length - 1] : obsDim;
      const latentVf = vf.length > 0 ? vf[vf.length - 1] : obsDim;
      return [
        ...(action.kind === 'box' ? [{ name: 'log_std', shape: [action.dim] }] : []),
        ...mlpEntries('mlp_extractor.policy_net.', obsDim, pi, 0),
        ...mlpEntries('mlp_extractor.value_net.', obsDim, vf, 0),
        { name: 'action_net.weight', shape: [actionSize, latentPi] },
        { name: 'action_net.bias', shape: [actionSize] },
        { name: 'value_net.weight', shape: [1, latentVf] },
        { name: 'value_net.bias', shape: [1] },
      ];
    }
    case 'dqn': {
      if (action.kind !== 'discrete') bad('DQN needs a Discrete action space', 'action');
      if (!Array.isArray(arch)) bad('DQN net_arch must be a list of layer sizes', 'net_arch');
      const online = mlpEntries('q_net.q_net.', obsDim, checkSizes('net_arch', arch), action.n);
      return [...online, ...asTarget(online, 'q_net.', 'q_net_target.')];
    }
    case 'ddpg': {
      if (action.kind !== 'box') bad('DDPG needs a Box action space', 'action');
      let actorArch: number[];
      let criticArch: number[];
      if (Array.isArray(arch)) {
        actorArch = checkSizes('net_arch', arch);
        criticArch = actorArch;
      } else {
        if (arch.pi === undefined || arch.qf === undefined)
          bad('DDPG net_arch as a dict needs both pi and qf', 'net_arch');
        actorArch = checkSizes('net_arch.pi', arch.pi);
        criticArch = checkSizes('net_arch.qf', arch.qf);
      }
      const actor = mlpEntries('actor.mu.', obsDim, actorArch, action.dim);
      const critic = mlpEntries('critic.qf0.', obsDim + action.dim, criticArch, 1);
      return [
        ...actor,
        ...asTarget(actor, 'actor.', 'actor_target.'),
        ...critic,
        ...asTarget(critic, 'critic.', 'critic_target.'),
      ];
    }
  }
}

export interface Sb3LayoutCheck {
  /** Target-network tensors absent from the state dict, to be copied from `targetOf`. */
  missingTargets: Sb3LayoutEntry[];
}

/**
 * Checks a state dict against a layout. Rejects, in one ValidationError listing every
 * problem (`details.problems`): a missing tensor, an unexpected extra tensor, a shape
 * mismatch (naming the tensor, expected and actual shape), and data whose length does not
 * match its shape. A target network may be absent as a whole; a partly present one is an
 * error (its missing tensors are reported).
 */
export function validateStateDict(sd: StateDict, layout: readonly Sb3LayoutEntry[]): Sb3LayoutCheck {
  const problems: string[] = [];
  const expectedNames = new Set(layout.map((e) => e.name));
  const targetGroupPresent = new Map<string, boolean>();
  for (const [targetPrefix] of TARGET_PREFIXES) {
    const present = layout.some(
      (e) => e.targetOf !== undefined && e.name.startsWith(targetPrefix) && sd.has(e.name),
    );
    targetGroupPresent.set(targetPrefix, present);
  }
  const missingTargets: Sb3LayoutEntry[] = [];
  for (const entry of layout) {
    const t = sd.get(entry.name);
    if (t === undefined) {
      const group = TARGET_PREFIXES.find(([p]) => entry.name.startsWith(p))?.[0];
      if (entry.targetOf !== undefined && group !== undefined && !targetGroupPresent.get(group)) {
        missingTargets.push(entry);
      } else {
        problems.push(`missing tensor "${entry.name}" (expected shape ${formatShape(entry.shape)})`);
      }
      continue;
    }
    if (!sameShape(t.shape, entry.shape)) {
      problems.push(
        `tensor "${entry.name}" has shape ${formatShape(t.shape)}, expected ${formatShape(entry.shape)}`,
      );
    } else if (t.data.length !== numel(t.shape)) {
      problems.push(`tensor "${entry.name}" has ${t.data.length} values for shape ${formatShape(t.shape)}`);
    }
  }
  for (const [name, t] of sd) {
    if (!expectedNames.has(name))
      problems.push(`unexpected tensor "${name}" (shape ${formatShape(t.shape)})`);
  }
  if (problems.length > 0) {
    const shown =
      problems.length > 10 ? [...problems.slice(0, 10), `… and ${problems.length - 10} more`] : problems;
    throw new ValidationError(
      `state dict does not match the expected SB3 MlpPolicy layout: ${shown.join('; ')}`,
      {
        field: 'agent_state',
        problems,
      },
    );
  }
  return { missingTargets };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Validates `sd` against `layout` and returns a new state dict in layout order where absent
 * target networks are copies of their online networks. Tensors are copied, not shared.
 */
export function completeStateDict(sd: StateDict, layout: readonly Sb3LayoutEntry[]): StateDict {
  validateStateDict(sd, layout);
  const out: StateDict = new Map();
  for (const entry of layout) {
    const src = sd.get(entry.name) ?? sd.get(entry.targetOf!)!;
    out.set(entry.name, { shape: [...src.shape], data: new Float32Array(src.data) });
  }
  return out;
}
