"""One training run: train one network, score it, and write its folder (``scratchnet train``
and every study's cells), plus a description of the machine that ran it."""
