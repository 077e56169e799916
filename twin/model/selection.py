"""The selection: features of one or several layers (linked across layers), the one the inspector shows,
the point that was clicked, and free geometries (query results that are not features)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from psygnal import Signal, SignalGroup


class SelectionEvents(SignalGroup):
    changed = Signal(object)  # the Selection itself


class Selection:
    """What is selected: ``features`` (layer name -> fids), ``primary`` (layer, fid) shown in the inspector,
    ``picked`` (the clicked point in the project CRS) and ``geometries`` (shapely objects, project CRS)."""

    def __init__(self) -> None:
        self.events = SelectionEvents()
        self._features: dict[str, frozenset[int]] = {}
        self._primary: tuple[str, int] | None = None
        self._picked: tuple[float, float, float] | None = None
        self._geometries: tuple = ()

    # ----- reading ---------------------------------------------------------------------------
    @property
    def features(self) -> dict[str, frozenset[int]]:
        """Selected feature ids per layer name (a copy)."""
        return dict(self._features)

    @property
    def items(self) -> frozenset[tuple[str, int]]:
        """Every selected (layer, fid) pair."""
        return frozenset((name, fid) for name, fids in self._features.items() for fid in fids)

    @property
    def primary(self) -> tuple[str, int] | None:
        return self._primary

    @property
    def picked(self) -> tuple[float, float, float] | None:
        return self._picked

    @property
    def geometries(self) -> tuple:
        return self._geometries

    @property
    def layer(self) -> str | None:
        """The layer of the primary feature (else of the first selected features), or ``None``."""
        if self._primary is not None:
            return self._primary[0]
        return next(iter(self._features), None)

    @property
    def fids(self) -> tuple[int, ...]:
        """Selected ids in :attr:`layer`, the primary one first."""
        layer = self.layer
        if layer is None:
            return ()
        ids = sorted(self._features.get(layer, ()))
        if self._primary is not None and self._primary[1] in ids:
            ids.remove(self._primary[1])
            ids.insert(0, self._primary[1])
        return tuple(ids)

    @property
    def fid(self) -> int | None:
        return self.fids[0] if self.fids else None

    def of(self, layer: str) -> frozenset[int]:
        """Selected ids of one layer."""
        return self._features.get(layer, frozenset())

    def __bool__(self) -> bool:
        return bool(self._features) or bool(self._geometries)

    def describe(self) -> str:
        parts = [f"{len(f)} feature(s) of {name}" for name, f in self._features.items()]
        if self._geometries:
            parts.append(f"{len(self._geometries)} geometr{'y' if len(self._geometries) == 1 else 'ies'}")
        return ", ".join(parts) or "nothing"

    # ----- changing --------------------------------------------------------------------------
    def select(self, features: Mapping[str, Iterable[int]] | None = None, *, primary: tuple[str, int] | None = None,
               picked: tuple[float, float, float] | None = None, geometries: Iterable = ()) -> None:
        """Select exactly these features (and free geometries); ``primary`` defaults to the first feature."""
        chosen = {str(name): frozenset(int(f) for f in fids) for name, fids in (features or {}).items()}
        chosen = {name: fids for name, fids in chosen.items() if fids}
        if primary is not None:
            primary = (str(primary[0]), int(primary[1]))
            chosen.setdefault(primary[0], frozenset())
            chosen[primary[0]] = chosen[primary[0]] | {primary[1]}
        elif chosen:
            name = next(iter(chosen))
            primary = (name, min(chosen[name]))
        geometries = tuple(geometries)
        picked = tuple(float(v) for v in picked) if picked is not None else None  # type: ignore[assignment]
        if (chosen, primary, picked, len(geometries)) == (self._features, self._primary, self._picked,
                                                          len(self._geometries)) and not geometries:
            return
        self._features, self._primary, self._picked, self._geometries = chosen, primary, picked, geometries
        self.events.changed.emit(self)

    def select_feature(self, layer: str, fid: int, *, picked: tuple[float, float, float] | None = None) -> None:
        """Select one feature (a click)."""
        self.select({layer: [fid]}, primary=(layer, fid), picked=picked)

    def clear(self) -> None:
        self.select()

    def rename_layer(self, old: str, new: str) -> None:
        """Keep the selection of a layer that was renamed."""
        if old in self._features:
            features = {new if name == old else name: fids for name, fids in self._features.items()}
            primary = (new, self._primary[1]) if self._primary and self._primary[0] == old else self._primary
            self.select(features, primary=primary, picked=self._picked, geometries=self._geometries)

    def drop_layer(self, name: str) -> None:
        """Forget the selection of a layer that was removed."""
        if name in self._features:
            features = {n: f for n, f in self._features.items() if n != name}
            primary = self._primary if self._primary and self._primary[0] != name else None
            self.select(features, primary=primary, geometries=self._geometries)
