"""What the paper profile's grid costs: per table, its jobs, their training FLOPs (counted on PyTorch's meta
device) and the GPU hours they take at an assumed sustained throughput. Writes
``benchmarks/results/grid_cost.csv``, from which the README's cost table is generated.

    python benchmarks/grid_cost.py --tflops 20
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rclib.paper.grid import TABLES, estimate, expand

from rclib.paper.profiles import get_profile

OUT = Path(__file__).resolve().parent / "results" / "grid_cost.csv"


def cost(tables: tuple[str, ...], tflops: float) -> dict:
    jobs = expand(get_profile("paper"), tables=tables)
    table = estimate(jobs, tflops)
    return {
        "tables": " ".join(tables),
        "jobs": len(jobs),
        "PFLOP": table.PFLOP.sum(),
        "gpu_hours": table.gpu_hours.sum(),
        "assumed_tflops": tflops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tflops", type=float, default=20.0, help="assumed sustained TFLOP/s of one GPU")
    args = parser.parse_args()
    rows = [cost((name,), args.tflops) for name in TABLES]
    rows.append(cost(tuple(TABLES), args.tflops))  # runs shared by several tables count once
    frame = pd.DataFrame(rows)
    frame.to_csv(OUT, index=False, float_format="%.4g")
    print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
