"""Write the SAMPLE air-quality CSV shipped with the plugin (synthetic values, fixed seed).

    python tools/make_sample.py   # rewrites src/twin_airquality/data/sample_seoul_airquality_2024-03.csv

The layout follows Seoul's hourly air-quality exports (one row per station and hour, Korean
headers, PM in µg/m³ and gases in ppm, -1 for an instrument check, empty for no data). Station
codes and positions follow the 25 district stations of Seoul (positions approximate); the values
are generated: a daily cycle (traffic peaks for NO2/CO, afternoon ozone) plus a yellow-dust
episode on 2 March that pushes PM10 far above the WHO guideline. Not real measurements.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd

OUT = pathlib.Path(__file__).resolve().parents[1] / "src/twin_airquality/data/sample_seoul_airquality_2024-03.csv"

STATIONS = [  # code, name, latitude, longitude (approximate station positions)
    (101, "종로구", 37.572016, 127.005008), (102, "중구", 37.564263, 126.974676),
    (103, "용산구", 37.540033, 127.004850), (106, "마포구", 37.555580, 126.905597),
    (108, "광진구", 37.547180, 127.092493), (111, "성북구", 37.606719, 127.027279),
    (114, "노원구", 37.658774, 127.068505), (116, "강서구", 37.544640, 126.835151),
    (119, "영등포구", 37.524070, 126.896001), (122, "서초구", 37.504547, 126.994458),
    (123, "강남구", 37.517528, 127.047470), (124, "송파구", 37.502686, 127.092509),
]


def main() -> None:
    rng = np.random.default_rng(20240301)
    hours = pd.date_range("2024-03-01 00:00", "2024-03-03 23:00", freq="h")
    n_s, n_h = len(STATIONS), len(hours)
    hod = hours.hour.to_numpy()[None, :]
    t = np.arange(n_h)[None, :]
    traffic = 1 + 0.35 * np.exp(-((hod - 8) ** 2) / 4) + 0.3 * np.exp(-((hod - 19) ** 2) / 5)
    sunny = np.clip(np.sin((hod - 7) / 12 * np.pi), 0, None)
    episode = np.exp(-((t - 40) ** 2) / (2 * 7.0 ** 2))  # yellow dust peaking 2 March 16:00
    site = rng.normal(1.0, 0.12, (n_s, 1))
    noise = lambda scale: rng.normal(1.0, scale, (n_s, n_h))  # noqa: E731
    pm10 = (38 * site * traffic + 150 * episode * rng.normal(1.0, 0.1, (n_s, 1))) * noise(0.12)
    pm25 = (19 * site * traffic + 45 * episode) * noise(0.15)
    no2 = 0.024 * site * traffic ** 1.6 * noise(0.15)
    o3 = (0.012 + 0.03 * sunny) * noise(0.2) / site
    co = 0.38 * site * traffic * noise(0.1)
    so2 = 0.0032 * noise(0.2)
    values = {"PM10": np.round(pm10).astype(int), "PM2.5": np.round(pm25).astype(int), "NO2": np.round(no2, 3), "O3": np.round(o3, 3),
              "CO": np.round(co, 1), "SO2": np.round(so2, 4)}
    rows = pd.DataFrame({
        "측정일시": np.tile(hours.strftime("%Y-%m-%d %H:%M"), n_s),
        "측정소코드": np.repeat([s[0] for s in STATIONS], n_h),
        "측정소명": np.repeat([s[1] for s in STATIONS], n_h),
        "위도": np.repeat([s[2] for s in STATIONS], n_h),
        "경도": np.repeat([s[3] for s in STATIONS], n_h),
        **{k: v.ravel() for k, v in values.items()},
    }).astype({k: object for k in values})
    # what real exports contain: instrument checks (-1) and gaps (empty)
    for column, count, mark in (("PM10", 3, -1), ("PM2.5", 2, -1), ("PM2.5", 4, ""), ("NO2", 2, "")):
        rows.loc[rng.choice(len(rows), count, replace=False), column] = mark
    rows = rows.sort_values(["측정일시", "측정소코드"], kind="stable")
    rows.to_csv(OUT, index=False, encoding="utf-8")
    print(f"wrote {OUT} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
