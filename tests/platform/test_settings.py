from pathlib import Path

import pytest

from core.platform.settings import ROOT_FALLBACK_HOME, load_settings, resolve_home


def test_database_url_from_environment(tmp_path):
    settings = load_settings({"DATABASE_URL": "postgresql://u@h/db"}, root=tmp_path)
    assert settings.database_url == "postgresql://u@h/db" and not settings.embedded


def test_database_url_from_streamlit_secrets(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('DATABASE_URL = "postgresql://s@h/db"\n')
    assert load_settings({}, root=tmp_path).database_url == "postgresql://s@h/db"


def test_embedded_by_default_under_the_checkout(tmp_path):
    settings = load_settings({}, root=tmp_path)
    assert settings.embedded and settings.home == tmp_path / ".oyna"
    assert settings.pgdata == tmp_path / ".oyna" / "pgdata"


def test_root_never_keeps_data_under_root(monkeypatch, capsys):
    monkeypatch.setattr("os.geteuid", lambda: 0)
    assert resolve_home(Path("/root/project/.oyna")) == ROOT_FALLBACK_HOME
    assert "/var/lib/oyna" in capsys.readouterr().err
    assert resolve_home(Path("/srv/oyna")) == Path("/srv/oyna")


def test_the_live_refresh_is_a_setting_with_a_floor(tmp_path):
    assert load_settings({}, root=tmp_path).live_seconds == 30
    assert load_settings({"OYNA_LIVE_SECONDS": "60"}, root=tmp_path).live_seconds == 60
    for bad in ("2", "soon"):
        with pytest.raises(SystemExit, match="OYNA_LIVE_SECONDS"):
            load_settings({"OYNA_LIVE_SECONDS": bad}, root=tmp_path)
