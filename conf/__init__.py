"""Data package: Hydra config groups (task/ robot/ policy/ runner/ ...)."""
