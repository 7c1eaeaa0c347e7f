"""`python -m benchmarks`: run the benchmarks and print a table (minidl / PyTorch ratios)."""
import argparse
import platform

import numpy as np

from benchmarks import engine


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per case; the median is shown")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or 'unknown CPU'}, "
          f"Python {platform.python_version()}, NumPy {np.__version__}")
    rows = engine.run(args.repeats)
    has_torch = any("torch_s" in r for r in rows)
    if not has_torch:
        print("PyTorch is not installed: minidl alone (pip install torch for the comparison)")
    print(f"\n{'benchmark':<42} {'minidl':>11} {'PyTorch':>11} {'ratio':>7}")
    for r in rows:
        torch_s = r.get("torch_s")
        ratio = f"{r['minidl_s'] / torch_s:7.2f}" if torch_s else "      -"
        torch_cell = f"{torch_s * 1e3:9.3f}ms" if torch_s else "          -"
        print(f"{r['benchmark']:<42} {r['minidl_s'] * 1e3:9.3f}ms {torch_cell} {ratio}")


if __name__ == "__main__":
    main()
