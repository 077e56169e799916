"""The legend groups its layers by smart-city stage (issue 11: the demo's 36 rows as four short groups)."""

from __future__ import annotations

from twin.render.overlay import LegendBlock, _legend_rows, fitting_font_size, stage_heading


def _blocks() -> list[LegendBlock]:
    return [LegendBlock("roads", [("roads", "#888888")], stage=1),
            LegendBlock("cctv", [("cctv", "#e53935")], stage=2),
            LegendBlock("buildings", [("old", "#cccccc"), ("new", "#3366cc")], subtitle="age", stage=1),
            LegendBlock("Links", [("incident → CCTV", "#e91e63")])]


def test_rows_are_grouped_under_one_title_per_stage_in_stage_order():
    rows = _legend_rows(_blocks())
    texts = [(r.text, r.depth, r.heading) for r in rows]
    assert texts[0] == (stage_heading(1)[0], 0, True) and texts[0][0].startswith("Stage 1")
    # stage 1 keeps its layers' draw order (roads, then buildings and their entries one step further in)
    assert texts[1:5] == [("roads", 1, False), ("buildings  ·  age", 1, False), ("old", 2, False), ("new", 2, False)]
    assert texts[5][0].startswith("Stage 2") and texts[6] == ("cctv", 1, False)
    # a block of no stage (links) follows the groups, ungrouped, after a gap
    assert texts[7] == ("Links", 0, False) and rows[7].gap and not rows[0].gap and rows[5].gap


def test_without_stages_the_legend_is_as_before():
    rows = _legend_rows([LegendBlock("a", [("a", "#111111")]), LegendBlock("b", [("x", "#222222"), ("y", "#333333")])])
    assert [(r.text, r.depth, r.heading) for r in rows] == [("a", 0, False), ("b", 0, False), ("x", 1, False),
                                                             ("y", 1, False)]


def test_stage_titles_come_from_the_stages_plugin_and_unknown_stages_still_read():
    title, color = stage_heading(2)
    assert title.startswith("Stage 2 · ") and len(title) > len("Stage 2 · ") and color
    assert stage_heading(9) == ("Stage 9", None)


def test_a_grouped_demo_sized_legend_stays_inside_a_1440x900_view():
    import pyvista as pv

    from twin.render.overlay import Overlay

    blocks = [LegendBlock(f"layer {i}", [(f"layer {i}", "#3366cc")], stage=1 + i % 4) for i in range(36)]
    plotter = pv.Plotter(off_screen=True, window_size=(1100, 820))  # the 3D view of a 1440x900 window
    try:
        overlay = Overlay(plotter.renderer)
        overlay.set_legend(blocks)
        panel = overlay._actors[0].GetMapper().GetInput().GetBounds()
        assert panel[2] >= 0 and panel[3] <= 820, panel
        assert fitting_font_size(13, 40 + 0.4 * 3, 820) >= 9  # still readable
    finally:
        plotter.close()


def test_a_legend_too_long_for_a_small_view_drops_its_groups_then_its_tail():
    from twin.render.overlay import fitting_rows

    blocks = [LegendBlock(f"layer {i}", [("", "#336699")], stage=1 + i % 4) for i in range(12)]
    grouped, size = fitting_rows(blocks, 13, 700)
    assert any(row.heading for row in grouped) and len(grouped) == 16  # room enough: four stage titles
    small, size = fitting_rows(blocks, 13, 240)
    assert not any(row.heading for row in small) and len(small) == 12  # ungrouped, all layers
    assert int(size * 1.6) * 12 <= 240 - 48
    tiny, size = fitting_rows(blocks, 13, 150)
    assert tiny[-1].text.startswith("... ") and int(size * 1.6) * len(tiny) <= 150 - 48
    assert [row.text for row in tiny[:-1]] == [f"layer {i}" for i in range(len(tiny) - 1)]
