"""The dataset's map payload, published once, and selections sent as packed masks."""

from __future__ import annotations

import base64
import gzip
import json

import numpy as np
import pandas as pd
import pytest

from geo.io import load_bundled
from layers.incidents import DETAIL_LIMIT, IncidentLayer, compact_payload
from layers.payload import (
    MaskedSelection,
    is_published,
    payload_name,
    positions_in,
    publish_payload,
    selection_mask,
    split_rows,
)
from layers.style import group_colours


@pytest.fixture(scope="module")
def bundle():
    return load_bundled()


@pytest.fixture
def colours(bundle):
    return group_colours(bundle.groups.names)


def read_as_the_page_does(data: bytes) -> dict:
    """What static/js/incident_layer.js (unpack, typed) reads from a published file.

    Typed columns come back as base64, as a payload sent with the map carries them.
    """
    length = int.from_bytes(data[:4], "little")
    header = json.loads(data[4 : 4 + length])
    start = -(-(4 + length) // 8) * 8

    def typed(value: object) -> object:
        if isinstance(value, list):
            return [typed(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "at" not in value:
            return {key: typed(item) for key, item in value.items()}
        assert (start + value["at"]) % 8 == 0  # a typed array can view it where it is
        raw = data[start + value["at"] : start + value["at"] + value["bytes"]]
        return {
            "int": value["int"],
            "data": base64.b64encode(raw).decode(),
            "offset": value["offset"],
        }

    return typed(header)


def unpack(mask: str, count: int) -> np.ndarray:
    return np.flatnonzero(np.unpackbits(np.frombuffer(base64.b64decode(mask), np.uint8))[:count])


def test_a_payload_is_written_once_and_read_back_as_the_browser_reads_it(bundle, colours, tmp_path):
    incidents = bundle.incidents
    assert not is_published("hash-1", colours, directory=tmp_path)
    first = publish_payload(incidents, colours, "hash-1", directory=tmp_path, url_prefix="/c")
    path = tmp_path / first.url.removeprefix("/c/")
    written = path.stat().st_mtime_ns
    again = publish_payload(incidents, colours, "hash-1", directory=tmp_path, url_prefix="/c")
    assert again == first and path.stat().st_mtime_ns == written
    assert is_published("hash-1", colours, directory=tmp_path)
    payload = read_as_the_page_does(gzip.decompress(path.read_bytes()))
    assert payload["compact"] is True and payload["count"] == len(incidents) == first.count
    # Every column, as a map that carries them gets them.
    assert payload == json.loads(json.dumps(compact_payload(incidents, colours)))
    assert path.stat().st_mode & 0o444 == 0o444  # the web server can read it
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_another_dataset_or_other_colours_get_another_file(colours):
    changed = {**colours, next(iter(colours)): "#000000"}
    names = {payload_name("a", colours), payload_name("b", colours), payload_name("a", changed)}
    assert len(names) == 3


def test_a_selection_is_a_mask_of_its_positions_and_everything_is_no_mask():
    assert unpack(selection_mask(np.array([0, 2, 9, 15]), 17), 17).tolist() == [0, 2, 9, 15]
    assert selection_mask(np.arange(17), 17) is None
    assert unpack(selection_mask(np.array([], dtype=int), 5), 5).tolist() == []
    with pytest.raises(ValueError, match="within 0-16, got 3-17"):
        selection_mask(np.array([3, 17]), 17)


def test_positions_are_found_for_the_dataset_rows_and_not_for_other_frames(bundle):
    incidents = bundle.incidents
    taken = incidents.iloc[[5, 1, 30]]
    assert positions_in(incidents, taken).tolist() == [5, 1, 30]
    assert positions_in(incidents, incidents).tolist() == list(range(len(incidents)))
    other = taken.set_axis(["x", "y", "z"])
    assert positions_in(incidents, other) is None


def test_a_large_selection_sends_the_url_and_mask_not_the_incidents(bundle, colours, tmp_path):
    incidents = bundle.incidents
    many = incidents.iloc[np.zeros(DETAIL_LIMIT + 1, dtype=int)]  # over the limit, by repeating
    published = publish_payload(incidents, colours, "h", directory=tmp_path, url_prefix="/c")
    positions = np.array([0, 3])
    layer = IncidentLayer(many, colours, shared=MaskedSelection(published, positions))
    sent = json.loads(layer.payload)
    assert sent == {
        "url": published.url,
        "count": len(incidents),
        "selected": 2,
        "mask": selection_mask(positions, len(incidents)),
    }
    small = IncidentLayer(
        incidents.iloc[:3], colours, shared=MaskedSelection(published, np.arange(3))
    )
    assert "columns" in json.loads(small.payload)  # small selections carry every detail


def test_rows_beyond_the_published_frame_are_split_off_while_few(bundle):
    incidents = bundle.incidents.reset_index(drop=True)
    taken = incidents.iloc[[4, 9]]
    positions, extra = split_rows(incidents.index, taken, max_extra=5)
    assert positions.tolist() == [4, 9] and extra is None
    worked_out = incidents.iloc[[0, 1]].set_axis([len(incidents), len(incidents) + 1])
    both = pd.concat([taken, worked_out])
    positions, extra = split_rows(incidents.index, both, max_extra=5)
    assert positions.tolist() == [4, 9]
    assert extra.index.tolist() == [len(incidents), len(incidents) + 1]
    # More: the whole selection is sent.
    assert split_rows(incidents.index, both, max_extra=1) is None


def test_rows_beyond_the_file_go_with_the_mask_and_count_in_the_selection(
    bundle, colours, tmp_path
):
    incidents = bundle.incidents.reset_index(drop=True)
    published = publish_payload(incidents, colours, "h", directory=tmp_path, url_prefix="/c")
    many = incidents.iloc[np.zeros(DETAIL_LIMIT + 1, dtype=int)]
    extra = incidents.iloc[[7, 8, 9]]
    shared = MaskedSelection(published, np.array([0, 3]), extra)
    sent = json.loads(IncidentLayer(many, colours, shared=shared).payload)
    assert sent["selected"] == 5
    assert unpack(sent["mask"], len(incidents)).tolist() == [0, 3]
    assert sent["extra"]["count"] == 3
    assert sent["extra"]["columns"]["place"]["dict"] == list(pd.unique(extra["place"].astype(str)))


def test_old_files_go_when_a_new_one_is_written_also_of_the_earlier_format(
    bundle, colours, tmp_path
):
    import os

    from layers.payload import KEEP_FILES

    older = []
    for k in range(KEEP_FILES):
        path = tmp_path / f"incidents-{k:024x}.json.gz"  # written by an earlier version
        path.write_bytes(b"")
        os.utime(path, (1_000_000 + k, 1_000_000 + k))
        older.append(path)
    new = publish_payload(bundle.incidents, colours, "h", directory=tmp_path, url_prefix="/c")
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) == KEEP_FILES and new.url.removeprefix("/c/") in kept
    assert not older[0].exists() and older[1].exists()  # the oldest went
