#!/usr/bin/env python3
"""What-if: ringmark's classifier plus Matomo's device-model table, on the dev corpus.

The four accuracy targets issue 3 still misses (overall, tablet recall and precision, smartphone precision)
come down to Android tablets and TV boxes whose UA says nothing but a white-label model code
(device-detection.md §6: 19 % of Android tablets send "Mobile"). Only a table of model codes separates
those. The one open table is Matomo's device database (LGPL-3.0-or-later), which is also where the corpus
labels come from, so this script measures what adopting it would buy before anyone decides to.

Round 8 adopted the table in its shippable form: `data/device-models/device-models.tsv`, the literal model codes
of Matomo's patterns with Matomo's own answer for each, loaded beside the module (no regex engine, LGPL data kept
out of the wasm); `make conformance` measures it. This script still measures the whole Matomo engine in the same
role (patterns, not literals), the ceiling that table approaches: 0.9854 overall against the table's 0.9840.

Nothing in `make test` runs it. It needs the Python port of Matomo's detector, from PyPI:

    python3 -m pip install --target /tmp/dd device_detector==6.5.1
    cargo build --release
    PYTHONPATH=/tmp/dd python3 bench/classify/model_table_whatif.py ../shared/corpus/ua-dev.tsv

"ours" is `ringmark classify` as shipped (scored like `make conformance`: a machine opener of unknown device
counts as bot). "ours + table" keeps every answer except on Android UAs that ringmark calls a phone, tablet
or TV, where Matomo's answer (smartphone/phablet, tablet, tv) replaces it. Halves are `conformance --split`'s.
Takes about 5 minutes (the Python detector parses ~75 UAs/s).
"""

import json
import subprocess
import sys

from device_detector import DeviceDetector

TABLE = {"smartphone": "smartphone", "phablet": "smartphone", "tablet": "tablet", "tv": "tv"}


def half(ua: str) -> str:
    """`conformance --split`: the low bit of the UA's FNV-1a hash."""
    h = 0xCBF29CE484222325
    for b in ua.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "AB"[h & 1]


def unescape(ua: str) -> str:
    return ua.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")


def score(rows, preds):
    ok = sum(p == r["truth"] for r, p in zip(rows, preds))
    other = [(r, p) for r, p in zip(rows, preds) if not r["source"].startswith("matomo")]

    def rate(num, den):
        return num / den if den else float("nan")

    tab_tp = sum(p == "tablet" == r["truth"] for r, p in zip(rows, preds))
    sm_tp = sum(p == "smartphone" == r["truth"] for r, p in zip(rows, preds))
    tv_tp = sum(p == "tv" == r["truth"] for r, p in zip(rows, preds))
    return {
        "overall": rate(ok, len(rows)),
        "non-matomo": rate(sum(p == r["truth"] for r, p in other), len(other)),
        "tablet recall": rate(tab_tp, sum(r["truth"] == "tablet" for r in rows)),
        "tablet precision": rate(tab_tp, sum(p == "tablet" for p in preds)),
        "smartphone precision": rate(sm_tp, sum(p == "smartphone" for p in preds)),
        "tv recall": rate(tv_tp, sum(r["truth"] == "tv" for r in rows)),
    }


def main() -> None:
    corpus = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/ua-dev.tsv"
    rows = []
    with open(corpus, encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            rows.append(
                {
                    "truth": cols[0],
                    "ua": unescape(cols[1]),
                    "source": cols[2],
                    "headers": cols[3] if len(cols) > 3 and cols[3] else "{}",
                }
            )
    stdin = "".join(f"{r['ua'].replace(chr(10), ' ')}\t{r['headers']}\n" for r in rows)
    out = subprocess.run(
        ["target/release/ringmark", "classify"], input=stdin.encode(), capture_output=True, check=True
    ).stdout.decode().splitlines()
    assert len(out) == len(rows), (len(out), len(rows))
    ours = []
    for line in out:
        c = json.loads(line)
        ours.append("bot" if c["machine"] and c["device"] == "unknown" else c["device"])

    with_table, consulted, changed = [], 0, 0
    for r, p in zip(rows, ours):
        if p in ("smartphone", "tablet", "tv") and "android" in r["ua"].lower():
            consulted += 1
            t = TABLE.get(DeviceDetector(r["ua"]).parse().device_type() or "", p)
            changed += t != p
            with_table.append(t)
        else:
            with_table.append(p)

    print(f"{len(rows)} rows; table consulted on {consulted}, changed {changed}")
    for name in ("all", "A", "B"):
        idx = [i for i, r in enumerate(rows) if name == "all" or half(r["ua"]) == name]
        sub = [rows[i] for i in idx]
        a = score(sub, [ours[i] for i in idx])
        b = score(sub, [with_table[i] for i in idx])
        print(f"== {name} ({len(sub)} rows)        ours   ours + table")
        for k in a:
            print(f"  {k:<22} {a[k]:.4f}   {b[k]:.4f}")
    changed_rows = [
        (r["truth"], p, t, r["ua"][:100])
        for r, p, t in zip(rows, ours, with_table)
        if not r["source"].startswith("matomo") and p != t
    ]
    print("non-Matomo rows the table changes (truth, ours, table):")
    for row in changed_rows:
        print("  ", *row)


if __name__ == "__main__":
    main()
