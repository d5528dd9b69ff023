"""Times Stable-Baselines3 on the learning benchmarks of bench/learning.ts, on this machine.

The ratios `npm run bench -- learn-*` prints are against SB3 seconds measured on one machine
(bench/learning.ts). On another CPU, measure SB3 here and pass its median to the benchmark:

  OPENBLAS_NUM_THREADS=1 python3 bench/sb3_learning.py ppo --seeds=5
  npm run bench -- learn-ppo --sb3-seconds=<median printed above>

Needs stable-baselines3 2.3.x, torch (one thread is set here) and gymnasium importable, and
the project's npm dependencies (the cases and hyperparameters are read from
bench/learning.ts, so both sides run the same settings). Each seed trains with `learn()`
(timed, wall and CPU) and is then evaluated deterministically over 100 episodes.
"""

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import torch as th
from stable_baselines3 import A2C, DDPG, DQN, PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.noise import NormalActionNoise

ROOT = Path(__file__).resolve().parent.parent
ALGORITHMS = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "ddpg": DDPG}


def learning_cases():
    script = "import('./bench/learning.ts').then((m) => console.log(JSON.stringify(m.LEARNING_CASES)))"
    out = subprocess.run(["node", "--import", "tsx", "-e", script], cwd=ROOT, check=True, capture_output=True)
    return json.loads(out.stdout)


def schedule(value):
    """tars-eval's 'lin_<x>' is RL Zoo's linear schedule: x times progress_remaining."""
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value[4:])
        return lambda progress_remaining: progress_remaining * start
    return value


def sb3_kwargs(hyperparameters, action_dim):
    """SB3 constructor arguments for tars-eval hyperparameters (n_envs goes to the vector env)."""
    kwargs = dict(hyperparameters)
    kwargs.pop("n_envs", None)
    policy_kwargs = {}
    if "net_arch" in kwargs:
        policy_kwargs["net_arch"] = kwargs.pop("net_arch")
    for name in ("learning_rate", "clip_range"):
        if name in kwargs:
            kwargs[name] = schedule(kwargs[name])
    noise = kwargs.pop("action_noise", None)
    if noise is not None:
        if noise["type"] != "normal":
            raise SystemExit(f"action noise {noise['type']} is not mapped here")
        kwargs["action_noise"] = NormalActionNoise(np.zeros(action_dim), noise["sigma"] * np.ones(action_dim))
    if policy_kwargs:
        kwargs["policy_kwargs"] = policy_kwargs
    return kwargs


def run(case, seed):
    env = make_vec_env(case["envId"], n_envs=case["hyperparameters"].get("n_envs", 1), seed=seed)
    action_dim = int(np.prod(env.action_space.shape)) if env.action_space.shape else 1
    kwargs = sb3_kwargs(case["hyperparameters"], action_dim)
    model = ALGORITHMS[case["agent"]]("MlpPolicy", env, seed=seed, device="cpu", **kwargs)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model.learn(case["timesteps"])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    eval_env = make_vec_env(case["envId"], n_envs=1, seed=1_000_000)
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=100, deterministic=True)
    return {"seed": seed, "wall": wall, "cpu": cpu, "mean": float(mean), "std": float(std)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(ALGORITHMS))
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    args = parser.parse_args()
    th.set_num_threads(1)
    case = learning_cases()[args.case]
    print(f"Stable-Baselines3 {case['agent']} on {case['envId']}, {case['timesteps']} steps, {json.dumps(case['hyperparameters'])}")
    print("seed  mean return      std  wall s  cpu s")
    runs = []
    for seed in range(args.seeds):
        r = run(case, seed)
        runs.append(r)
        print(f"{seed:4d}  {r['mean']:11.2f}  {r['std']:7.2f}  {r['wall']:6.2f}  {r['cpu']:5.2f}", flush=True)
    reached = sum(r["mean"] >= case["target"] for r in runs)
    print(f"score: {reached}/{len(runs)} seeds reach {case['target']}")
    print(f"time: median {statistics.median(r['wall'] for r in runs):.2f} s")


if __name__ == "__main__":
    main()
