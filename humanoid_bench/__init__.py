"""humanoid_bench: simulation and evaluation harness for humanoid robots on factory tasks.

Importing the package registers the Gymnasium ids under the ``humanoid_bench/`` namespace. It
imports neither torch nor stable-baselines3, and not even pybullet: envs are created lazily.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Gymnasium id -> (entry point, task config name)
TASKS: dict[str, tuple[str, str]] = {
    "humanoid_bench/PartPicking-v0": ("humanoid_bench.envs.part_picking:PartPickingEnv", "part_picking"),
    "humanoid_bench/Carrying-v0": ("humanoid_bench.envs.carrying:CarryingEnv", "carrying"),
    "humanoid_bench/MachineTending-v0": ("humanoid_bench.envs.machine_tending:MachineTendingEnv", "machine_tending"),
    "humanoid_bench/ConveyorSorting-v0": ("humanoid_bench.envs.conveyor_sorting:ConveyorSortingEnv", "conveyor_sorting"),
    "humanoid_bench/Palletizing-v0": ("humanoid_bench.envs.palletizing:PalletizingEnv", "palletizing"),
    "humanoid_bench/ShelfRestocking-v0": ("humanoid_bench.envs.shelf_restocking:ShelfRestockingEnv", "shelf_restocking"),
}


def _register() -> None:
    import gymnasium as gym

    for env_id, (entry_point, _) in TASKS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, disable_env_checker=False)


_register()
