"""Configuration: defaults under one data folder, SANDYK_* overrides, generated secret key."""
from __future__ import annotations

from pathlib import Path

from records import config


def test_defaults_live_under_the_data_folder(tmp_path: Path) -> None:
    settings = config.load(environ={"SANDYK_DATA_DIR": str(tmp_path / "d")})
    data = tmp_path / "d"
    assert settings["DATA_DIR"] == str(data)
    assert settings["DATABASE_URL"] == f"sqlite:///{data / 'sandyk.db'}"
    assert settings["BLOB_STORE_URL"] == f"file://{data / 'blobs'}"
    assert settings["INDEX_URL"] == f"whoosh://{data / 'index'}"


def test_environment_overrides_are_typed(tmp_path: Path) -> None:
    settings = config.load(environ={
        "SANDYK_DATA_DIR": str(tmp_path),
        "SANDYK_DATABASE_URL": "postgresql://u@db/sandyk",
        "SANDYK_MAX_UPLOAD_BYTES": "1024",
        "SANDYK_ALLOWED_TYPES": "pdf, png",
        "SANDYK_HTTPS": "true",
    })
    assert settings["DATABASE_URL"] == "postgresql+psycopg://u@db/sandyk"
    assert settings["MAX_UPLOAD_BYTES"] == 1024
    assert settings["ALLOWED_TYPES"] == ["pdf", "png"]
    assert settings["HTTPS"] is True


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = config.secret_key(tmp_path, "")
    assert len(first) >= 40
    assert config.secret_key(tmp_path, "") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.secret_key(tmp_path, "given") == "given"
