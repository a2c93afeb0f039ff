#!/usr/bin/env python3
"""A cluster at Kubernetes' own scale limits, as `kubectl get ... -o json` would list it.

  scale_cluster.py [-o PATH]

Writes (default: standard output) a List of 5,000 Ready nodes in 5 Karpenter node pools of
1,000 (32 cores, 128 GiB, 110 pods; zones zone-a..zone-d in turn) and 30 Deployments of 5,000
replicas (500m, 512Mi): 150,000 pods, the world of the `scale` bench. `kuberack import
--from-file` turns it into the patch of that cluster. Python standard library only.
"""
import argparse
import json
import sys

POOLS, POOL_NODES = 5, 1000
DEPLOYMENTS, REPLICAS = 30, 5000
ZONES = ["zone-a", "zone-b", "zone-c", "zone-d"]


def node(pool, i):
    name = f"pool-{pool}-{i:04d}"
    resources = {"cpu": "32", "memory": "128Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "karpenter.sh/nodepool": f"pool-{pool}",
                "topology.kubernetes.io/zone": ZONES[pool % len(ZONES)],
                "kubernetes.io/hostname": name,
            },
        },
        "spec": {},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def deployment(d):
    name = f"app-{d:02d}"
    container = {
        "name": "app",
        "image": "registry.k8s.io/pause:3.10",
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "scale"},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", help="output path (default: standard output)")
    a = ap.parse_args()
    items = [node(p, i) for p in range(POOLS) for i in range(POOL_NODES)]
    items += [deployment(d) for d in range(DEPLOYMENTS)]
    out = open(a.o, "w") if a.o else sys.stdout
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, out)


if __name__ == "__main__":
    main()
