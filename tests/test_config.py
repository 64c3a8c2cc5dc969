"""Configuration is resolved once: explicit value > environment > default."""

from __future__ import annotations

import pytest

from summarizer.config import DEFAULT_MODEL, OPENAI_URL, resolve_settings
from summarizer.errors import ConfigError


def test_defaults_without_environment() -> None:
    s = resolve_settings(env={})
    assert s.model == DEFAULT_MODEL and s.mode == "tools" and s.temperature == 0.0
    assert s.base_url is None and s.api_key is None
    assert s.resolved_engine == "extractive"  # auto without endpoint or key


def test_summarizer_variables_win_over_openai_fallbacks() -> None:
    env = {
        "SUMMARIZER_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_BASE_URL": "http://127.0.0.1:8/v1",
        "SUMMARIZER_API_KEY": "sk-summarizer",
        "OPENAI_API_KEY": "sk-openai",
    }
    s = resolve_settings(env=env)
    assert s.base_url == "http://127.0.0.1:9/v1"
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-summarizer"


def test_openai_variables_are_the_fallback() -> None:
    s = resolve_settings(env={"OPENAI_API_KEY": "sk-openai", "OPENAI_BASE_URL": "http://h:1/v1"})
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-openai"
    assert s.base_url == "http://h:1/v1"
    assert s.resolved_engine == "llm"


def test_key_alone_means_openai() -> None:
    s = resolve_settings(env={"OPENAI_API_KEY": "sk-openai"})
    assert s.effective_base_url == OPENAI_URL and s.resolved_engine == "llm"


def test_explicit_values_win_over_environment() -> None:
    env = {"SUMMARIZER_MODEL": "env-model", "SUMMARIZER_TEMPERATURE": "0.7"}
    s = resolve_settings(env=env, model="flag-model")
    assert s.model == "flag-model" and s.temperature == 0.7


def test_unset_flags_do_not_override_environment() -> None:
    s = resolve_settings(env={"SUMMARIZER_MODEL": "env-model"}, model=None)
    assert s.model == "env-model"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUMMARIZER_TEMPERATURE": "hot"}, "SUMMARIZER_TEMPERATURE"),
        ({"SUMMARIZER_MODE": "xml"}, "unknown mode"),
        ({"SUMMARIZER_ENGINE": "gpt"}, "unknown engine"),
        ({"SUMMARIZER_BASE_URL": "localhost:8000"}, "http"),
        ({"SUMMARIZER_ENGINE": "llm"}, "OPENAI_API_KEY"),
        ({"SUMMARIZER_MAX_RETRIES": "-1"}, "0 or more"),
    ],
)
def test_bad_values_are_config_errors_that_say_what_to_fix(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_settings(env=env)


def test_endpoint_host_never_carries_credentials() -> None:
    s = resolve_settings(env={}, base_url="https://user:secret@example.test:8443/v1?key=abc")
    assert s.endpoint_host == "https://example.test:8443/v1"


def test_api_key_is_not_in_repr() -> None:
    s = resolve_settings(env={}, api_key="sk-very-secret", base_url="http://127.0.0.1:1/v1")
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in str(s)
