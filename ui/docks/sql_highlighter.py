"""SQL syntax colouring for the console: keywords, spatial functions, strings, numbers, comments."""

from __future__ import annotations

import re

from PySide6 import QtGui

KEYWORDS = (
    "select from where group by order having limit offset join left right inner outer full cross on using as "
    "and or not in is null like ilike between case when then else end distinct union all intersect except with "
    "asc desc insert into values update set delete create table view drop alter index exists cast true false "
    "over partition window qualify pivot unpivot describe summarize show"
).split()


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QtGui.QTextCharFormat:
    fmt = QtGui.QTextCharFormat()
    fmt.setForeground(QtGui.QColor(colour))
    if bold:
        fmt.setFontWeight(QtGui.QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class SqlHighlighter(QtGui.QSyntaxHighlighter):
    """Colours a QTextDocument holding DuckDB SQL."""

    RULES = [
        (re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b", re.I), _format("#1f4e99", bold=True)),
        (re.compile(r"\bST_\w+\b", re.I), _format("#8e44ad", bold=True)),
        (re.compile(r"\b\d+(\.\d+)?\b"), _format("#b35900")),
        (re.compile(r"'([^']|'')*'"), _format("#2e7d32")),
        (re.compile(r'"[^"]*"'), _format("#6d4c41")),
        (re.compile(r"--[^\n]*"), _format("#8a8a8a", italic=True)),
    ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        for pattern, fmt in self.RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
