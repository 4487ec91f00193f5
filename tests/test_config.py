"""Streamlit settings that keep the dashboard private and offline."""

import tomllib

from tests.conftest import ROOT


def test_streamlit_never_phones_home():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    # Headless: no e-mail prompt that posts to Streamlit; a fixed address: no external-IP lookup.
    assert config["server"]["headless"] is True
    assert config["browser"]["serverAddress"] == "localhost"
    # The map's vendored scripts are served from ./static.
    assert config["server"]["enableStaticServing"] is True
    # 50 MiB per file (each uploader's max_upload_size); the server allows the multipart framing.
    assert config["server"]["maxUploadSize"] == 51
    # No traceback, path or exception text reaches a user; no unneutralised CSV export.
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["disableDataExport"] is True
