"""The studies: the original study's MNIST and Fashion-MNIST experiments, the generic grid
study a TOML file defines, the registry that names them, and the whole reproduction.

:mod:`~scratchnet.studies.registry` (names -> studies, and the sweep engine bound to them),
:mod:`~scratchnet.studies.mnist`, :mod:`~scratchnet.studies.fashion` (five studies over one
base class), :mod:`~scratchnet.studies.grid`, :mod:`~scratchnet.studies.reproduce`.
"""
