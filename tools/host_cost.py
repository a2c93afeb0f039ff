#!/usr/bin/env python3
"""KubeRack's CPU in the real VCV Rack 2 engine, as a paired ratio to one Fundamental VCO.

  host_cost.py --rack-local PATH [--dir DIR] [--patches-only] [--only WHAT,...]

Writes the measured patches into DIR/patches (the hub alone; the hub with 16 of each member
type, every member's API input cabled from the hub's API output; INGRESS alone), builds the
plugin against the Rack SDK that `rack-local setup DIR/rack` unpacks, installs it into the
scratch user folder DIR/user, runs `rack-local cpu` on those patches plus patches/demo.vcv and
patches/forge.vcv, and prints one table: per module type, ns per sample and the ratio to one
VCO, median (range) over the reps, each rep paired with its own references.

KUBERACK_CLI names a built `kuberack` to read the descriptors from (default: cargo run).
--only measures a subset: model slugs (Node, Deployment, ...; a member's row needs the hub's,
which is always run), `demo` and `forge`.

REPS, WARMUP and WINDOW pass through to rack-local (defaults here: 5, 3 and 4 s, about
14 minutes for the 15 patches and rack-local's 3 references). Python standard library only.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_SLUG = "KubeRack"
MEMBERS_PER_PATCH = 16
# Rack's rows are 380 px; a patch row holds any number of modules side by side.
ROW_LIMIT_HP = 200


def models():
    """The module descriptors, from `kuberack models --json` (the binary KUBERACK_CLI names,
    else cargo's)."""
    cli = os.environ.get("KUBERACK_CLI")
    cmd = [cli] if cli else ["cargo", "run", "-q", "-p", "kuberack-cli", "--"]
    out = subprocess.run(cmd + ["models", "--json"],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def port_index(ports, port_id):
    for i, p in enumerate(ports):
        if p["id"] == port_id:
            return i
    return None


class Patch:
    """A Rack 2 patch as plain JSON: Rack loads a .vcv holding JSON text as it loads an archive."""

    def __init__(self, version):
        self.version = version
        self.modules = []
        self.cables = []
        self.x = 0
        self.row = 0

    def add(self, model):
        if self.x + model["hp"] > ROW_LIMIT_HP:
            self.x, self.row = 0, self.row + 1
        mid = len(self.modules) + 1
        self.modules.append({
            "id": mid, "plugin": PLUGIN_SLUG, "model": model["slug"], "version": self.version,
            "params": [{"id": i, "value": p["default"]} for i, p in enumerate(model["params"])],
            "pos": [self.x, self.row],
        })
        self.x += model["hp"]
        return mid

    def cable(self, out_module, out_port, in_module, in_port):
        self.cables.append({
            "id": len(self.cables) + 1, "outputModuleId": out_module, "outputId": out_port,
            "inputModuleId": in_module, "inputId": in_port, "color": "#f3374b",
        })

    def write(self, path):
        with open(path, "w") as f:
            json.dump({"version": "2.4.1", "zoom": 1.0, "modules": self.modules,
                       "cables": self.cables}, f, indent=1)


def write_patches(descriptors, version, out_dir):
    """(label, path, kind, slug) of every generated patch; kind is hub, members or alone."""
    os.makedirs(out_dir, exist_ok=True)
    by_slug = {m["slug"]: m for m in descriptors}
    hub = next(m for m in descriptors if m["role"] == "Hub")
    hub_api = port_index(hub["outputs"], "API")
    made = []

    p = Patch(version)
    p.add(hub)
    path = os.path.join(out_dir, "hub.vcv")
    p.write(path)
    made.append((hub["name"] + " hub alone", path, "hub", hub["slug"]))

    for m in descriptors:
        if m["role"] == "Hub":
            continue
        api = port_index(m["inputs"], "API")
        if api is None:
            p = Patch(version)
            p.add(m)
            path = os.path.join(out_dir, f"alone-{m['slug']}.vcv")
            p.write(path)
            made.append((m["name"] + " alone", path, "alone", m["slug"]))
            continue
        p = Patch(version)
        hub_id = p.add(hub)
        for _ in range(MEMBERS_PER_PATCH):
            p.cable(hub_id, hub_api, p.add(by_slug[m["slug"]]), api)
        path = os.path.join(out_dir, f"hub16-{m['slug']}.vcv")
        p.write(path)
        made.append((m["name"], path, "members", m["slug"]))
    return made


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def setup_rack(rack_local, rack_dir):
    out = run([rack_local, "setup", rack_dir], capture_output=True, text=True).stdout
    sdk = re.search(r"^RACK_DIR=(.+)$", out, re.M)
    if not sdk:
        sys.exit(f"host-cost: rack-local setup printed no RACK_DIR:\n{out}")
    return sdk.group(1).strip()


def install_plugin(sdk, user_dir):
    run(["make", "-C", REPO, "dist", f"RACK_DIR={sdk}"])
    dist = os.path.join(REPO, "plugin", "dist")
    packages = [f for f in os.listdir(dist) if f.endswith(".vcvplugin")]
    if len(packages) != 1:
        sys.exit(f"host-cost: expected one .vcvplugin in {dist}, found {packages}")
    plugins = os.path.join(user_dir, "plugins-lin-x64")
    os.makedirs(plugins, exist_ok=True)
    shutil.rmtree(os.path.join(plugins, PLUGIN_SLUG), ignore_errors=True)
    shutil.copy(os.path.join(dist, packages[0]), plugins)


def per_rep(output):
    """{label: {rep: ns per frame}} from rack-local cpu's per-run lines."""
    runs = {}
    for m in re.finditer(r"^\s*rep (\d+) (.+?)\s+([0-9.]+) ns/frame", output, re.M):
        runs.setdefault(m.group(2).strip(), {})[int(m.group(1))] = float(m.group(3))
    return runs


def summary(values):
    return statistics.median(values), min(values), max(values)


def table(runs, rows):
    """The issue's table: per row, net ns per sample and the ratio to one VCO."""
    probe, vco16 = runs.get("ref: probe only", {}), runs.get("ref: 16 VCO", {})
    reps = sorted(set(probe) & set(vco16))
    vco = {r: (vco16[r] - probe[r]) / 16 for r in reps}
    lines = ["| what | ns per sample, median (range) | VCO ratio, median (range) |",
             "|---|---|---|"]

    def line(name, net):
        ok = [r for r in reps if net(r) is not None]
        if not ok:
            lines.append(f"| {name} | did not run | — |")
            return
        ns = summary([net(r) for r in ok])
        ratio = summary([net(r) / vco[r] for r in ok])
        lines.append(f"| {name} | {ns[0]:.0f} ({ns[1]:.0f}–{ns[2]:.0f}) | "
                     f"{ratio[0]:.2f} ({ratio[1]:.2f}–{ratio[2]:.2f}) |")

    def net_of(label, minus=None, per=1):
        def f(r):
            total = runs.get(label, {}).get(r)
            base = probe.get(r) if minus is None else runs.get(minus, {}).get(r)
            if total is None or base is None:
                return None
            return (total - base) / per
        return f

    line("1 Fundamental VCO", lambda r: vco[r])
    line("1 Fundamental LFO (sanity: about 0.75)", net_of("ref: 16 LFO", per=16))
    hub_label = next(os.path.basename(p) for _, p, k, _ in rows if k == "hub")
    for name, path, kind, _ in rows:
        label = os.path.basename(path)
        if kind == "members":
            line(f"one {name} member, (hub + 16 − hub) / 16",
                 net_of(label, minus=hub_label, per=MEMBERS_PER_PATCH))
        else:
            line(name, net_of(label))
    return "\n".join(lines), len(reps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rack-local", required=True, help="path of the rack-local script")
    ap.add_argument("--dir", default="/tmp/kuberack-host-cost", help="scratch folder")
    ap.add_argument("--patches-only", action="store_true",
                    help="write the patches into DIR/patches and stop")
    ap.add_argument("--only", default="",
                    help="comma-separated model slugs, demo, forge: measure only these "
                         "(and the hub alone)")
    a = ap.parse_args()
    work = os.path.abspath(a.dir)
    descriptors = models()
    version = json.load(open(os.path.join(REPO, "plugin", "plugin.json")))["version"]
    rows = write_patches(descriptors, version, os.path.join(work, "patches"))
    for name, path in (("patches/demo.vcv", "demo.vcv"), ("patches/forge.vcv", "forge.vcv")):
        rows.append((name, os.path.join(REPO, "patches", path), "alone", None))
    if a.only:
        wanted = {w.strip().lower() for w in a.only.split(",") if w.strip()}
        known = {(slug or os.path.basename(path)[:-4]).lower() for _, path, _, slug in rows}
        unknown = wanted - known
        if unknown:
            sys.exit(f"host-cost: --only names no patch: {', '.join(sorted(unknown))} "
                     f"(known: {', '.join(sorted(known))})")
        rows = [r for r in rows if r[2] == "hub"
                or (r[3] or os.path.basename(r[1])[:-4]).lower() in wanted]
    if a.patches_only:
        for name, path, _, _ in rows:
            print(f"{name}: {path}")
        return
    os.environ.setdefault("REPS", "5")
    os.environ.setdefault("WARMUP", "3")
    os.environ.setdefault("WINDOW", "4")
    sdk = setup_rack(a.rack_local, os.path.join(work, "rack"))
    user = os.path.join(work, "user")
    install_plugin(sdk, user)
    cmd = [a.rack_local, "cpu", os.path.join(work, "rack"), user] + [p for _, p, _, _ in rows]
    print("+ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    output = []
    for text in proc.stdout:
        sys.stdout.write(text)
        output.append(text)
    if proc.wait() != 0:
        sys.exit(f"host-cost: rack-local cpu failed (status {proc.returncode})")
    result, reps = table(per_rep("".join(output)), rows)
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []
    print()
    print(f"KubeRack in VCV Rack 2.4.1, 48 kHz, one engine thread; {reps} reps "
          f"(REPS={os.environ['REPS']} WARMUP={os.environ['WARMUP']} WINDOW={os.environ['WINDOW']}); "
          f"load average after: {' '.join(load)}")
    print(result)


if __name__ == "__main__":
    main()
