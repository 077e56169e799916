"""Korean text in tabular data: column-name matching, summary rows and Korean CRS hints.

Column names are compared after Unicode NFC normalisation (files made on macOS store Hangul
decomposed, NFD, which looks the same but compares different) and case folding.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Values that mark a total or subtotal row rather than a place (compared trimmed, case-folded).
SUMMARY_LABELS = ("합계", "총계", "소계", "계", "합 계", "총 계", "소 계", "누계", "전체", "total", "grand total",
                  "subtotal", "sub-total", "sum")

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def normalise_name(name: str) -> str:
    """A column name for matching: NFC, case-folded, trimmed, inner whitespace collapsed."""
    text = unicodedata.normalize("NFC", str(name)).replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip().casefold()


def contains_hangul(text: str) -> bool:
    """True when ``text`` has Hangul syllables or jamo."""
    return bool(_HANGUL.search(text))


def summary_rows(table: pa.Table, columns: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose text cells hold a total label (``합계``, ``소계``, ``Total``...).

    Returns ``(mask, label)``: a boolean per row and the label found (empty string elsewhere).
    """
    n = table.num_rows
    mask = np.zeros(n, dtype=bool)
    label = np.full(n, "", dtype=object)
    labels = pa.array(SUMMARY_LABELS)
    for name in columns if columns is not None else table.column_names:
        column = table.column(name)
        if not pa.types.is_string(column.type):
            continue
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        hit = pc.fill_null(pc.is_in(folded, value_set=labels), False).to_numpy(zero_copy_only=False)
        new = hit & ~mask
        if new.any():
            label[new] = pc.utf8_trim_whitespace(column).to_numpy(zero_copy_only=False)[new]
            mask |= hit
    return mask, label


#: Projected CRSs met in Korean data, by their usual names (for hints in error messages).
KOREAN_CRS = {
    "EPSG:5186": "Korea 2000 / Central Belt 2010 (false northing 600,000)",
    "EPSG:5181": "Korea 2000 / Central Belt (false northing 500,000; Kakao/Daum maps, TAAS)",
    "EPSG:5179": "Korea 2000 / Unified CS, UTM-K (Naver maps, road-name address data)",
    "EPSG:5174": "Korean 1985 / Modified Central Belt (old Bessel cadastre)",
}


def korean_crs_candidates(x: np.ndarray, y: np.ndarray) -> list[str]:
    """Korean CRSs whose usual coordinate ranges fit the medians of ``x``/``y`` (a hint, not a proof:
    EPSG:5181 and 5174 share ranges, and 5186 differs from them by 100 km in y only)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return []
    mx, my = float(np.median(x[ok])), float(np.median(y[ok]))
    out = []
    if 700_000 <= mx <= 1_400_000 and 1_400_000 <= my <= 2_200_000:
        out.append("EPSG:5179")
    if 100_000 <= mx <= 700_000 and 100_000 <= my <= 1_000_000:
        out += ["EPSG:5186", "EPSG:5181", "EPSG:5174"] if my >= 450_000 else ["EPSG:5181", "EPSG:5174", "EPSG:5186"]
    return out
