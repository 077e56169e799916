"""The layer style dialog: the style controls the layer's kind declares (colour, colour by attribute or by
semantic surface, colour ramp, opacity, size, extrusion, LoD: :mod:`twin.plugins.kinds`) and, for a plugin's
kind, its own controls. Apply and OK set the style of the model's layer; the views and the project follow."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from twin.errors import TwinError
from twin.model.twin import TwinModel
from twin.plugins.kinds import DEFAULT_STYLE_CONTROLS, layer_kind
from twin.scene.style import BY_SURFACE, Style, default_style
from twin_ui import icons

COLORMAPS = ("viridis", "plasma", "inferno", "magma", "cividis", "turbo", "YlOrRd", "OrRd", "RdYlGn_r",
             "Spectral_r", "coolwarm", "Blues", "Greens", "Reds", "Greys")
PALETTES = ("tab10", "tab20", "Set1", "Set2", "Set3", "Paired", "Dark2", "Accent", "Pastel1")


class QtStyleDialog(QtWidgets.QDialog):
    """Edit the style of the model's layer ``name``."""

    def __init__(self, model: TwinModel, name: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.twin = model
        self.name = name
        self.layer = model.layers[name]
        self.kind = layer_kind(self.layer.kind, registry=model.registry)
        self.controls = self.kind.style if self.kind is not None else DEFAULT_STYLE_CONTROLS
        self.setWindowTitle(f"Style — {name}")
        self.style_ = self.layer.style
        self._colour = QtGui.QColor(self.style_.color)
        self.kind_controls: QtWidgets.QWidget | None = None
        self._build()
        self._load(self.style_)

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        form = QtWidgets.QFormLayout()
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        offers = self.controls.__contains__
        self.colour_button = QtWidgets.QPushButton(self)
        self.colour_button.clicked.connect(self._pick_colour)
        if offers("color"):
            form.addRow("Colour:", self.colour_button)
        else:
            self.colour_button.hide()

        self.color_by = QtWidgets.QComboBox(self)
        self.color_by.addItem("Single colour", None)
        if offers("surfaces"):
            self.color_by.addItem("Semantic surface (roof, wall, ground)", BY_SURFACE)
        if offers("color_by"):
            for column, kind in self._attributes():
                self.color_by.addItem(f"{column}  ({kind})", column)
        self.color_by.currentIndexChanged.connect(self._update_enabled)
        if self.color_by.count() > 1:
            form.addRow("Colour by:", self.color_by)
        else:
            self.color_by.hide()
        self.categorical = QtWidgets.QComboBox(self)
        self.categorical.addItem("Automatic (numbers as a ramp, text as categories)", None)
        self.categorical.addItem("Numeric ramp", False)
        self.categorical.addItem("Categories", True)
        self.categorical.currentIndexChanged.connect(self._update_enabled)
        by_attribute = offers("color_by")
        if by_attribute:
            form.addRow("Values as:", self.categorical)
        else:
            self.categorical.hide()
        self.colormap = QtWidgets.QComboBox(self)
        for name in COLORMAPS:
            self.colormap.addItem(icons.ramp_icon(name), name)
        self.colormap.setIconSize(QtCore.QSize(72, 12))
        if by_attribute or offers("colormap"):
            form.addRow("Colour ramp:", self.colormap)
        else:
            self.colormap.hide()
        self.palette = QtWidgets.QComboBox(self)
        for name in PALETTES:
            self.palette.addItem(icons.ramp_icon(name, steps=8), name)
        self.palette.setIconSize(QtCore.QSize(72, 12))
        if by_attribute:
            form.addRow("Palette:", self.palette)
        else:
            self.palette.hide()
        range_row = QtWidgets.QHBoxLayout()
        self.auto_range = QtWidgets.QCheckBox("Data range", self)
        self.auto_range.toggled.connect(self._update_enabled)
        self.low = _spin(self)
        self.high = _spin(self)
        range_row.addWidget(self.auto_range)
        range_row.addWidget(self.low)
        range_row.addWidget(QtWidgets.QLabel("to"))
        range_row.addWidget(self.high)
        if by_attribute or offers("colormap"):
            form.addRow("Range:", range_row)
        else:
            for widget in (self.auto_range, self.low, self.high):
                widget.hide()

        opacity_row = QtWidgets.QHBoxLayout()
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity_label = QtWidgets.QLabel(self)
        self.opacity_label.setMinimumWidth(40)
        self.opacity.valueChanged.connect(lambda v: self.opacity_label.setText(f"{v} %"))
        opacity_row.addWidget(self.opacity)
        opacity_row.addWidget(self.opacity_label)
        if offers("opacity"):
            form.addRow("Opacity:", opacity_row)
        else:
            self.opacity.hide()
            self.opacity_label.hide()
        self.size = _spin(self, minimum=0.0, suffix=" m", special="automatic")
        if offers("size"):
            form.addRow("Symbol size:", self.size)
        else:
            self.size.hide()
        self.extrude = _spin(self, minimum=0.0, suffix=" m", special="flat")
        if offers("extrude"):
            form.addRow("Extrude by:", self.extrude)
        else:
            self.extrude.hide()
        self.lod = QtWidgets.QComboBox(self)
        lods = self._lods() if offers("lod") else []
        if lods:
            self.lod.addItem("Default", None)
            for lod in lods:
                self.lod.addItem(f"LoD {lod}", lod)
            form.addRow("Level of detail:", self.lod)
        else:
            self.lod.hide()
        self.visible = QtWidgets.QCheckBox("Visible", self)
        form.addRow("", self.visible)
        if self.kind is not None and self.kind.has_controls:
            self.kind_controls = self._kind_controls()
            if self.kind_controls is not None:
                form.addRow(self.kind.title + ":", self.kind_controls)

        self.error = QtWidgets.QLabel(self)
        self.error.setStyleSheet("color: #b03a2e")
        self.error.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Apply
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel | QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults,
            self)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self._load(default_style(self.layer.kind)))
        head = QtWidgets.QLabel(f"<b>{self.layer.name}</b> · {self.layer.kind}, {self.layer.info.feature_count:,} features")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(head)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _kind_controls(self) -> QtWidgets.QWidget | None:
        """The widget a plugin's kind declares (``controls``), or an error label when it fails."""
        try:
            cls = self.twin.registry.load(self.kind.contribution, "controls")
            widget = cls(self.layer, self)
            if not isinstance(widget, QtWidgets.QWidget) or not callable(getattr(widget, "params", None)):
                raise TypeError(f"{type(widget).__name__} is not a QWidget with a params() method")
            return widget
        except Exception as exc:  # noqa: BLE001 - a broken plugin widget must not stop the dialog
            label = QtWidgets.QLabel(f"the controls of {self.kind.plugin} failed: {exc}", self)
            label.setStyleSheet("color: #b03a2e")
            label.setWordWrap(True)
            return label

    def _attributes(self) -> list[tuple[str, str]]:
        from twin.scene.features import attribute_types

        if self.twin.project is None:
            return []
        try:
            types = attribute_types(self.twin.project, self.layer.info)
        except TwinError:
            return []
        return [(name, str(kind)) for name, kind in types.items()]

    def _lods(self) -> list[str]:
        from twin.scene.meshes import has_mesh, mesh_lods

        project = self.twin.project
        try:
            return mesh_lods(project, self.layer.info) if project and has_mesh(project, self.layer.info) else []
        except TwinError:
            return []

    # ----- values ----------------------------------------------------------------------------
    def _load(self, style: Style) -> None:
        self._colour = QtGui.QColor(style.color)
        self.colour_button.setIcon(icons.colour_swatch(self._colour, size=16))
        self.colour_button.setText(self._colour.name())
        self.color_by.setCurrentIndex(max(self.color_by.findData(style.color_by), 0))
        self.categorical.setCurrentIndex(max(self.categorical.findData(style.categorical), 0))
        self.colormap.setCurrentText(style.colormap)
        self.palette.setCurrentText(style.palette)
        self.auto_range.setChecked(style.clim is None)
        if style.clim is not None:
            self.low.setValue(style.clim[0])
            self.high.setValue(style.clim[1])
        self.opacity.setValue(round(style.opacity * 100))
        self.opacity_label.setText(f"{self.opacity.value()} %")
        self.size.setValue(style.size or 0.0)
        self.extrude.setValue(float(style.extrude) if isinstance(style.extrude, (int, float)) else 0.0)
        self.lod.setCurrentIndex(max(self.lod.findData(style.lod), 0))
        self.visible.setChecked(style.visible)
        self._update_enabled()

    def current_style(self) -> Style:
        """The style the dialog shows (validated; raises StyleError naming the bad value)."""
        params = dict(self.style_.params)
        if self.kind_controls is not None and callable(getattr(self.kind_controls, "params", None)):
            params.update(self.kind_controls.params())
        return Style.from_dict({
            "params": params,
            "color": self._colour.name(),
            "color_by": self.color_by.currentData(),
            "categorical": self.categorical.currentData(),
            "colormap": self.colormap.currentText(),
            "palette": self.palette.currentText(),
            "clim": None if self.auto_range.isChecked() else [self.low.value(), self.high.value()],
            "opacity": self.opacity.value() / 100,
            "visible": self.visible.isChecked(),
            "size": self.size.value() or None,
            "extrude": self.extrude.value() or None,
            "lod": self.lod.currentData(),
        }, kind=self.layer.kind, layer=repr(self.layer.name))

    def apply(self) -> bool:
        try:
            style = self.current_style()
        except TwinError as exc:
            self.error.setText(str(exc))
            return False
        self.error.clear()
        self.layer.style = style
        self.style_ = style
        return True

    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def _pick_colour(self) -> None:
        colour = QtWidgets.QColorDialog.getColor(self._colour, self, "Layer colour")
        if colour.isValid():
            self._colour = colour
            self.colour_button.setIcon(icons.colour_swatch(colour, size=16))
            self.colour_button.setText(colour.name())

    def _update_enabled(self) -> None:
        by = self.color_by.currentData()
        attribute = by not in (None, BY_SURFACE)
        self.categorical.setEnabled(attribute)
        self.colormap.setEnabled(attribute and self.categorical.currentData() is not True)
        self.palette.setEnabled(attribute and self.categorical.currentData() is not False)
        self.auto_range.setEnabled(attribute)
        for spin in (self.low, self.high):
            spin.setEnabled(attribute and not self.auto_range.isChecked())
        self.colour_button.setEnabled(by is None or by == BY_SURFACE)


def _spin(parent: QtWidgets.QWidget, *, minimum: float = -1e12, suffix: str = "",
          special: str | None = None) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox(parent)
    spin.setRange(minimum, 1e12)
    spin.setDecimals(2)
    spin.setSuffix(suffix)
    if special:
        spin.setSpecialValueText(special)
    return spin
