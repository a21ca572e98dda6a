"""Wall time per notebook and in total for each profile, from the summaries ``rclib reproduce`` writes.

    python benchmarks/bench_reproduce.py            # print results/<profile>/reproduce_summary.csv
    python benchmarks/bench_reproduce.py --record   # keep the measurements: rclib/paper/precomputed/notebook_times.csv
                                                    # (read by the notebooks' set-up cell and the README) and the
                                                    # demo's claims, benchmarks/results/demo_claims.csv
    python benchmarks/bench_reproduce.py --record --root CLONE   # the same, from a fresh clone's rebuild
    python benchmarks/bench_reproduce.py --record --claims-only   # the claims alone, when the rebuild's times do not
                                                                  # count (other jobs shared the machine)

Record only after a cold rebuild (``make clean-results reproduce``): a warm cache makes notebooks look fast.
"""

from __future__ import annotations

import argparse
import platform
import shutil
from pathlib import Path

import pandas as pd
import psutil

from rclib.paper.plan import plan_signature

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
PRECOMPUTED = ROOT / "rclib" / "paper" / "precomputed"  # shipped with the package: the set-up cells print it
PROFILES = ("smoke", "demo")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{psutil.cpu_count(logical=True)}-core {cpu} CPU, {round(psutil.virtual_memory().total / 2**30)} GiB"


def summary(profile: str, root: Path = ROOT) -> pd.DataFrame | None:
    path = root / "results" / profile / "reproduce_summary.csv"
    return pd.read_csv(path, keep_default_na=False) if path.exists() else None


def record_claims(root: Path = ROOT) -> None:
    shutil.copy(root / "results" / "demo" / "claims.csv", OUT / "demo_claims.csv")
    print(f"written {OUT / 'demo_claims.csv'}")


def record(root: Path = ROOT) -> None:
    times = {}
    for profile in PROFILES:
        table = summary(profile, root)
        if table is None:
            raise SystemExit(f"no summary for {profile}: run `rclib reproduce --profile {profile}` first")
        times[f"{profile}_s"] = table.set_index("notebook").seconds
    frame = pd.DataFrame(times).rename_axis("notebook").reset_index().assign(machine=machine(), plan=plan_signature())
    frame.to_csv(PRECOMPUTED / "notebook_times.csv", index=False)
    print(frame.to_string(index=False))
    print(f"written {PRECOMPUTED / 'notebook_times.csv'}")
    record_claims(root)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose results/ to read")
    parser.add_argument("--claims-only", action="store_true", help="with --record: the demo's claims, not the times")
    args = parser.parse_args()
    if args.record:
        (record_claims if args.claims_only else record)(args.root)
    else:
        for profile in PROFILES:
            table = summary(profile, args.root)
            print(f"== {profile} ==")
            print("no summary yet (`make reproduce`)" if table is None else table.to_string(index=False))
