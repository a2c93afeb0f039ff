#!/usr/bin/env python3
"""Records a real kube-scheduler's decisions as a KubeRack fidelity fixture.

Given a kubeconfig and a scenario (nodes, then pods created one at a time), it creates the
nodes, then each pod, waits until the pod is bound or a FailedScheduling event names it (and,
when the scheduler nominated it for preemption, until it binds), and writes for every pod: the
chosen node, the FailedScheduling message, the nominated node, the pods preempted for it with
their Preempted messages, and, read from the scheduler's -v=10 log, every scored node's
weighted per-plugin scores, its final score and the nodes tied at the top. Python 3 standard
library only.

    record.py --kubeconfig K --scheduler-log LOG SCENARIO.json OUT.json [--runs N]
"""

import argparse
import base64
import copy
import json
import os
import re
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

NODE_LABEL = "kube-local/fake-node"  # the fake kubelet marks pods on such nodes Running


class Api:
    """A minimal client: server, CA and credentials from a kubeconfig holding one cluster and
    one user (as kube-local's do; the first of each is taken)."""

    def __init__(self, kubeconfig):
        text = open(kubeconfig).read()
        fields = {}
        for line in text.splitlines():
            m = re.match(r"\s*([a-z-]+):\s*(\S+)\s*$", line)
            if m and m.group(1) not in fields:
                fields[m.group(1)] = m.group(2)
        self.server = fields["server"].rstrip("/")
        ctx = ssl.create_default_context()
        tmp = tempfile.mkdtemp(prefix="kr-recorder-")

        def material(key):
            if key + "-data" in fields:
                path = os.path.join(tmp, key)
                with open(path, "wb") as f:
                    f.write(base64.b64decode(fields[key + "-data"]))
                return path
            return fields.get(key)

        ca = material("certificate-authority")
        if ca:
            ctx.load_verify_locations(ca)
        cert, key = material("client-certificate"), material("client-key")
        if cert and key:
            ctx.load_cert_chain(cert, key)
        self.headers = {}
        token = fields.get("token")
        if not token and fields.get("tokenFile"):
            token = open(fields["tokenFile"]).read().strip()
        if token:
            self.headers["Authorization"] = "Bearer " + token
        self.ctx = ctx

    def call(self, method, path, body=None, ctype="application/json", ok404=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        for k, v in self.headers.items():
            req.add_header(k, v)
        if data is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            if ok404 and e.code == 404:
                return None
            raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()[:500]}")


def quantity_fields(spec):
    return {k: str(spec[k]) for k in ("cpu", "memory", "pods") if k in spec}


def expand_nodes(scenario):
    """Nodes in creation order: explicit ones, then groups (each zone's nodes together)."""
    nodes = [copy.deepcopy(n) for n in scenario.get("nodes", [])]
    for g in scenario.get("nodeGroups", []):
        per_zone = g["count"] // len(g["zones"])
        for z, zone in enumerate(g["zones"]):
            for i in range(per_zone):
                n = {k: v for k, v in g.items() if k not in ("count", "zones", "prefix")}
                n = copy.deepcopy(n)
                n["name"] = f"{g['prefix']}{z * per_zone + i:03d}"
                n.setdefault("labels", {})["topology.kubernetes.io/zone"] = zone
                nodes.append(n)
    return nodes


def create_node(api, n):
    labels = {
        "kubernetes.io/hostname": n["name"],
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        NODE_LABEL: "true",
    }
    labels.update(n.get("labels", {}))
    api.call("POST", "/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": n["name"], "labels": labels},
    })
    # TaintNodesByCondition puts the not-ready taint on a new node: replace the taints.
    api.call("PATCH", f"/api/v1/nodes/{n['name']}", {
        "spec": {"taints": n.get("taints") or None,
                 "unschedulable": bool(n.get("unschedulable", False)) or None},
    }, ctype="application/merge-patch+json")
    alloc = quantity_fields(n)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    api.call("PATCH", f"/api/v1/nodes/{n['name']}/status", {"status": {
        "capacity": alloc, "allocatable": alloc,
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "recorder node", "lastHeartbeatTime": now,
                        "lastTransitionTime": now}],
        "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                     "kubeletVersion": "v1.34.9-fake", "containerRuntimeVersion": "fake://0",
                     "kernelVersion": "", "osImage": "fake", "kubeProxyVersion": "",
                     "machineID": "", "systemUUID": "", "bootID": ""},
    }}, ctype="application/merge-patch+json")
    # Wait until the taints are gone from the node the scheduler sees.
    for _ in range(100):
        got = api.call("GET", f"/api/v1/nodes/{n['name']}")
        if (got["spec"].get("taints") or []) == (n.get("taints") or []):
            return
        api.call("PATCH", f"/api/v1/nodes/{n['name']}", {"spec": {"taints": n.get("taints") or None}},
                 ctype="application/merge-patch+json")
        time.sleep(0.1)
    raise SystemExit(f"node {n['name']}: taints did not settle")


def pod_manifest(p):
    requests = {k: str(p[k]) for k in ("cpu", "memory") if k in p}
    spec = {
        "containers": [{"name": "c", "image": "registry.invalid/pause:1",
                        "command": ["sleep", "3600"], "resources": {"requests": requests}}],
        "terminationGracePeriodSeconds": 1,
    }
    for k in ("tolerations", "nodeSelector", "affinity", "topologySpreadConstraints",
              "priorityClassName", "preemptionPolicy"):
        if k in p:
            spec[k] = p[k]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": p["name"], "labels": p.get("labels", {})}, "spec": spec}


LINE = re.compile(r'"(Plugin scored node for pod|Calculated node\'s final score for pod)"'
                  r'(.*)$')
KV = re.compile(r'(\w+)="?([^" ]*)"?')


def read_scores(log, offset, ns, pod):
    """Per-plugin weighted and final scores logged for ns/pod since offset."""
    plugins, finals = {}, {}
    with open(log, "rb") as f:
        f.seek(offset)
        for raw in f:
            m = LINE.search(raw.decode(errors="replace"))
            if not m:
                continue
            kv = dict(KV.findall(m.group(2)))
            if kv.get("pod") != f"{ns}/{pod}":
                continue
            if m.group(1).startswith("Plugin"):
                plugins.setdefault(kv["node"], {})[kv["plugin"]] = int(kv["score"])
            else:
                finals[kv["node"]] = int(kv["score"])
    return plugins, finals


def events_for(api, ns, uid, reason):
    items = api.call("GET", f"/api/v1/namespaces/{ns}/events")["items"]
    out = [e for e in items if e["involvedObject"].get("uid") == uid and e["reason"] == reason]
    out.sort(key=lambda e: (e.get("firstTimestamp") or e.get("eventTime") or "",
                            e["metadata"]["creationTimestamp"]))
    return out


def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def run_pod(api, ns, log, p, uids):
    offset = os.path.getsize(log)
    pod = api.call("POST", f"/api/v1/namespaces/{ns}/pods", pod_manifest(p))
    uid = pod["metadata"]["uid"]
    uids[p["name"]] = uid
    path = f"/api/v1/namespaces/{ns}/pods/{p['name']}"

    def decided():
        cur = api.call("GET", path)
        if cur["spec"].get("nodeName"):
            return cur
        if events_for(api, ns, uid, "FailedScheduling"):
            return api.call("GET", path)
        return None

    cur = wait_for(decided, 60, f"pod {p['name']} to be decided")
    failed = events_for(api, ns, uid, "FailedScheduling")
    message = failed[0]["message"] if failed else None
    nominated = None
    if not cur["spec"].get("nodeName"):
        # A preemption nominates shortly after the event; then the pod binds once its
        # victims are gone.
        time.sleep(1.0)
        cur = api.call("GET", path)
        nominated = cur.get("status", {}).get("nominatedNodeName")
        if nominated:
            cur = wait_for(lambda: (lambda c: c if c["spec"].get("nodeName") else None)(
                api.call("GET", path)), 90, f"pod {p['name']} to bind after preemption")
    time.sleep(0.3)  # let the log reach the file
    plugins, finals = read_scores(log, offset, ns, p["name"])
    top = max(finals.values()) if finals else None
    victims = []
    for name, vuid in uids.items():
        if name == p["name"]:
            continue
        for e in events_for(api, ns, vuid, "Preempted"):
            if uid in e["message"]:
                victims.append({"pod": name,
                                "message": e["message"].replace(uid, "{preemptor_uid}")})
    node = cur["spec"].get("nodeName")
    outcome = {
        "pod": p["name"],
        "node": node,
        "unschedulable_message": message,
        "nominated_node": nominated,
        "victims": sorted(victims, key=lambda v: v["pod"]),
        "final_scores": finals,
        "plugin_scores_weighted": plugins,
        "tie_at_top": sorted(n for n, s in finals.items() if s == top),
        "feasibleNodes": len(finals) if finals else (1 if node and not message else 0),
    }
    if node is None and not p.get("keep"):
        api.call("DELETE", path + "?gracePeriodSeconds=0")
        wait_for(lambda: api.call("GET", path, ok404=True) is None, 30, f"{p['name']} deleted")
    return outcome


def delete_pod(api, ns, name):
    path = f"/api/v1/namespaces/{ns}/pods/{name}"
    api.call("DELETE", path + "?gracePeriodSeconds=0")
    wait_for(lambda: api.call("GET", path, ok404=True) is None, 30, f"{name} deleted")


def cleanup(api, ns, nodes):
    """Deletes the pods at once, the nodes and the namespace (not waiting for it to go)."""
    for p in api.call("GET", f"/api/v1/namespaces/{ns}/pods")["items"]:
        api.call("DELETE", f"/api/v1/namespaces/{ns}/pods/{p['metadata']['name']}"
                 "?gracePeriodSeconds=0", ok404=True)
    wait_for(lambda: not api.call("GET", f"/api/v1/namespaces/{ns}/pods")["items"], 60,
             f"pods of {ns} gone")
    for n in nodes:
        api.call("DELETE", f"/api/v1/nodes/{n['name']}", ok404=True)
    wait_for(lambda: not [n for n in api.call("GET", "/api/v1/nodes")["items"]
                          if n["metadata"]["name"] in {m["name"] for m in nodes}], 60, "nodes gone")
    api.call("DELETE", f"/api/v1/namespaces/{ns}", ok404=True)


def record(api, scenario, log, run):
    nodes = expand_nodes(scenario)
    ns = f"rec-{scenario['name']}-{run}-{int(time.time())}"
    for name, value in scenario.get("priorityClasses", {}).items():
        # A class is its value, or {"value": V, "preemptionPolicy": P}.
        spec = value if isinstance(value, dict) else {"value": value}
        if api.call("GET", f"/apis/scheduling.k8s.io/v1/priorityclasses/{name}", ok404=True) is None:
            api.call("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", dict(
                spec, apiVersion="scheduling.k8s.io/v1", kind="PriorityClass",
                metadata={"name": name}))
    leftover = [n["metadata"]["name"] for n in api.call("GET", "/api/v1/nodes")["items"]]
    if leftover:
        raise SystemExit(f"the cluster must start without nodes; it has {leftover}")
    api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                            "metadata": {"name": ns}})
    wait_for(lambda: any(s["metadata"]["name"] == "default" for s in api.call(
        "GET", f"/api/v1/namespaces/{ns}/serviceaccounts")["items"]), 30, "service account")
    for svc in scenario.get("services", []):
        # A Service selecting an app's pods makes the default topology spread apply to them,
        # as for pods a ReplicaSet owns.
        api.call("POST", f"/api/v1/namespaces/{ns}/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": svc["name"]},
            "spec": {"selector": svc["selector"], "ports": [{"port": 80}]}})
    outcomes, uids = [], {}
    try:
        for n in nodes:
            create_node(api, n)
        time.sleep(1.0)  # the scheduler's informers see every node before the first pod
        for step in scenario["steps"]:
            if "delete" in step:
                delete_pod(api, ns, step["delete"])
                continue
            o = run_pod(api, ns, log, step, uids)
            print(f"  {o['pod']}: {o['node'] or o['unschedulable_message']}", file=sys.stderr)
            outcomes.append(o)
    finally:
        cleanup(api, ns, nodes)
    return {"run": run, "namespace": ns, "outcome": outcomes}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--scheduler-log", required=True, help="kube-scheduler's -v=10 log")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("scenario")
    ap.add_argument("out")
    a = ap.parse_args()
    api = Api(a.kubeconfig)
    scenario = json.load(open(a.scenario))
    version = api.call("GET", "/version")["gitVersion"]
    runs = []
    for run in range(a.runs):
        print(f"{scenario['name']}: run {run}", file=sys.stderr)
        runs.append(record(api, scenario, a.scheduler_log, run))
    fixture = {
        "scenario": scenario["name"],
        "description": scenario.get("description", ""),
        "meta": {"apiserver_version": version,
                 "profile": "default-scheduler, built-in defaults",
                 "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "priorityClasses": scenario.get("priorityClasses", {}),
        "services": scenario.get("services", []),
        "nodes": expand_nodes(scenario),
        "steps": scenario["steps"],
        "runs": runs,
        "outcomes_all_runs": [[o["node"] for o in r["outcome"]] for r in runs],
    }
    with open(a.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
