"""``MOTCUA_ASSISTANT``: the catalogue answerer by default; a name nobody wrote stops
the app as it starts, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.assistant import answerers
from backend.settings import Settings, SettingsError
from backend.settings.assistant import ANSWERERS
from tests.test_cli import cli_env, free_port, run


def test_the_catalogue_answers_by_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    assert settings.assistant.answerer == "catalogue"
    assert answerers.build("catalogue").name == "catalogue"


def test_the_settings_know_every_answerer_of_the_registry() -> None:
    assert set(ANSWERERS) == set(answerers.REGISTRY)


@pytest.mark.parametrize("value", ["chatgpt", "Catalogue", "catalogue llm"])
def test_an_unknown_answerer_is_refused_naming_the_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_ASSISTANT": value})
    assert refused.value.variable == "MOTCUA_ASSISTANT"
    assert "catalogue" in str(refused.value)


def test_the_registry_refuses_a_name_it_does_not_have() -> None:
    with pytest.raises(SettingsError, match="MOTCUA_ASSISTANT"):
        answerers.build("oracle")


async def test_a_bad_answerer_stops_serve_with_one_clear_line(tmp_path: Path) -> None:
    env = await cli_env(tmp_path, "cli_assistant", MOTCUA_ASSISTANT="oracle")
    result = run(["serve", "--port", str(free_port())], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("motcua: configuration error: MOTCUA_ASSISTANT: ")


def test_an_empty_value_means_the_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_ASSISTANT": " "})
    assert settings.assistant.answerer == "catalogue"
