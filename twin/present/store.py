"""Bookmarks and tours in the project file: the ``bookmarks`` and ``tours`` tables (schema version 2; the
bookmarks' selection and "what changed" view since version 4).

Plain columns (camera vectors as ``DOUBLE[]``, visible layers as ``VARCHAR[]``, time as ``TIMESTAMPTZ``)
and the tour stops as JSON text, so the file stays readable with plain DuckDB. Every statement is
parameterised. A version-1 project opened read-only has no such tables: it simply has no bookmarks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator

import duckdb

from twin.errors import ProjectError
from twin.present.bookmarks import Bookmark, check_name
from twin.present.tours import Tour
from twin.scene.camera import CameraPose

_BOOKMARK_COLUMNS = ("name, camera_position, focal_point, view_up, view_angle, parallel_scale, t, layers, stage, "
                     "caption, created_at")
#: read as well when present (schema version 4; a version-3 project opened read-only lacks them)
_BOOKMARK_V4 = ", selection, stage_changes"


class PresentStore:
    """The bookmarks and tours of one open :class:`twin.store.project.Project`."""

    def __init__(self, project) -> None:
        self.project = project

    # ----- reading (a Project or a read-only ProjectReader) ------------------------------------
    def _has(self, table: str) -> bool:
        return self.project.has_table(table)

    def _columns(self) -> str:
        has_v4 = self.project.rows("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'bookmarks' "
                                   "AND column_name = 'selection'")[0][0]
        return _BOOKMARK_COLUMNS + (_BOOKMARK_V4 if has_v4 else ", '[]', false")

    def bookmarks(self) -> list[Bookmark]:
        """All bookmarks in their order."""
        if not self._has("bookmarks"):
            return []
        rows = self.project.rows(f"SELECT {self._columns()} FROM bookmarks ORDER BY position, name")
        return [_bookmark(row) for row in rows]

    def names(self) -> list[str]:
        return [b.name for b in self.bookmarks()]

    def bookmark(self, name: str) -> Bookmark:
        """One bookmark by name; ProjectError naming the known ones when missing."""
        if self._has("bookmarks"):
            rows = self.project.rows(f"SELECT {self._columns()} FROM bookmarks WHERE name = ?", [name])
            if rows:
                return _bookmark(rows[0])
        known = ", ".join(self.names()) or "none"
        raise ProjectError(f"no bookmark named {name!r} in {self.project.path or 'the project'} (bookmarks: {known})")

    def has_bookmark(self, name: str) -> bool:
        return name in self.names()

    def tours(self) -> list[Tour]:
        """All tours in their order."""
        if not self._has("tours"):
            return []
        rows = self.project.rows("SELECT name, stops, description FROM tours ORDER BY position, name")
        return [_tour(row) for row in rows]

    def tour_names(self) -> list[str]:
        """Names of the tours in their order (without reading their stops)."""
        if not self._has("tours"):
            return []
        rows = self.project.rows("SELECT name FROM tours ORDER BY position, name")
        return [row[0] for row in rows]

    def tour(self, name: str) -> Tour:
        """One tour by name; ProjectError naming the known ones when missing."""
        if self._has("tours"):
            rows = self.project.rows("SELECT name, stops, description FROM tours WHERE name = ?", [name])
            if rows:
                return _tour(rows[0])
        known = ", ".join(self.tour_names()) or "none"
        raise ProjectError(f"no tour named {name!r} in {self.project.path or 'the project'} (tours: {known})")

    def tours_using(self, bookmark: str) -> list[str]:
        """Names of the tours that stop at ``bookmark``."""
        return [t.name for t in self.tours() if any(s.bookmark == bookmark for s in t.stops)]

    # ----- writing bookmarks -------------------------------------------------------------------
    def save_bookmark(self, bookmark: Bookmark, *, replace: bool = False) -> Bookmark:
        """Store a bookmark (at the end of the list); with ``replace`` overwrite one of the same name in place."""
        now = dt.datetime.now(dt.timezone.utc)
        cam = bookmark.camera
        values = [list(map(float, cam.position)), list(map(float, cam.focal_point)), list(map(float, cam.view_up)),
                  float(cam.view_angle), None if cam.parallel_scale is None else float(cam.parallel_scale),
                  bookmark.time, None if bookmark.layers is None else list(bookmark.layers), bookmark.stage,
                  bookmark.caption, json.dumps([list(item) for item in bookmark.selection], ensure_ascii=False),
                  bookmark.changes]
        with self._writing():
            con = self.project.con
            exists = con.execute("SELECT count(*) FROM bookmarks WHERE name = ?", [bookmark.name]).fetchone()[0]
            if exists and not replace:
                raise ProjectError(f"a bookmark named {bookmark.name!r} already exists (replace it, or choose another name)")
            if exists:
                con.execute("UPDATE bookmarks SET camera_position = ?, focal_point = ?, view_up = ?, view_angle = ?, "
                            "parallel_scale = ?, t = ?, layers = ?, stage = ?, caption = ?, selection = ?, stage_changes = ?, "
                            "updated_at = ? WHERE name = ?",
                            [*values, now, bookmark.name])
            else:
                position = con.execute("SELECT coalesce(max(position) + 1, 0) FROM bookmarks").fetchone()[0]
                con.execute(f"INSERT INTO bookmarks (position, {_BOOKMARK_COLUMNS}{_BOOKMARK_V4}, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [position, bookmark.name, *values[:9], bookmark.created_at or now, *values[9:], now])
        return self.bookmark(bookmark.name)

    def remove_bookmark(self, name: str, *, force: bool = False) -> None:
        """Delete a bookmark. One used by tours is refused unless ``force``, which also drops those stops
        (and tours left without any stop)."""
        self.bookmark(name)
        using = self.tours_using(name)
        if using and not force:
            raise ProjectError(f"bookmark {name!r} is a stop of tour(s) {', '.join(using)}: remove it from them first "
                               "(or force the removal, which drops those stops)")
        with self._writing():
            for tour in self.tours():
                if tour.name in using:
                    stops = tuple(s for s in tour.stops if s.bookmark != name)
                    if stops:
                        self._write_tour(Tour(tour.name, stops, tour.description))
                    else:
                        self.project.con.execute("DELETE FROM tours WHERE name = ?", [tour.name])
            self.project.con.execute("DELETE FROM bookmarks WHERE name = ?", [name])

    def rename_bookmark(self, name: str, new_name: str) -> None:
        """Rename a bookmark and the tour stops that refer to it."""
        new_name = _name(new_name, "bookmark")
        self.bookmark(name)
        if new_name == name:
            return
        if self.has_bookmark(new_name):
            raise ProjectError(f"a bookmark named {new_name!r} already exists")
        with self._writing():
            self.project.con.execute("UPDATE bookmarks SET name = ?, updated_at = ? WHERE name = ?",
                                     [new_name, dt.datetime.now(dt.timezone.utc), name])
            for tour in self.tours():
                if any(s.bookmark == name for s in tour.stops):
                    stops = tuple(dataclasses.replace(s, bookmark=new_name) if s.bookmark == name else s
                                  for s in tour.stops)
                    self._write_tour(Tour(tour.name, stops, tour.description))

    def reorder_bookmarks(self, names: list[str]) -> None:
        """Put the bookmarks in this order (names left out keep their relative order after these)."""
        current = self.names()
        unknown = [n for n in names if n not in current]
        if unknown:
            raise ProjectError(f"no bookmark named {unknown[0]!r}")
        order = list(dict.fromkeys(names)) + [n for n in current if n not in names]
        with self._writing():
            for position, name in enumerate(order):
                self.project.con.execute("UPDATE bookmarks SET position = ? WHERE name = ?", [position, name])

    # ----- writing tours -------------------------------------------------------------------------
    def save_tour(self, tour: Tour, *, replace: bool = False) -> Tour:
        """Store a tour; every stop must name an existing bookmark."""
        known = set(self.names())
        missing = [s.bookmark for s in tour.stops if s.bookmark not in known]
        if missing:
            raise ProjectError(f"tour {tour.name!r}: no bookmark named {', '.join(map(repr, missing))}")
        with self._writing():
            exists = self.project.con.execute("SELECT count(*) FROM tours WHERE name = ?", [tour.name]).fetchone()[0]
            if exists and not replace:
                raise ProjectError(f"a tour named {tour.name!r} already exists (replace it, or choose another name)")
            self._write_tour(tour)
        return self.tour(tour.name)

    def remove_tour(self, name: str) -> None:
        """Delete a tour (its bookmarks stay); works on a tour whose stored stops are damaged too."""
        if name not in self.tour_names():
            known = ", ".join(self.tour_names()) or "none"
            raise ProjectError(f"no tour named {name!r} in {self.project.path or 'the project'} (tours: {known})")
        with self._writing():
            self.project.con.execute("DELETE FROM tours WHERE name = ?", [name])

    def reorder_tours(self, names: list[str]) -> None:
        """Put the tours in this order (names left out keep their relative order after these)."""
        current = self.tour_names()
        unknown = [n for n in names if n not in current]
        if unknown:
            raise ProjectError(f"no tour named {unknown[0]!r}")
        order = list(dict.fromkeys(names)) + [n for n in current if n not in names]
        with self._writing():
            for position, name in enumerate(order):
                self.project.con.execute("UPDATE tours SET position = ? WHERE name = ?", [position, name])

    def _write_tour(self, tour: Tour) -> None:
        con, now = self.project.con, dt.datetime.now(dt.timezone.utc)
        if con.execute("SELECT count(*) FROM tours WHERE name = ?", [tour.name]).fetchone()[0]:
            con.execute("UPDATE tours SET stops = ?, description = ?, updated_at = ? WHERE name = ?",
                        [tour.stops_json(), tour.description, now, tour.name])
        else:
            position = con.execute("SELECT coalesce(max(position) + 1, 0) FROM tours").fetchone()[0]
            con.execute("INSERT INTO tours (name, position, stops, description, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [tour.name, position, tour.stops_json(), tour.description, now, now])

    @contextlib.contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction of the project, after checking that it can take bookmarks; DuckDB errors
        become ProjectError."""
        if not hasattr(self.project, "transaction"):
            raise ProjectError(f"{self.project.path or 'the project'} is shown read-only here: "
                               "bookmarks and tours cannot be saved")
        with self.project.lock:
            if not (self._has("bookmarks") and self._has("tours")) or self.project.read_only:
                raise ProjectError(f"{self.project.path or 'the project'} is open read-only: "
                                   "bookmarks and tours cannot be saved")
            try:
                with self.project.transaction() as con:
                    yield con
            except duckdb.Error as exc:
                raise ProjectError(f"bookmarks and tours of {self.project.path or 'the project'}: {exc}") from exc


def _name(text: str, what: str) -> str:
    try:
        return check_name(text, what)
    except ValueError as exc:
        raise ProjectError(str(exc)) from None


def _bookmark(row: tuple) -> Bookmark:
    name, position, focal, up, angle, scale, t, layers, stage, caption, created, selection, changes = row
    camera = CameraPose(tuple(position), tuple(focal), tuple(up), float(angle), None if scale is None else float(scale))
    try:
        items = json.loads(selection or "[]")
        if not isinstance(items, list):
            raise ValueError(f"bookmark {name!r}: the selection must be a JSON list, not {selection[:60]!r}")
        return Bookmark(name, camera, t, None if layers is None else tuple(layers), stage, caption or "", created,
                        selection=tuple(tuple(item) if isinstance(item, list) else item for item in items),
                        changes=bool(changes))
    except ValueError as exc:  # json.JSONDecodeError is one
        raise ProjectError(f"stored {exc}") from None


def _tour(row: tuple) -> Tour:
    name, stops, description = row
    try:
        return Tour.from_json(name, stops, description or "")
    except ValueError as exc:
        raise ProjectError(f"stored {exc}") from None
