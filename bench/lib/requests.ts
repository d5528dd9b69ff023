/**
 * A real but tiny evaluation request: PPO trained for 256 CartPole steps (well under a
 * second), then 5 episodes in quick mode. `overrides` replaces top-level fields. Shared by the
 * API benchmark and the API and observability tests.
 */
export function quickPpoRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agent_type: 'ppo',
    environments: ['CartPole-v1'],
    training: { total_timesteps: 256, seed: 1 },
    hyperparameters: { n_steps: 64, batch_size: 64, n_epochs: 1 },
    num_episodes: 5,
    quick_mode: true,
    ...overrides,
  };
}
