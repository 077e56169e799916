"""Property-based fuzzing of the importers and the catalogue reader (issue 10), with hypothesis.

Every fuzzed file either imports or fails with one clean line (a TwinError that is not a PluginError,
i.e. not an importer bug), and a failed import leaves the project's catalogue and row counts as they
were. The strategies are in ``tests/fuzz_cases.py``; ``bench/fuzz_importers.py`` runs 10,000+ cases.
Cases the fuzzer found are kept in ``tests/fixtures/fuzz/`` and replayed by ``test_found_cases``.

Profiles: ``twin`` (default: 40 cases per importer, derandomized so the suite is reproducible) and
``twin-long`` (``HYPOTHESIS_PROFILE=twin-long``: 500 per importer, random).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_cases import FORMATS, SCALARS, TEXT, run_case
from twin.errors import TwinError
from twin.store.catalogue import layer_fields
from twin.store.project import LayerInfo, Project

FUZZ = pathlib.Path(__file__).parent / "fixtures" / "fuzz"
COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.function_scoped_fixture])
settings.register_profile("twin", max_examples=40, derandomize=True, database=None, **COMMON)
settings.register_profile("twin-long", max_examples=500, **COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "twin")


@pytest.mark.parametrize("importer", sorted(FORMATS))
def test_fuzzed_files_import_or_fail_cleanly(importer, tmp_path):
    project = Project.open(tmp_path / "fuzz.twin.duckdb", create=True)
    outcomes: list[str] = []

    @settings(settings.get_profile(PROFILE))
    @given(FORMATS[importer][1])
    def case(data: bytes) -> None:
        outcome = run_case(project, tmp_path, importer, data)
        outcomes.append(outcome.result)
        assert outcome.result != "uncaught", outcome.text

    try:
        case()
    finally:
        project.close()
    assert "clean error" in outcomes  # the strategies reach the checks (a fuzzer that only imports finds nothing)


FOUND = sorted(p for p in FUZZ.iterdir() if p.name.startswith("found_")) if FUZZ.exists() else []


@pytest.mark.parametrize("path", FOUND, ids=[p.name for p in FOUND])
def test_found_cases(path, tmp_path):
    """Files the fuzzer once broke an importer with: named ``found_<importer>__<what>.<ext>``."""
    importer = path.name.removeprefix("found_").split("__")[0]
    project = Project.open(tmp_path / "p.twin.duckdb", create=True)
    try:
        outcome = run_case(project, tmp_path, importer, path.read_bytes())
    finally:
        project.close()
    assert outcome.result != "uncaught", outcome.text


CELLS = st.one_of(SCALARS, st.binary(max_size=8), st.just(float("nan")), st.just(float("inf")),
                  st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc])),
                  st.sampled_from(["lyr_1", "lyr_1_mesh", "lyr_x", '{"a": 1}', "[1, 2]", "{", "null", "NaN", "1e999"]))


@st.composite
def layer_rows(draw) -> tuple:
    row = list(draw(st.tuples(*[CELLS] * 22)))
    for index, value in draw(st.lists(st.tuples(st.integers(0, 21), st.sampled_from(
            [1, "name", "buildings", 2, "lyr_1", '{"lods": ["1"]}', 0.0])), max_size=10)):
        row[index] = value  # mostly plausible rows, so the later checks are reached too
    return tuple(row)


@settings(settings.get_profile(PROFILE), max_examples=settings.get_profile(PROFILE).max_examples * 3)
@given(layer_rows(), st.one_of(st.none(), st.sets(TEXT | st.just("lyr_1"), max_size=3)))
def test_catalogue_reader_never_raises_on_arbitrary_rows(row, tables):
    try:
        fields = layer_fields(row, tables=tables, path="fuzz.twin.duckdb")
    except TwinError as exc:  # a clean one-line refusal
        assert "\n" not in str(exc)
        return
    info = LayerInfo(**fields)  # what the rest of the code gets is well-typed
    assert isinstance(info.name, str) and isinstance(info.kind, str) and isinstance(info.properties, dict)
    assert isinstance(info.style, dict) and isinstance(info.feature_count, int) and info.feature_count >= 0
    if info.bbox is not None:
        assert all(math.isfinite(v) for v in info.bbox)
    assert all(isinstance(p, str) and "\n" not in p for p in info.problems)
