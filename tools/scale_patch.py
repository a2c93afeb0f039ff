#!/usr/bin/env python3
"""A Rack patch of a cluster at Kubernetes' own scale limits (5,000 nodes, 150,000 pods).

  scale_patch.py [-o PATH]

Writes (default patches/scale.vcv, plain JSON as Rack loads it) a CLUSTER hub with a SCHEDULER,
an ETCD, 5 NODEs of 1,000 nodes each (32 cores, 128 GiB, zones a..d in turn) and 30
DEPLOYMENTs of 5,000 replicas each (500 m, 512 MiB), every member's API input cabled from the
hub's API output: the world of core/src/world/scale.rs and the `scale` bench, as the patch
`kuberack import` writes of such a cluster. Python standard library only; the module
descriptors come from `kuberack models --json` (tools/host_cost.py).
"""
import argparse
import json
import os

from host_cost import REPO, Patch, models, port_index

POOLS, POOL_NODES = 5, 1000
DEPLOYMENTS, REPLICAS = 30, 5000


def set_param(patch, module_id, model, param_id, value):
    index = next(i for i, p in enumerate(model["params"]) if p["id"] == param_id)
    patch.modules[module_id - 1]["params"][index]["value"] = value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", default=os.path.join(REPO, "patches", "scale.vcv"), help="patch path")
    a = ap.parse_args()
    by_slug = {m["slug"]: m for m in models()}
    hub = next(m for m in by_slug.values() if m["role"] == "Hub")
    version = json.load(open(os.path.join(REPO, "plugin", "plugin.json")))["version"]
    p = Patch(version)
    hub_id = p.add(hub)
    hub_api = port_index(hub["outputs"], "API")

    def member(slug, **params):
        model = by_slug[slug]
        mid = p.add(model)
        for param_id, value in params.items():
            set_param(p, mid, model, param_id, value)
        p.cable(hub_id, hub_api, mid, port_index(model["inputs"], "API"))
        return mid

    member("Scheduler")
    member("Etcd")
    for i in range(POOLS):
        member("Node", COUNT=POOL_NODES, CPU=32, MEMORY=128, ZONE=i % 4)
    for _ in range(DEPLOYMENTS):
        # CPU is in tens of millicores (50: 500 m), MEMORY in 16 MiB (32: 512 MiB).
        member("Deployment", REPLICAS=REPLICAS, CPU=50, MEMORY=32)
    p.write(a.o)
    print(f"wrote {a.o}: {POOLS} NODE x {POOL_NODES}, {DEPLOYMENTS} DEPLOYMENT x {REPLICAS}")


if __name__ == "__main__":
    main()
