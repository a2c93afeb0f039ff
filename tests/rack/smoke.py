#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Headless smoke test of the KubeRack plugin in a real VCV Rack 2 (python3 standard library).

  smoke.py --rack-local PATH --rack-dir SDK --package VCVPLUGIN --work DIR [--seconds N] PATCH...

Runs each patch as it is bundled (no master module removed) in a real Rack engine, headless,
through rack-local (`rack-local setup DIR` gives DIR/Rack2Free and DIR/Rack-SDK = --rack-dir),
with the plugin package and rack-local's frame-counting probe module installed in a fresh
user folder. A patch passes when Rack exits by itself, the engine processed at least a
quarter of the run's frames at 48 kHz, Rack created every KubeRack module of the patch, and
Rack's log holds no warning or error about KubeRack and no "Cannot load". Prints one line
per patch, then a `test result:` line in cargo's format, so `make test` counts the results;
exits non-zero when a patch failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

PLUGIN = "KubeRack"
SAMPLE_RATE = 48000
# Rack's log line: "[seconds level file:line function] message".
LOG_LINE = re.compile(r"^\[[0-9.]+ (debug|info|warn|fatal) [^\]]*\] (.*)$")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rack-local", required=True, help="the rack-local script")
    p.add_argument("--rack-dir", required=True, help="the Rack SDK unpacked by rack-local setup")
    p.add_argument("--package", required=True, help="the plugin's .vcvplugin")
    p.add_argument("--work", required=True, help="scratch folder (emptied first)")
    p.add_argument("--seconds", type=int, default=4, help="seconds each patch runs")
    p.add_argument("patches", nargs="+")
    return p.parse_args()


def build_probe(rack_local_dir, home, sdk):
    """rack-local's probe plugin, built once into DIR/probe-build as `rack-local cpu` does."""
    build = os.path.join(home, "probe-build")
    dist = os.path.join(build, "dist", "VcvCpuProbe")
    if os.path.exists(os.path.join(dist, "plugin.so")):
        return dist
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(os.path.join(rack_local_dir, "probe"), build)
    for folder, _, files in os.walk(build):  # a read-only source copies read-only
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    r = subprocess.run(["make", "-C", build, "dist", f"RACK_DIR={sdk}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit("rack smoke test: the probe plugin did not build")
    return dist


def read_log(path):
    """(level, message) of every line of a Rack log.txt."""
    try:
        with open(path, errors="replace") as f:
            return [m.groups() for m in map(LOG_LINE.match, f.read().splitlines()) if m]
    except OSError:
        return []


def probe_frames(path):
    """(frames, sample rate) of the probe log's last line, or (0, 0) without one."""
    try:
        with open(path) as f:
            rows = [line.split() for line in f if len(line.split()) >= 7]
    except OSError:
        return 0, 0.0
    return (int(rows[-1][0]), float(rows[-1][2])) if rows else (0, 0.0)


def run_patch(args, rack_local, home, userdir, work, patch):
    """Runs one patch; returns the list of its failures (empty: passed) and a summary."""
    name = os.path.basename(patch)
    copy = os.path.join(work, "patches", name)
    # The probe joins a copy of the patch; the master module, if any, is kept as bundled.
    d = rack_local.prepare(patch, copy, probe=True, drop=False)
    expected = sum(1 for m in d.get("modules", []) if m.get("plugin") == PLUGIN)
    runs = os.path.join(work, "runs")
    os.makedirs(runs, exist_ok=True)
    probe_log = os.path.join(runs, name + ".probe")
    log = os.path.join(userdir, "log.txt")
    # A log left by a killed run makes the next start ask about a crash: start clean.
    for stale in (probe_log, log):
        if os.path.exists(stale):
            os.remove(stale)
    env = dict(os.environ, VCVCPU_PROBE_LOG=probe_log, RUN_GRACE="30")
    with open(os.path.join(runs, name + ".rack-local"), "w") as out:
        rc = subprocess.run([args.rack_local, "run", home, userdir, copy, str(args.seconds)],
                            env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    if os.path.exists(log):
        shutil.copy(log, os.path.join(runs, name + ".log.txt"))
    lines = read_log(log)
    failures = []
    if rc != 0:
        failures.append(f"Rack exited with status {rc}")
    for level, message in lines:
        if level in ("warn", "fatal") and (PLUGIN in message or "Cannot load" in message):
            failures.append(f"log: {level} {message}")
    created = sum(1 for level, message in lines
                  if message.startswith(f"Creating module {PLUGIN} "))
    if created != expected:
        failures.append(f"Rack created {created} of the patch's {expected} {PLUGIN} modules")
    frames, rate = probe_frames(probe_log)
    floor = args.seconds * SAMPLE_RATE // 4
    if frames < floor:
        failures.append(f"the engine processed {frames} frames in {args.seconds} s "
                        f"(at least {floor} expected): it did not run")
    elif rate != SAMPLE_RATE:
        failures.append(f"the engine ran at {rate:g} Hz, not {SAMPLE_RATE} Hz")
    summary = (f"{created} {PLUGIN} modules created, {frames} engine frames in "
               f"{args.seconds} s, log in {os.path.join(runs, name + '.log.txt')}")
    return failures, summary


def main():
    args = parse_args()
    rack_local_path = os.path.abspath(args.rack_local)
    rack_local_dir = os.path.dirname(os.path.realpath(rack_local_path))
    sys.path.insert(0, rack_local_dir)
    import rack_local  # rack-local's helper: settings and patch copies with the probe

    args.rack_local = rack_local_path
    sdk = os.path.abspath(args.rack_dir)
    home = os.path.dirname(sdk)
    if not os.access(os.path.join(home, "Rack2Free", "Rack"), os.X_OK):
        raise SystemExit(f"rack smoke test: no Rack app beside {sdk} (run rack-local setup)")
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    userdir = os.path.join(work, "user")
    plugins = os.path.join(userdir, "plugins-lin-x64")
    os.makedirs(plugins)
    shutil.copy(args.package, plugins)
    shutil.copytree(build_probe(rack_local_dir, home, sdk), os.path.join(plugins, "VcvCpuProbe"))

    passed = failed = 0
    for patch in args.patches:
        failures, summary = run_patch(args, rack_local, home, userdir, work, patch)
        if failures:
            failed += 1
            print(f"rack smoke test {patch}: FAILED ({summary})")
            for failure in failures:
                print(f"    {failure}")
        else:
            passed += 1
            print(f"rack smoke test {patch}: ok ({summary})")
    verdict = "ok" if failed == 0 else "FAILED"
    print(f"test result: {verdict}. {passed} passed; {failed} failed; headless in a real Rack engine")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
