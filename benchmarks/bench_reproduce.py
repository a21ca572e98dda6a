"""Wall time per notebook and in total for a profile (``rclib reproduce`` writes the summary; this prints it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    for profile in sys.argv[1:] or ["smoke", "demo"]:
        path = ROOT / "results" / profile / "reproduce_summary.csv"
        if not path.exists():
            print(f"{profile}: no summary yet; run `rclib reproduce --profile {profile}` (or `make reproduce`)")
            continue
        print(f"== {profile} ==")
        print(pd.read_csv(path).to_string(index=False))
