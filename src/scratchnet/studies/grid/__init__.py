"""The generic grid study: a grid of trainings defined by a TOML file alone.

:mod:`~scratchnet.studies.grid.config` reads and checks the file, :mod:`~scratchnet.studies.
grid.study` runs its cells, :mod:`~scratchnet.studies.grid.summary` writes its table and
figures. ``configs/grid_weight_decay.toml`` is an example.
"""
