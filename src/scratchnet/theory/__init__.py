"""Section A of the original study, exactly: a backpropagation trace, a linear SVM solved from
its dual, and the margins of a given hyperplane, each comparable with a student's (or the
original's) answers.

Import the modules directly; nothing heavy is imported here::

    from scratchnet.theory import backprop, hyperplane, original, svm
"""

from __future__ import annotations
