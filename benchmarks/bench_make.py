"""Minutes per ``make`` target on a fresh clone, as a new user meets them: ``git clone`` of this repository's
last commit into a temporary folder, then each target in turn (the first one includes the set-up of ``.venv``).
Writes ``benchmarks/results/make_targets.csv``; the README's table is generated from it.

    python benchmarks/bench_make.py                                 # make test, make smoke, make reproduce
    python benchmarks/bench_make.py --targets test --keep /tmp/c    # keep the clone (its results/, build/); the
                                                                    # other targets' rows stay in the CSV

    python benchmarks/bench_make.py --recorded CLONE reproduce 95.2 0   # a target timed by hand in a fresh clone
                                                                    # (its first target there, set-up included)

Afterwards ``python benchmarks/bench_reproduce.py --record --root CLONE`` keeps the clone's per-notebook times
and claims.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_reproduce import machine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "make_targets.csv"


def run_targets(clone: Path, targets: list[str]) -> list[dict]:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
    rows = []
    for i, target in enumerate(targets):
        log = clone / f"make_{target}.log"
        t0 = time.perf_counter()
        with log.open("w") as out:
            rc = subprocess.run(["make", target], cwd=clone, stdout=out, stderr=subprocess.STDOUT).returncode
        minutes = (time.perf_counter() - t0) / 60
        rows.append(
            {
                "target": f"make {target}",
                "minutes": round(minutes, 1),
                "exit_code": rc,
                "includes_setup": i == 0,
                "commit": commit.stdout.strip(),
                "machine": machine(),
            }
        )
        print(f"make {target}: {minutes:.1f} min, exit code {rc} (log: {log})", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["test", "smoke", "reproduce"])
    parser.add_argument("--keep", type=Path, help="clone into this (new) folder and keep it")
    parser.add_argument(
        "--recorded",
        nargs=4,
        metavar=("CLONE", "TARGET", "MINUTES", "EXIT_CODE"),
        help="record a target already run in the fresh clone CLONE as its first target (nothing is run)",
    )
    args = parser.parse_args()
    if args.recorded:
        clone, target, minutes, rc = args.recorded
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
        rows = [
            {
                "target": f"make {target}",
                "minutes": round(float(minutes), 1),
                "exit_code": int(rc),
                "includes_setup": True,
                "commit": commit.stdout.strip(),
                "machine": machine(),
            }
        ]
    elif args.keep:
        rows = run_targets(args.keep, args.targets)
    else:
        with tempfile.TemporaryDirectory(prefix="rclib-clone-") as tmp:
            rows = run_targets(Path(tmp) / "rclib", args.targets)
    frame = pd.DataFrame(rows)
    if OUT.exists():  # targets not measured this time keep their rows (each row names its commit)
        kept = pd.read_csv(OUT)
        frame = pd.concat([kept[~kept.target.isin(frame.target)], frame], ignore_index=True)
    frame.to_csv(OUT, index=False)
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
