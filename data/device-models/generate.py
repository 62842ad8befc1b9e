#!/usr/bin/env python3
"""Generates device-models.tsv: Android model codes and the device class Matomo's device database gives them.

Why a table at all: 19 % of Android tablets send "Mobile" and many TV boxes omit it, and nothing but the
model code tells them from phones (shared/research/device-detection.md §6). Matomo's device-detector keeps the
one open database of model codes with a device type. It is a list of PCRE patterns, which would need a regex
engine in the module (+312 KB gzipped, ~30 ms on first use), so this script turns it into literal model codes
offline:

1. **Candidates.** Every device pattern (brand and model level) is parsed with Python's own regex parser and
   expanded into the finite strings it spells out (`TZ(?:1(?:0[04]|42))` → `TZ100`, `TZ104`, `TZ142`): literal
   text, alternations, small character classes (`[ _]`, `[0-9]` up to 13 members), bounded repeats. A path that
   meets an open-ended construct (`\\d+`, `[^;/]+`, `.*`) is dropped, not guessed; `[);/ ]` and `$` end a model.
2. **Labels.** Each candidate is put into a canonical Android UA and classified the way Matomo does it (first
   matching brand pattern in file order, then its first matching model pattern; the model's type, else the
   brand's; then Matomo's own rule for Android, "all detected feature phones running Android are more likely a
   smartphone"). So a code's class is what Matomo itself answers for that code in an Android UA, whichever
   pattern produced it; the classifier consults the table for Android UAs only.
3. **Output.** Codes Matomo recognises, lower-cased and sorted, with ringmark's class name.

The source is the `regexes/upstream/device/*.yml` files of PyPI's `device_detector` (the Python port, which
bundles Matomo's YAML unchanged), read from the wheel without installing it. The output is derived from
Matomo's data and so is LGPL-3.0-or-later (COPYING.LESSER); it stays a separate file that the Worker and
browsers load at run time, out of the MIT/Apache-2.0 wasm module. See README.md.

    make device-models            # venv with PyYAML, downloads the wheel, writes device-models.tsv (~5 min)
    python3 generate.py --wheel device_detector-6.5.1-py3-none-any.whl --out device-models.tsv
"""

import argparse
import io
import multiprocessing
import re
import sys
import zipfile
from re import _constants as C  # noqa: N812  (the stdlib's own regex parser: the only full PCRE-ish parser here)
from re import _parser as P  # noqa: N812

import yaml

SOURCE = "device_detector==6.5.1"
DEVICE_DIR = "device_detector/regexes/upstream/device/"
# Matomo's device parsers in DeviceDetector's order, as far as an Android UA reaches them (the HbbTV, shell-TV
# and notebook parsers need tokens an Android browser UA does not carry), with each file's default type.
FILES = [
    ("consoles.yml", "console"),
    ("car_browsers.yml", "car browser"),
    ("cameras.yml", "camera"),
    ("portable_media_player.yml", "portable media player"),
    ("mobiles.yml", None),
]
# Matomo's device type → ringmark's DeviceClass name.
CLASSES = {
    "smartphone": "smartphone",
    "phablet": "smartphone",
    "tablet": "tablet",
    "desktop": "desktop",
    "feature phone": "featurephone",
    "tv": "tv",
    "console": "console",
    "car browser": "other",
    "camera": "other",
    "peripheral": "other",
    "portable media player": "other",
    "smart display": "other",
    "smart speaker": "other",
    "wearable": "other",
}
# Matomo wraps every device pattern so that it starts at a token boundary (DeviceParserAbstract).
WRAP = r"(?:^|[^A-Z0-9\-_]|[^A-Z0-9\-]_|sprd-|MZ-)(?:%s)"
# The canonical UA a candidate is labelled in: a Chrome WebView on Android 10, no Mobile/Tablet marker.
CANONICAL = "Mozilla/5.0 (Linux; Android 10; {} Build/QP1A.190711.020; wv) AppleWebKit/537.36"
# Expansion limits: members of a character class, and strings per pattern (beyond which the pattern is an
# open-ended family, not a list of models).
MAX_CLASS = 13
MAX_STRINGS = 4000
# Words the UA model parser skips or that are no model (a table entry for them would match unrelated UAs).
NOT_MODELS = {"android", "linux", "mobile", "tablet", "build", "wv", "u", "k"}


class Open(Exception):
    """The pattern spells out more than MAX_STRINGS strings: a family of codes, not a list of models."""


def expand(items, heads):
    """Expands parsed regex `items` after each string of `heads`: returns (done, open_heads), where `done` are
    strings that ended at a model boundary and `open_heads` are strings still being spelled out."""
    done = set()
    live = set(heads)
    for op, av in items:
        if not live:
            break
        if op is C.LITERAL:
            ch = chr(av).lower()
            if ch in ";)":
                done |= live
                live = set()
            else:
                live = {s + ch for s in live}
        elif op is C.IN:
            chars = char_class(av)
            if chars is None:
                live = set()
            elif chars & set(");"):
                done |= live  # `[);/ ]`: the model ends here
                live = set()
            else:
                live = {s + c for s in live for c in chars}
        elif op is C.BRANCH:
            out = set()
            for alt in av[1]:
                d, o = expand(list(alt), live)
                done |= d
                out |= o
            live = out
        elif op is C.SUBPATTERN:
            d, live = expand(list(av[3]), live)
            done |= d
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, body = av
            if hi is C.MAXREPEAT or hi - lo > 3:
                live = set()
                continue
            cur, acc = live, set()
            for i in range(hi + 1):
                if i >= lo:
                    acc |= cur
                if i == hi:
                    break
                d, cur = expand(list(body), cur)
                done |= d
            live = acc
        elif op is C.AT:
            if av in (C.AT_END, C.AT_END_STRING):
                done |= live
                live = set()
            # `^` and `\b` consume nothing
        else:
            live = set()  # `.`, `\d`, negated literals, lookarounds, back-references: open-ended
        if len(live) + len(done) > MAX_STRINGS:
            raise Open
    return done, live


def char_class(av):
    """The lower-cased members of a character class, or None when it is negated, a category, or large."""
    chars = set()
    for op, a in av:
        if op is C.LITERAL:
            chars.add(chr(a).lower())
        elif op is C.RANGE and a[1] - a[0] < MAX_CLASS:
            chars.update(chr(c).lower() for c in range(a[0], a[1] + 1))
        else:
            return None
    return chars if len(chars) <= MAX_CLASS else None


def candidates(pattern):
    """The model codes a pattern spells out (lower-cased), or an empty set when it spells out none."""
    try:
        tree = P.parse(pattern, re.IGNORECASE)
        done, live = expand(list(tree), {""})
    except (re.error, Open, RecursionError):
        return set()
    out = set()
    for s in done | live:
        s = s.split(" build")[0].strip()  # `<model> Build/…`
        if len(s) >= 2 and s[0].isalnum() and s not in NOT_MODELS and "android " not in s:
            out.add(s)
    return out


class Matomo:
    """Matomo's device lookup over the YAML: brands in file order, then each brand's models in order."""

    def __init__(self, files):
        self.brands = []
        self.skipped = 0
        for name, default in FILES:
            for brand in yaml.safe_load(files[name]).values():
                try:
                    brand_rx = re.compile(WRAP % brand["regex"], re.IGNORECASE)
                except re.error:
                    self.skipped += 1
                    continue
                models = []
                for m in brand.get("models") or []:
                    try:
                        models.append((re.compile(WRAP % m["regex"], re.IGNORECASE), m.get("device")))
                    except re.error:
                        self.skipped += 1
                patterns = [brand["regex"]] + [m["regex"] for m in brand.get("models") or []]
                self.brands.append((brand_rx, brand.get("device") or default, models, patterns))

    def device_type(self, model):
        ua = CANONICAL.format(model)
        for brand_rx, brand_type, models, _ in self.brands:
            if brand_rx.search(ua):
                found = next((t for rx, t in models if rx.search(ua)), None) or brand_type
                # Matomo's Device parser: "All detected feature phones running Android are more likely a
                # smartphone" (check_android_device in the Python port, DeviceDetector::parseDevice upstream).
                return "smartphone" if found == "feature phone" else found
        return None


MATOMO = None


def label(code):
    return MATOMO.device_type(code)


def main():
    global MATOMO
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheel", required=True, help=f"the {SOURCE} wheel (pip download --no-deps)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with zipfile.ZipFile(args.wheel) as z:
        files = {name: z.read(DEVICE_DIR + name).decode("utf-8") for name, _ in FILES}
    MATOMO = Matomo(files)
    codes = set()
    for _, _, _, patterns in MATOMO.brands:
        for pattern in patterns:
            codes |= candidates(pattern)
    codes = sorted(codes)
    # fork start: the workers inherit MATOMO's compiled patterns.
    with multiprocessing.get_context("fork").Pool() as pool:
        types = pool.map(label, codes, chunksize=500)
    rows = [(code, CLASSES[t]) for code, t in zip(codes, types) if t in CLASSES]

    counts = {}
    for _, cls in rows:
        counts[cls] = counts.get(cls, 0) + 1
    out = io.StringIO()
    out.write(
        "# ringmark device-model table: Android model code<TAB>device class (one per line; codes compare\n"
        "# case-insensitively; lines starting with '#' are comments).\n"
        f"# Generated by data/device-models/generate.py from Matomo device-detector's device database as bundled\n"
        f"# in PyPI {SOURCE}. LGPL-3.0-or-later (see COPYING.LESSER and README.md in this folder).\n"
        f"# {len(rows)} codes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + "\n"
    )
    for code, cls in rows:
        out.write(f"{code}\t{cls}\n")
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(out.getvalue())
    print(
        f"device-models: {len(codes)} candidates, {len(rows)} recognised by Matomo "
        f"({MATOMO.skipped} patterns Python's re cannot compile were skipped) -> {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
