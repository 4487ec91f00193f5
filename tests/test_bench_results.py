"""The separate benchmarks' sections of bench/RESULTS.md: replaced in place, never below the
summary lines the issue asks to find at the end."""

from __future__ import annotations

from bench.results import put_section, write_section
from bench.team import spread

BEGIN, END = "<!-- x-bench:begin -->", "<!-- x-bench:end -->"
SUMMARY = "SCALE size=1000000 ready_s=9.6\nPEERS size=100000 pydeck_paint_x=1.80\n"


def test_a_new_section_goes_above_the_summary_lines(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\ntable\n\n" + SUMMARY)
    put_section(f"{BEGIN}\nfirst\n{END}", BEGIN, END, results)
    assert results.read_text() == f"# Results\n\ntable\n\n{BEGIN}\nfirst\n{END}\n\n" + SUMMARY


def test_a_section_is_replaced_where_it_is(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Results\n{BEGIN}\nold\n{END}\nmore\n\n" + SUMMARY)
    put_section(f"{BEGIN}\nnew\n{END}", BEGIN, END, results)
    assert results.read_text() == f"# Results\n{BEGIN}\nnew\n{END}\nmore\n\n" + SUMMARY


def test_a_missing_file_gets_the_section(tmp_path):
    results = tmp_path / "RESULTS.md"
    put_section(f"{BEGIN}\nonly\n{END}", BEGIN, END, results)
    assert results.read_text() == f"{BEGIN}\nonly\n{END}\n"


def test_a_section_is_headed_by_when_where_and_how_it_was_measured(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\n" + SUMMARY)
    write_section(
        "x-bench", "X (bench/x.py)", "python -m bench.x", ["- a note"], ["| a |"], results
    )
    text = results.read_text()
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    lines = section.splitlines()
    assert lines[:3] == [BEGIN, "## X (bench/x.py)", ""]
    assert lines[3].startswith("- Date: ") and "; commit " in lines[3]
    assert lines[4].startswith("- Machine: ")
    assert lines[5:] == ["- Command: `python -m bench.x`", "- a note", "", "| a |", END]
    assert text.endswith("\n\n" + SUMMARY)  # the summary lines stay last


def test_a_figure_of_several_visits_is_their_median_with_its_range():
    assert spread([1180.2, 786.4, 897.0], "ms") == "897 ms (786-1,180)"
    assert spread([3.24, 3.05, 3.61], "s", digits=1) == "3.2 s (3.0-3.6)"


def test_the_peers_in_this_page_line_gives_each_peers_paint_over_ours():
    from bench.run import summary_lines

    def painted(app: str, n: int, ms: float) -> dict[str, object]:
        return {"app": app, "n": n, "paint_ms": ms}

    paint = [
        painted("this map", 10_000, 2_000.0),
        painted("st.map in this page", 10_000, 3_000.0),
        painted("FastMarkerCluster in this page", 10_000, 2_100.0),
        {"app": "pydeck in this page", "n": 10_000, "error": "points not painted in 180 s"},
        painted("this map", 1_000_000, 3_000.0),  # no peer in this page measured at this size
    ]
    assert summary_lines([], paint) == [
        "PEERS_IN_PAGE size=10000 pydeck_paint_x=inf st_map_paint_x=1.50 "
        "fastmarkercluster_paint_x=1.05"
    ]
