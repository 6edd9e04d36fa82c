"""Argument types for output files, checked when the command line is parsed, before any work."""

from __future__ import annotations

import argparse


def image_path(text: str) -> str:
    """An image file name whose suffix matplotlib can write (``.png``, ``.pdf``, ``.svg``...)."""
    from scratchnet.fileio import image_format

    try:
        image_format(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
