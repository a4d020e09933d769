"""Settings: documented, validated, read from the environment and kenning.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning.config import Settings, load_settings
from kenning.errors import ConfigError

# The full table of settings; README.md keeps the most used and links here.
CONFIGURATION_DOC = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_every_setting_is_described_and_documented() -> None:
    documented = CONFIGURATION_DOC.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        variable = f"KENNING_{name.upper()}"
        assert f"`{variable}`" in documented, f"{variable} not in docs/configuration.md"


def test_environment_and_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "kenning.toml"
    toml.write_text('transcript_window_words = 120\nfusion = "weighted"\n')
    monkeypatch.setenv("KENNING_CONFIG", str(toml))
    monkeypatch.setenv("KENNING_FUSION", "rrf")
    settings = load_settings()
    assert settings.transcript_window_words == 120  # from the file
    assert settings.fusion == "rrf"  # the environment wins


def test_invalid_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENNING_FUSION", "magic")
    with pytest.raises(ConfigError, match="fusion"):
        load_settings()


def test_unknown_key_in_toml_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "kenning.toml"
    toml.write_text("chunk_size_typo = 3\n")
    monkeypatch.setenv("KENNING_CONFIG", str(toml))
    with pytest.raises(ConfigError, match="chunk_size_typo"):
        load_settings()


def test_the_old_hnsw_index_setting_means_the_approximate_index(monkeypatch) -> None:
    monkeypatch.setenv("KENNING_VECTOR_INDEX", "hnsw")
    assert load_settings().vector_index == "ivf"
