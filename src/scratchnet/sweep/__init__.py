"""The sweep engine: run every cell of a study's grid once, resumably, here or on Dask.

:mod:`~scratchnet.sweep.engine` (the run, the Study protocol), :mod:`~scratchnet.sweep.cells`
(cell folders, locks), :mod:`~scratchnet.sweep.backends` (loky, Dask),
:mod:`~scratchnet.sweep.progress`, :mod:`~scratchnet.sweep.tables`,
:mod:`~scratchnet.sweep.figures` and :mod:`~scratchnet.views` (what a study shows in the
report). It imports no study: callers pass a lookup from study names to studies.
"""
