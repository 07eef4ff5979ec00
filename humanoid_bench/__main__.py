"""``python -m humanoid_bench`` = ``humanoid-bench``."""

from humanoid_bench.cli import main

if __name__ == "__main__":
    main()
