"""The status bar: cursor position in the project CRS and in lon/lat, the project CRS, frame time."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.crs import transform_xy


class QtStatus(QtWidgets.QWidget):
    """Permanent status-bar widgets: ``x, y`` (project CRS), ``lon, lat``, the CRS and the frame time."""

    def __init__(self, crs: str | None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.crs = crs
        self.xy = self._label("Cursor position in the project CRS (metres)", "X 99,999,999.9  Y 99,999,999.9")
        self.lonlat = self._label("Cursor position in longitude / latitude (WGS 84)", "99.99999° N  999.99999° E")
        self.crs_label = self._label("Project coordinate reference system", "EPSG:32631")
        self.frame = self._label("Time to render the last frame", "9999 ms/frame")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        for widget in (self.xy, self.lonlat, self.crs_label, self.frame):
            layout.addWidget(widget)
        self.set_crs(crs)
        self.clear_position()

    def _label(self, tip: str, widest: str) -> QtWidgets.QLabel:
        """A sunken status label wide enough for ``widest`` in the label's own font (never clipped)."""
        label = QtWidgets.QLabel(self)
        label.setToolTip(tip)
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 16)
        label.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        label.setFrameShadow(QtWidgets.QFrame.Shadow.Sunken)
        label.setContentsMargins(4, 0, 4, 0)
        label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        return label

    def set_crs(self, crs: str | None) -> None:
        self.crs = crs
        self.crs_label.setText(crs or "no CRS yet")

    def set_position(self, x: float, y: float) -> None:
        """Show a project-CRS position and its lon/lat."""
        self.xy.setText(f"X {x:,.1f}  Y {y:,.1f}")
        if self.crs:
            lon, lat = transform_xy(np.array([x]), np.array([y]), self.crs, "EPSG:4326")
            ns, ew = ("N" if lat[0] >= 0 else "S"), ("E" if lon[0] >= 0 else "W")
            self.lonlat.setText(f"{abs(lat[0]):.5f}° {ns}  {abs(lon[0]):.5f}° {ew}")
        else:
            self.lonlat.setText("—")

    def clear_position(self) -> None:
        self.xy.setText("X —  Y —")
        self.lonlat.setText("lat —  lon —")

    def set_frame_time(self, seconds: float) -> None:
        self.frame.setText(f"{seconds * 1000:.0f} ms/frame")
