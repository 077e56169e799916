"""Presentation mode: a tour (or the bookmarks, one by one) played full screen with captions.

:class:`QtTourPlayer` plays a :class:`twin.present.tours.TourPlayer` on the window's model: a
``QVariantAnimation`` (Qt's animation clock, running only while a tour plays) gives the tour second
of each tick, and the view shows that state (camera, layers, time, caption) through the same
:class:`twin.model.presenter.Presenter` that writes movies, on the same model the 3D view draws, so the app and
``twin movie`` agree.
:class:`QtPresentation` makes the window full screen without docks, bars or menus and takes the keys:
Space pauses, Right/Page Down/N goes to the next stop, Left/Page Up/P back, Home restarts, Esc leaves.
Layers are changed for the view only and put back afterwards; nothing is saved in the project.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from twin.model.presenter import Presenter
from twin.model.twin import TwinModel
from twin.present.bookmarks import Bookmark
from twin.present.tours import Tour, TourPlayer, TourStop

#: seconds of flight between slides when the bookmarks are presented one by one
SLIDE_TRANSITION = 2.0
SLIDE_HOLD = 1.0
HINT = "Esc leave  ·  Space pause  ·  ← → previous / next  ·  Home restart"


class QtTourPlayer(QtCore.QObject):
    """Plays a tour on a model (every view of it follows) against the wall clock of a ``QVariantAnimation``.
    ``manual`` waits at the end of each stop until :meth:`next`."""

    stop_changed = QtCore.Signal(int)
    finished = QtCore.Signal()

    def __init__(self, model: TwinModel, player: TourPlayer, *, manual: bool = False, captions: bool = True,
                 layers: bool = True, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.model, self.player, self.manual, self.layers = model, player, manual, layers
        self.presenter = Presenter(model, captions=captions)
        self.seconds = 0.0
        self.stop = -1
        self._time = None
        self._barrier = self._wait_at(0) if manual else None
        self.animation = QtCore.QVariantAnimation(self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(float(player.duration))
        self.animation.setDuration(max(1, round(player.duration * 1000)))
        self.animation.valueChanged.connect(self._on_value)
        self.animation.finished.connect(self.finished)

    @property
    def playing(self) -> bool:
        return self.animation.state() == QtCore.QAbstractAnimation.State.Running

    def play(self) -> None:
        """Play from the current second (from the start after the end)."""
        if self.seconds >= self.player.duration:
            self.seek(0.0)
        state = self.animation.state()
        if state == QtCore.QAbstractAnimation.State.Paused:
            self.animation.resume()
        elif state == QtCore.QAbstractAnimation.State.Stopped:
            at = round(self.seconds * 1000)
            self.animation.start()
            self.animation.setCurrentTime(at)
        self._show(self.seconds)

    def pause(self) -> None:
        if self.playing:
            self.animation.pause()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def seek(self, seconds: float) -> None:
        """Show the tour at ``seconds`` (playing goes on from there)."""
        seconds = min(max(float(seconds), 0.0), self.player.duration)
        if self.manual:
            self._barrier = self._wait_at(self.player.stop_at(seconds))
        if self.animation.state() != QtCore.QAbstractAnimation.State.Stopped:
            self.animation.setCurrentTime(round(seconds * 1000))
        self._show(seconds)

    def next(self) -> None:
        """Arrive at once when flying, else fly on to the next stop."""
        i = self.player.stop_at(self.seconds)
        if self.seconds < self.player.arrival(i):
            self.seek(self.player.arrival(i))
        elif i + 1 < len(self.player.legs):
            self.seek(self.player.departure(i + 1))
            if self.manual:
                self._barrier = self._wait_at(i + 1)
        else:
            return
        if not self.playing:
            self.play()

    def previous(self) -> None:
        """Back to the start of this stop (or, right after arriving, to the one before)."""
        i = self.player.stop_at(self.seconds)
        arrived = self.player.arrival(i)
        target = arrived if self.seconds - arrived > 1.0 else self.player.arrival(max(i - 1, 0))
        self.seek(target)

    def _wait_at(self, stop: int) -> float | None:
        """Where a manual presentation waits: just before the end of the stop's hold (still holding
        there, caption shown); never after the last stop."""
        if stop >= len(self.player.legs) - 1:
            return None
        return max(self.player.hold_end(stop) - 0.001, self.player.arrival(stop))

    def _on_value(self, value) -> None:
        seconds = float(value)
        if self._barrier is not None and seconds >= self._barrier:
            self.animation.pause()
            self.animation.setCurrentTime(round(self._barrier * 1000))
            seconds = self._barrier
        self._show(seconds)

    def _show(self, seconds: float) -> None:
        self.seconds = seconds
        frame = self.player.state(seconds)
        self.presenter.apply(frame, time=False, layers=self.layers)
        if frame.time_range is not None and frame.time_range != self._time:
            self._time = frame.time_range
            timeline = self.model.time.timeline
            if timeline is not None and timeline.extent.contains(frame.time_range.end):
                timeline.pause()
                timeline.seek(frame.time_range.end)  # playing the timeline later goes on from here
            self.model.time.range = frame.time_range
        if frame.stop != self.stop:
            self.stop = frame.stop
            self.stop_changed.emit(frame.stop)

    def close(self) -> None:
        """Stop and put the layers back as they were."""
        self.animation.stop()
        self.presenter.close()


def slides(bookmarks: list[Bookmark]) -> Tour:
    """The bookmarks one by one, as a tour for presenting by hand."""
    return Tour("Bookmarks", tuple(TourStop(b.name, SLIDE_TRANSITION, SLIDE_HOLD) for b in bookmarks))


def fly_to(model: TwinModel, bookmark: Bookmark, *, seconds: float = 1.2, parent: QtCore.QObject | None = None,
           done: Callable[[], None] | None = None) -> QtTourPlayer:
    """Fly the model's camera from where it is to ``bookmark`` (camera, then its time); layers are left to the
    caller."""
    target = dataclasses.replace(bookmark, name="(there)", layers=None, stage=None, caption="")
    if model.camera.pose is None:
        model.camera.pose = target.camera
    here = Bookmark("(here)", model.camera.pose)
    tour = Tour("fly", (TourStop(here.name, hold=0.0), TourStop(target.name, transition=seconds, hold=0.0)))
    player = QtTourPlayer(model, TourPlayer(tour, {here.name: here, target.name: target}), captions=False,
                          layers=False, parent=parent)

    def finish() -> None:
        player.close()
        player.deleteLater()
        if done is not None:
            done()

    player.finished.connect(finish)
    player.play()
    return player


class QtPresentation(QtCore.QObject):
    """The window full screen, only the 3D view, playing a tour with captions; at the end the last view stays
    until :meth:`leave` (Esc), which undoes it all."""

    finished = QtCore.Signal()

    def __init__(self, window: QtWidgets.QMainWindow, view, player: TourPlayer, *, manual: bool = False) -> None:
        super().__init__(window)
        self.window, self.view = window, view
        self.player = QtTourPlayer(view.model, player, manual=manual, parent=self)
        self.active = False
        self._saved: dict = {}
        self._shortcuts: list[QtGui.QShortcut] = []
        self.hint = QtWidgets.QLabel(HINT, view)
        self.hint.setStyleSheet("background: rgba(20, 28, 36, 190); color: white; padding: 8px 16px;"
                                "border-radius: 6px; font-size: 14px;")
        self.hint.hide()

    def start(self) -> None:
        """Go full screen and play."""
        w = self.window
        self._saved = {"state": w.saveState(), "full": w.isFullScreen(), "maximized": w.isMaximized(),
                       "menu": w.menuBar().isVisible(), "status": w.statusBar().isVisible()}
        for child in w.findChildren(QtWidgets.QDockWidget) + w.findChildren(QtWidgets.QToolBar):
            child.hide()
        w.menuBar().hide()
        w.statusBar().hide()
        w.showFullScreen()
        keys = {"Escape": self.leave, "Space": self.player.toggle, "Right": self.player.next,
                "PgDown": self.player.next, "N": self.player.next, "Left": self.player.previous,
                "PgUp": self.player.previous, "P": self.player.previous, "Home": lambda: self.player.seek(0.0)}
        for key, slot in keys.items():
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), w)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)
        self.active = True
        self._show_hint()
        self.view.setFocus()
        self.player.play()

    def _show_hint(self) -> None:
        self.hint.adjustSize()
        self._place_hint()
        self.hint.show()
        self.hint.raise_()
        QtCore.QTimer.singleShot(250, self._place_hint)  # again once the window has become full screen
        QtCore.QTimer.singleShot(3500, self.hint.hide)

    def _place_hint(self) -> None:
        self.hint.move(max((self.view.width() - self.hint.width()) // 2, 0), 24)

    def leave(self) -> None:
        """Stop, put the window and the layers back as they were."""
        if not self.active:
            return
        self.active = False
        self.player.close()
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts.clear()
        self.hint.hide()
        w, saved = self.window, self._saved
        if not saved["full"]:
            w.showMaximized() if saved["maximized"] else w.showNormal()
        w.menuBar().setVisible(saved["menu"])
        w.statusBar().setVisible(saved["status"])
        w.restoreState(saved["state"])
        self.finished.emit()


class PresentationActions(QtCore.QObject):
    """*Start Presentation* (F5) and *Export Movie…* of a main window (``install_presentation``)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.presentation: QtPresentation | None = None
        self.present = QtGui.QAction(QtWidgets.QApplication.style().standardIcon(
            QtWidgets.QStyle.StandardPixmap.SP_MediaPlay), "Start &Presentation", window)
        self.present.setShortcut(QtGui.QKeySequence("F5"))
        self.present.setToolTip("Play the tour chosen in the Bookmarks panel full screen, or step through the "
                                "bookmarks with the arrow keys (F5; Esc leaves)")
        self.present.triggered.connect(lambda _=False: self.start())
        self.movie = QtGui.QAction("Export &Movie…", window)
        self.movie.setShortcut(QtGui.QKeySequence("Ctrl+Shift+M"))
        self.movie.setToolTip("Write a tour or a timeline replay to an MP4 movie (Ctrl+Shift+M)")
        self.movie.triggered.connect(lambda _=False: self.export_movie())
        for action in (self.present, self.movie):
            window.addAction(action)

    def _chosen_tour(self) -> str | None:
        tours = getattr(self.window, "tours", None)
        return tours.current_tour() if tours is not None else None

    def start(self, tour: str | None = None) -> QtPresentation | None:
        """Present ``tour`` (default: the one chosen in the Bookmarks panel; none: the bookmarks as slides)."""
        from twin.errors import TwinError

        w = self.window
        if self.presentation is not None and self.presentation.active:
            return None
        model = w.model
        try:
            marks = {b.name: b for b in model.bookmarks}
            if not marks:
                raise TwinError("Nothing to present yet: save some views in the Bookmarks panel first")
            name = tour or self._chosen_tour()
            chosen, manual = (model.tours[name], False) if name else (slides(list(marks.values())), True)
            player = TourPlayer(chosen, marks)
        except (TwinError, ValueError) as exc:
            w.statusBar().showMessage(str(exc), 8000)
            return None
        self.presentation = QtPresentation(w, w.view, player, manual=manual)
        self.presentation.start()
        return self.presentation

    def export_movie(self, tour: str | None = None) -> QtWidgets.QDialog:
        """Open the movie dialog (for ``tour``, default the one chosen in the Bookmarks panel)."""
        from twin_ui.dialogs.qt_movie_dialog import QtMovieDialog

        dialog = QtMovieDialog(self.window.model, tour=tour or self._chosen_tour(), parent=self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


def install_presentation(window) -> PresentationActions:
    """Add the *Present* menu (Start Presentation F5, Export Movie… Ctrl+Shift+M) before *Help*, and answer
    the Bookmarks panel's Present / Export Movie buttons (call after ``install_bookmarks``)."""
    actions = PresentationActions(window)
    menu = QtWidgets.QMenu("&Present", window)
    menu.addAction(actions.present)
    menu.addAction(actions.movie)
    dock = getattr(window, "bookmarks_dock", None)
    if dock is not None:
        menu.addSeparator()
        menu.addAction(dock.toggleViewAction())
    bar = window.menuBar()
    help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_menu is not None:
        bar.insertMenu(help_menu, menu)
    else:
        bar.addMenu(menu)
    tours = getattr(window, "tours", None)
    if tours is not None:
        tours.present_requested.connect(lambda name: actions.start(name or None))
        tours.movie_requested.connect(lambda name: actions.export_movie(name or None))
    actions.menu = menu
    window.presenting = actions
    return actions
