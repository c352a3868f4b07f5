"""The issue's benchmark model in SimPy, for comparison with `hotline simulate`.

M/M/c+M: Poisson arrivals, exponential handle time, exponential patience, c agents, one
FIFO queue. Prints calls per wall second and the simulated figures, as one line of JSON.

    python simpy_erlang_a.py --calls 1000000 --agents 100 --load 0.95 --aht 180 --patience 120
"""

import argparse
import json
import random
import resource
import time

import simpy


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--agents", type=int, default=100)
    p.add_argument("--load", type=float, default=0.95)
    p.add_argument("--aht", type=float, default=180.0)
    p.add_argument("--patience", type=float, default=120.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    rate = a.load * a.agents / a.aht
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=a.agents)
    stats = {"answered": 0, "abandoned": 0, "within_20s": 0, "wait": 0.0}

    def caller(env):
        arrived = env.now
        with agents.request() as req:
            patience = env.timeout(rng.expovariate(1.0 / a.patience))
            got = yield req | patience
            if req in got:
                wait = env.now - arrived
                stats["answered"] += 1
                stats["wait"] += wait
                stats["within_20s"] += wait <= 20.0
                yield env.timeout(rng.expovariate(1.0 / a.aht))
            else:
                stats["abandoned"] += 1

    def arrivals(env):
        for _ in range(a.calls):
            yield env.timeout(rng.expovariate(rate))
            env.process(caller(env))

    env.process(arrivals(env))
    wall = time.perf_counter()
    env.run()
    wall = time.perf_counter() - wall
    n = a.calls
    print(json.dumps({
        "calls": n,
        "wall_s": round(wall, 2),
        "calls_per_s": round(n / wall),
        "sl_20s": round(stats["within_20s"] / n, 4),
        "asa_s": round(stats["wait"] / max(stats["answered"], 1), 2),
        "abandonment": round(stats["abandoned"] / n, 4),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
