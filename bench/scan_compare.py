#!/usr/bin/env python3
"""Compare exhunt scan with nmap and WhatWeb on one emulated fleet (bench/scan.sh).

Prints hosts/s per tool, the speed ratio, accuracy against the fleet's ground
truth, and every host where a peer's Exchange detection or version disagrees
with exhunt's. Standard library only.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit


def load_jsonl(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def key(ip, port):
    return f"{ip}:{port}"


def agree(a, b):
    pa, pb = a.split("."), b.split(".")
    n = min(len(pa), len(pb))
    return pa[:n] == pb[:n]


def parse_nmap(path):
    res = {}
    root = ET.parse(path).getroot()
    for h in root.iter("host"):
        addr = h.find("address").get("addr")
        for p in h.iter("port"):
            port = p.get("portid")
            text = []
            for s in p.iter("script"):
                text.append(s.get("id") + ": " + (s.get("output") or ""))
            svc = p.find("service")
            if svc is not None:
                text.append("service: " + " ".join(filter(None, [svc.get("product"), svc.get("version"), svc.get("extrainfo")])))
                for c in svc.iter("cpe"):
                    text.append("cpe: " + (c.text or ""))
            blob = "\n".join(text)
            ex = bool(re.search(r"(?i)outlook|x-owa-version|x-feserver|exchange", blob))
            m = re.search(r"(?i)X-OWA-Version:\s*([0-9.]+)", blob)
            res[key(addr, port)] = {"exchange": ex, "version": m.group(1) if m else ""}
    return res


def parse_whatweb(path):
    res = {}
    try:
        text = open(path).read().strip()
    except FileNotFoundError:
        return res
    if not text:
        return res
    try:
        items = json.loads(text)
    except json.JSONDecodeError:  # some versions write one object per line
        items = [json.loads(l.rstrip(",")) for l in text.splitlines() if l.strip().startswith("{")]
    for it in items:
        if not isinstance(it, dict):
            continue
        u = urlsplit(it.get("target", ""))
        k = key(u.hostname, u.port or (443 if u.scheme == "https" else 80))
        plugins = it.get("plugins", {})
        owa = plugins.get("Outlook-Web-App")
        cur = res.setdefault(k, {"exchange": False, "version": ""})
        if owa is not None:
            cur["exchange"] = True
            v = owa.get("version") or []
            if v and not cur["version"]:
                cur["version"] = v[0]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--exhunt", required=True)
    ap.add_argument("--exhunt-secs", type=float, required=True)
    ap.add_argument("--exhunt-full")
    ap.add_argument("--exhunt-full-secs", type=float)
    ap.add_argument("--nmap")
    ap.add_argument("--nmap-secs", type=float)
    ap.add_argument("--whatweb")
    ap.add_argument("--whatweb-secs", type=float)
    a = ap.parse_args()

    truth = {t["addr"]: t for t in load_jsonl(a.truth)}
    ex = {key(r["ip"], r["port"]): r for r in load_jsonl(a.exhunt) if r.get("ip")}
    peers = {}
    if a.nmap:
        peers["nmap"] = (parse_nmap(a.nmap), a.nmap_secs)
    if a.whatweb:
        peers["whatweb"] = (parse_whatweb(a.whatweb), a.whatweb_secs)

    print(f"\n{'tool':<28}{'seconds':>10}{'hosts/s':>10}")
    rate = {"exhunt": a.hosts / a.exhunt_secs}
    print(f"{'exhunt scan':<28}{a.exhunt_secs:>10.1f}{rate['exhunt']:>10.1f}")
    if a.exhunt_full:
        print(f"{'exhunt scan --active --webshells':<28}{a.exhunt_full_secs:>10.1f}{a.hosts / a.exhunt_full_secs:>10.1f}")
    for name, (_, secs) in peers.items():
        rate[name] = a.hosts / secs
        print(f"{name:<28}{secs:>10.1f}{rate[name]:>10.1f}")
    if peers:
        fastest = max(peers, key=lambda n: rate[n])
        print(f"\nexhunt is {rate['exhunt'] / rate[fastest]:.1f}x the fastest peer ({fastest}); target >= 3x")

    # Accuracy against ground truth.
    tex = {k for k, t in truth.items() if t["kind"] == "exchange"}
    got = {k for k, r in ex.items() if r.get("exchange")}
    print(f"\nground truth: {len(truth)} hosts, {len(tex)} Exchange")
    print(f"exhunt: Exchange found {len(got & tex)}/{len(tex)}, false positives {len(got - tex)}, errors {sum(1 for r in ex.values() if r.get('error'))}")
    states = {}
    for k, r in ex.items():
        kind = "exchange" if truth.get(k, {}).get("kind") == "exchange" else "other"
        states.setdefault((kind, r.get("exchange_state") or "error"), []).append(r.get("requests", 0))
    for (kind, st), reqs in sorted(states.items()):
        print(f"exhunt: truth {kind:<8} exchange_state {st:<12} {len(reqs):>5} hosts, {sum(reqs) / len(reqs):.1f} requests per host")
    print(f"exhunt: {sum(r.get('requests', 0) for r in ex.values())} requests in all")
    hits = exact = cu_only = 0
    for k, t in truth.items():
        if t["kind"] != "exchange" or not t.get("build"):
            continue
        r = ex.get(k, {})
        if r.get("build") and agree(r["build"], t["build"]):
            hits += 1
            exact += r["build"] == t["build"]
            cu_only += r.get("build_precision") == "cu"
    print(f"exhunt: build consistent with truth on {hits}/{len(tex)} Exchange hosts "
          f"({exact} exact to the security update, {cu_only} 'CU known, security update unknown')")
    if a.exhunt_full:
        full = {key(r["ip"], r["port"]): r for r in load_jsonl(a.exhunt_full) if r.get("ip")}
        vuln = {k for k, t in truth.items() if t.get("ssrf")}
        conf = {k for k, r in full.items() if any(c["check"] == "CVE-2021-26855" and c["result"] == "vulnerable" for c in r.get("active", []))}
        shells = {k for k, t in truth.items() if t.get("webshells")}
        found = {k for k, r in full.items() if r.get("webshelled")}
        print(f"exhunt --active: CVE-2021-26855 confirmed {len(conf & vuln)}/{len(vuln)}, false positives {len(conf - vuln)}")
        print(f"exhunt --webshells: web-shelled {len(found & shells)}/{len(shells)}, false positives {len(found - shells)}")

    for name, (res, _) in peers.items():
        pex = {k for k, r in res.items() if r["exchange"]}
        print(f"\n{name}: Exchange found {len(pex & tex)}/{len(tex)}, false positives {len(pex - tex)}, "
              f"with a version {sum(1 for k in pex if res[k]['version'])}")
        missed = sorted(pex - got)
        print(f"  Exchange hosts {name} identifies that exhunt misses: {len(missed)}")
        for k in missed:
            print(f"    {k} truth={truth.get(k, {}).get('kind')} exhunt_error={ex.get(k, {}).get('error')!r}")
        only_ex = sorted(got - pex)
        print(f"  Exchange hosts exhunt identifies that {name} misses: {len(only_ex)}")
        for k in only_ex[:20]:
            print(f"    {k} truth={truth.get(k, {}).get('kind')} build={ex[k].get('build')}")
        if len(only_ex) > 20:
            print(f"    ... and {len(only_ex) - 20} more")
        dis = []
        for k in sorted(pex & got):
            pv, ev = res[k]["version"], ex[k].get("build", "")
            if pv and (not ev or not agree(pv, ev)):
                dis.append(f"    {k} {name}={pv} exhunt={ev or '-'} truth={truth.get(k, {}).get('build')}")
        print(f"  version disagreements: {len(dis)}")
        print("\n".join(dis))
        more = sum(1 for k in pex & got if not res[k]["version"] and ex[k].get("build"))
        print(f"  hosts where only exhunt reads a build: {more}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
