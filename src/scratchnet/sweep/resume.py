"""Resuming a sweep folder whose config has changed: allowed when no finished cell's inputs did.

A study may say what one cell's result depends on, with an optional method
``cell_inputs(config, cell) -> dict`` (JSON-safe: data, engine, the cell's parameters, ...).
Then a config that changes only other keys (a title, a description, the figures or published
figures the report shows, a step added) resumes its folder and keeps every finished cell; the
folder's ``sweep.json`` and ``config.toml`` then hold the new config. A cell the new config no
longer lists keeps its folder on disk but leaves the results. For a study without
``cell_inputs``, and for any finished cell whose inputs changed, the engine refuses, naming the
differences, and touches nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scratchnet.errors import ConfigError
from scratchnet.sweep import cells

#: ``parse(table, where)``: the study and its parsed config, as the engine parses a config.
Parser = Callable[[Mapping[str, Any], str], tuple[Any, Any]]


def check_change(
    saved: dict, current: dict, root: Path, where: str, parse: Parser, differences: list[str]
) -> None:
    """Raise ConfigError unless every finished cell under ``root`` (a sweep's ``cells/``) has
    the same inputs under the ``current`` config table as under the ``saved`` one.

    ``differences`` (the changed keys, for the message) names what changed in the tables.
    """
    refusal = (
        f"{root.parent} holds a sweep made from a different config (differences: "
        f"{'; '.join(differences)})"
    )
    advice = f"; use another --out folder, or the config in {root.parent / 'sweep.json'}"
    study, config = parse(current, where)
    if not hasattr(study, "cell_inputs"):
        raise ConfigError(refusal + advice)
    try:
        _, old_config = parse(saved, str(root.parent / "sweep.json"))
    except ConfigError as error:
        unreadable = f"{refusal}, and its old config no longer reads ({error}){advice}"
        raise ConfigError(unreadable) from None
    changed = _changed_cells(study, old_config, config, root)
    if changed:
        raise ConfigError(f"{refusal}, and finished cells depend on them: {changed}{advice}")


def _changed_cells(study: Any, old_config: Any, config: Any, root: Path) -> str:
    """The finished cells whose inputs differ between the two configs, as text ('' if none)."""
    new_cells = {cell.key: cell for cell in study.cells(config)}
    changed = []
    for cell in study.cells(old_config):
        if cell.key not in new_cells or cells.state(root, cell.key) not in ("complete", "failed"):
            continue
        before = _canonical(study.cell_inputs(old_config, cell))
        after = _canonical(study.cell_inputs(config, new_cells[cell.key]))
        if before != after:
            changed.append(cell.key)
    return ", ".join(changed)


def _canonical(inputs: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(inputs, sort_keys=True, default=str))
