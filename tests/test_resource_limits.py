"""Resource limits: a GTFS zip bomb is refused before it is inflated (memory stays low), oversized members are
refused with one line naming them, and members are streamed, never inflated whole (docs/security.md)."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

import pytest

from twin.errors import InputError
from twin.io.options import ImportOptions
from twin_plugins.tracks import archive, gtfs

FEED = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Agency,http://example.org,Asia/Seoul\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,One,37.50,127.00\nS2,Two,37.51,127.01\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,1,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20240101,20241231\n",
}
STOP_TIMES = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
              "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n")
BOMB_MB = 160

#: peak memory of a Python process running the twin CLI, in kB (Linux ru_maxrss), printed on its last line
_PEAK = ("import resource, sys\nfrom twin.cli.main import main\ncode = main(sys.argv[1:])\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n")


def _feed(path: pathlib.Path, *, bomb_mb: int = 0) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in FEED.items():
            zf.writestr(name, text)
        with zf.open("stop_times.txt", "w", force_zip64=True) as fh:  # streamed: the bomb is never in memory
            fh.write(STOP_TIMES.encode())
            chunk = b"T1,08:10:00,08:10:00,S2,2\n" * 40_000  # about 1 MB
            for _ in range(bomb_mb):
                fh.write(chunk)
    return path


def _import_peak(project: pathlib.Path, feed: pathlib.Path) -> tuple[int, str, int]:
    run = subprocess.run([sys.executable, "-c", _PEAK, "import", str(project), str(feed)],
                         capture_output=True, text=True, timeout=600)
    lines = run.stderr.strip().splitlines()
    return run.returncode, "\n".join(lines[:-1]), int(lines[-1]) // 1024


def test_a_zip_bomb_is_refused_with_low_memory(tmp_path):
    bomb = _feed(tmp_path / "bomb.zip", bomb_mb=BOMB_MB)
    assert bomb.stat().st_size < 1_000_000  # small on disk...
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("stop_times.txt").file_size > BOMB_MB * 1_000_000  # ...huge inflated
    code, err, peak_bomb = _import_peak(tmp_path / "b.twin.duckdb", bomb)
    assert code == 1
    assert "stop_times.txt: inflates to" in err and "zip bomb" in err and "bomb.zip" in err
    assert "Traceback" not in err
    code, err, peak_small = _import_peak(tmp_path / "s.twin.duckdb", _feed(tmp_path / "small.zip"))
    assert code == 0, err
    # refused before inflating: no more memory than importing a two-stop feed (the bomb is 160 MB inflated)
    assert peak_bomb < peak_small + 64, f"peak {peak_bomb} MB for the bomb, {peak_small} MB for a small feed"


def test_members_past_the_size_limits_are_refused(tmp_path, monkeypatch):
    feed = _feed(tmp_path / "feed.zip", bomb_mb=1)
    monkeypatch.setattr(archive, "MAX_MEMBER", 500_000)
    with pytest.raises(InputError, match=r"stop_times\.txt: inflates to 1\.0 MB from \d+ bytes, more than the 0\.5 MB"):
        gtfs.read_gtfs(feed, ImportOptions())
    monkeypatch.setattr(archive, "MAX_MEMBER", 2 * 1024**3)
    monkeypatch.setattr(archive, "MAX_TOTAL", 600_000)
    with pytest.raises(InputError, match=r"stop_times\.txt: the archive inflates to 1\.0 MB up to this member"):
        gtfs.read_gtfs(feed, ImportOptions())


def test_a_high_ratio_below_the_floor_is_fine_and_sniffing_inflates_nothing(tmp_path, monkeypatch):
    feed = _feed(tmp_path / "feed.zip", bomb_mb=2)  # 2 MB of one repeated line: a high ratio, but small
    assert gtfs.sniff(feed)
    monkeypatch.setattr(archive, "RATIO_FLOOR", 1_000_000)
    assert gtfs.sniff(feed)  # sniffing reads the directory only, and never refuses
    with pytest.raises(InputError, match="zip bomb"):
        gtfs.read_gtfs(feed, ImportOptions())


def test_members_are_streamed_not_inflated_whole(tmp_path, monkeypatch):
    feed = _feed(tmp_path / "feed.zip")

    def whole(*_args, **_kwargs):
        raise AssertionError("a member was inflated whole into memory (ZipFile.read)")

    monkeypatch.setattr(zipfile.ZipFile, "read", whole)
    datas = gtfs.read_gtfs(feed, ImportOptions(timezone="Asia/Seoul"))
    assert [d.name for d in datas][0] == "vehicles"
    assert gtfs.Feed(feed).read("stop_times.txt").shape == (2, 5)
