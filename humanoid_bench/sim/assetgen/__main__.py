"""Regenerate the reference robot models into the package's assets folder.

    python -m humanoid_bench.sim.assetgen [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from humanoid_bench.paths import assets_dir
from humanoid_bench.sim.assetgen import generate_all

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else assets_dir() / "robots"
    for path in generate_all(out):
        print(path)
