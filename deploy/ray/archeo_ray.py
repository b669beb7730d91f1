#!/usr/bin/env python3
"""archeo on a Ray cluster: a thin driver that places work, retries it and restarts it.

archeo's binary does all the work (fetching is not done here; indexing, querying, ranking and
merging are `archeo index --shard K/N`, `archeo serve` and `archeo serve --shard URL...`).
This driver only decides where those processes run:

  build    every shard of the lock as a Ray task (retried on another node when its node dies),
           each writing `OUT/K` (an ordinary index directory, on storage every node sees);
  serve    one detached actor per shard running `archeo serve` of it on 127.0.0.1:PORT+K, and
           one running the front end on 127.0.0.1:PORT; Ray restarts an actor whose process or
           node dies, and an actor exits when its archeo process does, so a killed server is
           restarted too;
  stop     removes those actors;
  status   says which actors run where.

Every command prints one JSON object (timings, nodes, URLs) on standard output.

  ray start --head --num-cpus=0 && ray start --address=127.0.0.1:6379 --num-cpus=1
  python3 deploy/ray/archeo_ray.py build --archeo target/release/archeo --shards 2 --out shards
  python3 deploy/ray/archeo_ray.py serve --archeo target/release/archeo --shards 2 --out shards
  curl -s 'http://127.0.0.1:7800/api/search?q=openat2'
"""

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time

import ray

NAMESPACE = "archeo"
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Run in the child before exec: the kernel kills archeo when the Ray worker that started it
    dies (a killed node must not leave an archeo writing a shard that a retry writes again)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()


@ray.remote(num_cpus=1)
def build_shard(archeo, manifest, cache_dir, out, k, n, extra_args):
    """`archeo index --shard K/N` into OUT/K. A failure raises, and Ray retries the task."""
    node = ray.get_runtime_context().get_node_id()
    started = time.time()
    # Where each attempt ran, for the fault tests and the report (one file per attempt).
    marker = os.path.join(out, f".attempt-{k}-{node[:12]}-{os.getpid()}")
    os.makedirs(out, exist_ok=True)
    with open(marker + ".tmp", "w") as f:
        f.write(json.dumps({"shard": k, "node": node, "pid": os.getpid(), "started": started}))
    os.replace(marker + ".tmp", marker)
    cmd = [archeo, "--manifest", manifest, "--cache-dir", cache_dir,
           "--index-dir", os.path.join(out, str(k)), "index", "--shard", f"{k}/{n}"] + list(extra_args)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_die_with_parent)
    archeo_seconds = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"shard {k}/{n} on node {node[:12]}: archeo exited {p.returncode}: {p.stderr.strip()[-2000:]}")
    return {
        "shard": f"{k}/{n}",
        "node": node,
        "archeo_seconds": round(archeo_seconds, 3),
        "task_seconds": round(time.time() - started, 3),
        "summary": [l for l in p.stderr.splitlines() if l.strip()][-1:],
    }


class _Server:
    """An archeo server process owned by an actor: the actor exits when the process does, so
    Ray restarts both (max_restarts)."""

    def __init__(self, cmd):
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, preexec_fn=_die_with_parent)
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            self.proc.wait()
            raise RuntimeError(f"{cmd[0]} did not start (exit {self.proc.returncode}): {' '.join(cmd)}")
        self.ready_seconds = time.time() - self.started
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        self.proc.wait()
        os._exit(1)

    def info(self):
        return {
            "url": self.url,
            "pid": self.proc.pid,
            "node": ray.get_runtime_context().get_node_id(),
            "ready_seconds": round(self.ready_seconds, 3),
            "started": self.started,
        }


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class ShardServer(_Server):
    def __init__(self, archeo, index_dir, port, timeout_ms):
        super().__init__([archeo, "--index-dir", index_dir, "serve",
                          "--addr", f"127.0.0.1:{port}", "--timeout-ms", str(timeout_ms)])


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class FrontEnd(_Server):
    def __init__(self, archeo, shard_urls, port, shard_timeout_ms):
        cmd = [archeo, "serve", "--addr", f"127.0.0.1:{port}", "--shard-timeout-ms", str(shard_timeout_ms)]
        for u in shard_urls:
            cmd += ["--shard", u]
        super().__init__(cmd)


def _connect(address):
    t0 = time.monotonic()
    ray.init(address=address, namespace=NAMESPACE, logging_level="ERROR", log_to_driver=False)
    return time.monotonic() - t0


def cmd_build(a):
    connect = _connect(a.address)
    out = os.path.abspath(a.out)
    t0 = time.monotonic()
    refs = [build_shard.options(max_retries=a.retries, retry_exceptions=True).remote(
                os.path.abspath(a.archeo), os.path.abspath(a.manifest), os.path.abspath(a.cache_dir),
                out, k, a.shards, a.index_arg)
            for k in range(1, a.shards + 1)]
    done = {}
    pending = {r: k for r, k in zip(refs, range(1, a.shards + 1))}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        k = pending.pop(ready[0])
        r = ray.get(ready[0])
        r["done_after_seconds"] = round(time.monotonic() - t0, 3)
        done[k] = r
    wall = time.monotonic() - t0
    attempts = {}
    for name in os.listdir(out):
        if name.startswith(".attempt-") and not name.endswith(".tmp"):
            k = int(name.split("-")[1])
            attempts[k] = attempts.get(k, 0) + 1
    shards = [dict(done[k], attempts=attempts.get(k, 1)) for k in sorted(done)]
    print(json.dumps({
        "command": "build",
        "out": out,
        "shards": shards,
        "wall_seconds": round(wall, 3),
        "connect_seconds": round(connect, 3),
        # What the engine adds: the build's wall time less the longest archeo run (shards run in
        # parallel on free CPUs; a retried shard counts its last archeo run only).
        "engine_overhead_seconds": round(wall - max(s["archeo_seconds"] for s in shards), 3),
        "nodes": len([n for n in ray.nodes() if n["Alive"]]),
    }))


def _actors(n):
    out = []
    for k in range(1, n + 1):
        try:
            out.append(ray.get_actor(f"archeo-shard-{k}", namespace=NAMESPACE))
        except ValueError:
            out.append(None)
    try:
        front = ray.get_actor("archeo-front", namespace=NAMESPACE)
    except ValueError:
        front = None
    return out, front


def cmd_serve(a):
    connect = _connect(a.address)
    out = os.path.abspath(a.out)
    archeo = os.path.abspath(a.archeo)
    t0 = time.monotonic()
    shards = []
    for k in range(1, a.shards + 1):
        shards.append(ShardServer.options(name=f"archeo-shard-{k}", lifetime="detached", get_if_exists=True)
                      .remote(archeo, os.path.join(out, str(k)), a.port + k, a.timeout_ms))
    infos = ray.get([s.info.remote() for s in shards])
    front = FrontEnd.options(name="archeo-front", lifetime="detached", get_if_exists=True).remote(
        archeo, [i["url"] for i in infos], a.port, a.shard_timeout_ms)
    finfo = ray.get(front.info.remote())
    print(json.dumps({
        "command": "serve",
        "front": finfo,
        "shards": infos,
        "start_seconds": round(time.monotonic() - t0, 3),
        "connect_seconds": round(connect, 3),
    }))


def cmd_status(a):
    _connect(a.address)
    shards, front = _actors(a.shards)
    def info(h):
        if h is None:
            return None
        try:
            return ray.get(h.info.remote(), timeout=a.timeout_ms / 1000)
        except Exception as e:  # restarting, or its node is gone
            return {"error": str(e).splitlines()[0]}
    print(json.dumps({"command": "status", "front": info(front), "shards": [info(s) for s in shards]}))


def cmd_stop(a):
    _connect(a.address)
    shards, front = _actors(a.shards)
    stopped = 0
    for h in shards + [front]:
        if h is not None:
            ray.kill(h, no_restart=True)
            stopped += 1
    print(json.dumps({"command": "stop", "stopped": stopped}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", default=os.environ.get("RAY_ADDRESS", "auto"),
                   help="the Ray cluster (default: RAY_ADDRESS, else the local cluster `ray start` made)")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build every shard as a Ray task")
    b.add_argument("--archeo", required=True, help="the archeo binary (on storage every node sees)")
    b.add_argument("--manifest", default="archeo.toml")
    b.add_argument("--cache-dir", default=os.environ.get("ARCHEO_CACHE_DIR", os.path.expanduser("~/.cache/archeo")),
                   help="the fetched cache (`archeo fetch`); read, never written")
    b.add_argument("--out", required=True, help="where shard K is written (OUT/K)")
    b.add_argument("--shards", type=int, required=True, help="N")
    b.add_argument("--retries", type=int, default=3, help="attempts after the first, per shard")
    b.add_argument("--index-arg", action="append", default=[], help="more `archeo index` arguments")
    b.set_defaults(run=cmd_build)
    for name, fn, helptext in [("serve", cmd_serve, "start (or find) the shard servers and the front end"),
                               ("status", cmd_status, "where the servers run"),
                               ("stop", cmd_stop, "remove the servers")]:
        s = sub.add_parser(name, help=helptext)
        s.add_argument("--shards", type=int, required=True, help="N")
        s.add_argument("--timeout-ms", type=int, default=10000, help="each shard server's query time limit")
        if name == "serve":
            s.add_argument("--archeo", required=True)
            s.add_argument("--out", required=True, help="the shards' directory (OUT/K)")
            s.add_argument("--port", type=int, default=7800, help="the front end's port; shard K listens on PORT+K")
            s.add_argument("--shard-timeout-ms", type=int, default=5000,
                           help="how long the front end waits for each shard")
        s.set_defaults(run=fn)
    a = p.parse_args(argv)
    a.run(a)


if __name__ == "__main__":
    sys.exit(main())
