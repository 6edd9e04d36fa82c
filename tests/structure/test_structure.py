"""The package's shape, checked from its source: no import circle, the sweep engine knows no
study, the report reads files only, and no function is over 50 lines."""

from codewalk import cycles, functions, import_graph, modules

#: Lines of a function, from its ``def`` to its last line, docstring included.
MAX_LINES = 50

#: Functions allowed over MAX_LINES for now, by name (none).
LONG_FUNCTIONS_ALLOWED: set[str] = set()

#: A circle of function-level imports in the core (estimators, callbacks, persistence), left
#: to their owners: ModelCheckpoint saves through persistence, which rebuilds estimators.
KNOWN_CYCLE = sorted(
    [
        "scratchnet._progress",
        "scratchnet.callbacks",
        "scratchnet.estimators",
        "scratchnet.persistence",
        "scratchnet.persistence.scratchnet_models",
    ]
)


def _imports_of(prefix: str) -> dict[str, set[str]]:
    graph = import_graph()
    return {name: targets for name, targets in graph.items() if name.startswith(prefix)}


def _reaching(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in _imports_of(prefix).items()
        for target in targets
        if any(target == package or target.startswith(f"{package}.") for package in forbidden)
    )


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    assert "scratchnet.studies.registry" in graph["scratchnet.cli.sweep"]  # inside run()
    assert "scratchnet.sweep.engine" in graph["scratchnet.studies.registry"]


def test_no_import_circle_in_the_package():
    assert [c for c in cycles(import_graph()) if c != KNOWN_CYCLE] == []


def test_the_sweep_engine_imports_no_study_engine_or_report():
    forbidden = ("scratchnet.studies", "scratchnet.engines", "scratchnet.report", "scratchnet.cli")
    assert _reaching("scratchnet.sweep", forbidden) == []


def test_the_report_reads_run_folders_and_imports_no_experiment():
    forbidden = ("scratchnet.studies", "scratchnet.sweep", "scratchnet.engines", "scratchnet.run")
    assert _reaching("scratchnet.report", forbidden) == []


#: Names that belong to the studies (their folders, columns, labels and datasets): the report
#: reads them from the files a run declares (report.json, view.json), never from its source.
STUDY_STRINGS = ("section_b", "section_c", "mnist", "weight_init", "test_accuracy", "protocol",
                 "fashion", "summed gradient", '"seed', '"original"')  # fmt: skip


def test_the_report_imports_no_study_and_holds_none_of_their_names():
    assert _reaching("scratchnet.report", ("scratchnet.studies",)) == []
    found = [
        f"{name}: {string}"
        for name, path in modules().items()
        if name.startswith("scratchnet.report")
        for string in STUDY_STRINGS
        if string in path.read_text(encoding="utf-8").lower()
    ]
    assert found == []


def test_the_training_engines_and_the_run_import_no_study():
    assert _reaching("scratchnet.engines", ("scratchnet.studies", "scratchnet.sweep")) == []
    assert _reaching("scratchnet.run", ("scratchnet.studies", "scratchnet.sweep")) == []


def test_no_function_is_over_50_lines():
    long = {name: lines for name, lines in functions() if lines > MAX_LINES}
    assert sorted(set(long) - LONG_FUNCTIONS_ALLOWED) == []


def test_the_allow_list_names_only_functions_still_too_long():
    lengths = dict(functions())
    assert {name for name in LONG_FUNCTIONS_ALLOWED if lengths.get(name, 0) <= MAX_LINES} == set()
