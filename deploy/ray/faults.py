#!/usr/bin/env python3
"""Fault runs of the Ray deployment on a real multi-node cluster on this machine.

Uses ray.cluster_utils.Cluster, as Ray's own tests do: a head node with no CPU (so work goes to
the workers) and WORKERS worker nodes of one CPU, each its own raylet and object store
processes. Two scenarios, each printing one JSON line:

  build-kill  builds N shards with archeo_ray's build task; as soon as shard 1 has started on
              a node, that node is removed (its raylet and workers killed). Ray reschedules the
              shard on a surviving node; the run reports each shard's attempts and nodes.
  serve-kill  starts the shard servers and the front end as actors, asks the front end a
              question QUERY times in a loop, kills shard 1's archeo serve process (SIGKILL) and
              keeps asking: the answers are marked partial until Ray has restarted the server,
              then whole again. Reports every answer's partial mark and the restart time.

It checks nothing about archeo's answers itself: the caller (tests/ray.rs) compares the shards
and the answers with one index built without the engine.

  python3 deploy/ray/faults.py --archeo target/debug/archeo --manifest M --cache-dir C --out O --shards 2
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import archeo_ray  # noqa: E402

# Workers cannot import this directory: ship archeo_ray's functions and classes by value.
ray.cloudpickle.register_pickle_by_value(archeo_ray)

# A node's death is noticed within about a second instead of Ray's default tens of seconds.
SYSTEM_CONFIG = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 200,
    "health_check_failure_threshold": 5,
}


def start_cluster(workers):
    t0 = time.monotonic()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "_system_config": SYSTEM_CONFIG})
    nodes = [c.add_node(num_cpus=1) for _ in range(workers)]
    c.wait_for_nodes()
    up = time.monotonic() - t0
    t1 = time.monotonic()
    ray.init(address=c.address, namespace=archeo_ray.NAMESPACE, logging_level="ERROR", log_to_driver=False)
    return c, nodes, up, time.monotonic() - t1


def build_kill(a, cluster, nodes):
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    env = {"ARCHEO_TEST_BLOB_DELAY_MS": str(a.blob_delay_ms)} if a.blob_delay_ms else {}
    t0 = time.monotonic()
    refs = [archeo_ray.build_shard.options(max_retries=3, retry_exceptions=True,
                                           runtime_env={"env_vars": env}).remote(
                os.path.abspath(a.archeo), os.path.abspath(a.manifest), os.path.abspath(a.cache_dir),
                out, k, a.shards, [])
            for k in range(1, a.shards + 1)]
    # Wait for shard 1's first attempt, then kill the node it runs on.
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline:
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        for r in done:
            ray.get(r)  # a shard that failed before the kill: its error, now
        for name in os.listdir(out):
            if name.startswith(".attempt-1-") and not name.endswith(".tmp"):
                with open(os.path.join(out, name)) as f:
                    node_id = json.load(f)["node"]
                time.sleep(a.kill_after_s)
                for n in nodes:
                    if n.node_id == node_id:
                        cluster.remove_node(n, allow_graceful=False)
                        killed = {"node": node_id, "after_seconds": round(time.monotonic() - t0, 3)}
                        nodes.remove(n)
                        break
                break
        time.sleep(0.05)
    if killed is None:
        raise SystemExit("shard 1 never started on a worker node")
    # A replacement node joins, as an autoscaler would add one (the run also completes on the
    # survivor alone; the replacement keeps N CPUs for the serve run).
    nodes.append(cluster.add_node(num_cpus=1))
    results = ray.get(refs, timeout=600)
    attempts = {}
    for name in os.listdir(out):
        if name.startswith(".attempt-") and not name.endswith(".tmp"):
            k = int(name.split("-")[1])
            with open(os.path.join(out, name)) as f:
                attempts.setdefault(k, []).append(json.load(f)["node"])
    return {
        "scenario": "build-kill",
        "killed": killed,
        "wall_seconds": round(time.monotonic() - t0, 3),
        "shards": results,
        "attempt_nodes": {str(k): v for k, v in sorted(attempts.items())},
    }


def ask(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read().decode()
        return r.headers.get("x-archeo-partial"), body


def serve_kill(a):
    t0 = time.monotonic()
    archeo = os.path.abspath(a.archeo)
    shards = [archeo_ray.ShardServer.options(name=f"archeo-shard-{k}").remote(
                  archeo, os.path.join(os.path.abspath(a.out), str(k)), a.port + k, 10000)
              for k in range(1, a.shards + 1)]
    infos = ray.get([s.info.remote() for s in shards])
    front = archeo_ray.FrontEnd.options(name="archeo-front").remote(
        archeo, [i["url"] for i in infos], a.port, a.shard_timeout_ms)
    finfo = ray.get(front.info.remote())
    started = time.monotonic() - t0
    url = finfo["url"].rstrip("/") + a.query
    answers = []
    before = ask(url)
    answers.append({"t": 0.0, "partial": before[0], "body": before[1]})
    victim = infos[0]["pid"]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    whole_again = None
    first_partial = None
    while time.monotonic() - killed_at < 120:
        try:
            partial, body = ask(url)
        except Exception as e:  # the front end itself answers; a failure here is reported
            partial, body = "error", str(e)
        t = round(time.monotonic() - killed_at, 3)
        answers.append({"t": t, "partial": partial, "body": body})
        if partial == "true" and first_partial is None:
            first_partial = t
        if partial == "false" and first_partial is not None:
            whole_again = t
            break
        time.sleep(0.1)
    after = ray.get(shards[0].info.remote())
    for h in shards + [front]:
        ray.kill(h, no_restart=True)
    return {
        "scenario": "serve-kill",
        "start_seconds": round(started, 3),
        "shard_ready_seconds": [i["ready_seconds"] for i in infos],
        "killed_pid": victim,
        "restarted_pid": after["pid"],
        "first_partial_after": first_partial,
        "whole_again_after": whole_again,
        "answers": answers,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archeo", required=True)
    p.add_argument("--manifest", required=True)
    p.add_argument("--cache-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=7850)
    p.add_argument("--query", default="/api/search?q=openat2")
    p.add_argument("--shard-timeout-ms", type=int, default=2000)
    p.add_argument("--blob-delay-ms", type=int, default=0,
                   help="slow each blob of a debug archeo down (ARCHEO_TEST_BLOB_DELAY_MS) so the kill lands mid-build")
    p.add_argument("--kill-after-s", type=float, default=0.5)
    a = p.parse_args()
    cluster, nodes, up, connect = start_cluster(a.workers)
    try:
        print(json.dumps({"scenario": "cluster", "workers": a.workers, "start_seconds": round(up, 3),
                          "connect_seconds": round(connect, 3)}), flush=True)
        print(json.dumps(build_kill(a, cluster, nodes)), flush=True)
        print(json.dumps(serve_kill(a)), flush=True)
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
