"""The fast reader of one-line CSV records reads exactly what the careful reader reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.importers import ImportFileError, _source


def careful(text: str) -> _source.Table:
    """The standard library's strict reader, which names every bad line."""
    original = _source._read_one_line_records
    _source._read_one_line_records = lambda text, **_: None
    try:
        return _source.read_table(text, name="upload.csv")
    finally:
        _source._read_one_line_records = original


def as_read(table: _source.Table) -> tuple:
    return (
        list(table.frame.columns),
        table.frame.to_numpy(dtype=object).tolist(),
        table.lines.tolist(),
        table.raw.tolist(),
        table.bad_rows,
        table.notes,
    )


@pytest.mark.parametrize(
    "text",
    [
        'id,notes\n1,"Quetta, station ""platform"" 1"\n2,ab"c\n',
        "id,notes\r\n1,x\r\n\r\n2,y\r\n",  # Windows line ends and a blank line
        "id,notes\n1,x\n,\n2,y",  # a record of empty fields; no final line end
        "id,notes\n#id,#notes\n1,x\n",  # HXL hashtags
        "id\n1\n   \n2\n",  # a whitespace-only record of a one-column file
        "id,notes\n1, spaced \n2,\u0628\u0644\u0648\u0686\u0633\u062a\u0627\u0646\n",
    ],
)
def test_one_line_files_read_the_same_both_ways(text):
    assert _source._read_one_line_records(text, name="upload.csv") is not None or (
        text.startswith("id\n")  # one-column file with a blank record: careful reader only
    )
    assert as_read(_source.read_table(text, name="upload.csv")) == as_read(careful(text))


@pytest.mark.parametrize(
    ("text", "left_to_careful_reader"),
    [
        ('id,notes\n1,"two\nlines"\n2,y\n', "a quoted field over two lines"),
        ('id,notes\n1,"x"y\n', "a character after a closing quote"),
        ("id,notes\n1,x,extra\n2,y\n", "a long row"),
        ("id,notes\n1\n2,y\n", "a short row"),
        ("id,notes\r1,x\r2,y\r", "old Mac line ends"),
    ],
)
def test_files_that_are_not_one_line_records_go_to_the_careful_reader(text, left_to_careful_reader):
    assert _source._read_one_line_records(text, name="upload.csv") is None, left_to_careful_reader


@pytest.mark.parametrize(
    "text",
    [
        "id,notes\n1,a\x01b\n2,y\n",  # the fast reader's line splitter's separator
        "id,notes\n\n\n1,x\n\n",  # blank lines before and after: numbered as written
        "id,notes\r\n1,x\r\n2,y",  # no final line end after Windows ones
        "id,notes\n1,x\r\n2,y\n",  # mixed line ends
    ],
)
def test_every_file_reads_the_same_both_ways(text):
    assert as_read(_source.read_table(text, name="upload.csv")) == as_read(careful(text))


def test_a_stray_quote_is_still_named_with_its_line():
    with pytest.raises(ImportFileError, match=r"line 2 is not valid CSV"):
        _source.read_table('id,notes\n1,"x"y\n', name="upload.csv")


CELLS = st.one_of(
    st.sampled_from(["", " ", "a,b", 'say "hi"', "#tag", "Quetta", 'ab"c', "x\ny", "é"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
)


def _quoted(value: str) -> str:
    if any(ch in value for ch in ',"\n\r') or value[:1].isspace():
        return '"' + value.replace('"', '""') + '"'
    return value


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=8),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_any_written_file_reads_the_same_both_ways(rows, line_end):
    text = line_end.join(
        ",".join(_quoted(cell) for cell in row) for row in [["a", "b", "c"], *rows]
    )
    try:
        expected = as_read(careful(text))
    except ImportFileError as error:
        with pytest.raises(ImportFileError) as raised:
            _source.read_table(text, name="upload.csv")
        assert str(raised.value) == str(error)
        return
    assert as_read(_source.read_table(text, name="upload.csv")) == expected
