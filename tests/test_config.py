"""Configuration is resolved once: explicit value > environment > default."""

from __future__ import annotations

import re
from typing import Any

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


def test_credentials_in_the_base_url_are_refused_not_sent_instead_of_the_key() -> None:
    # The SDK turned user:pass@ into Basic auth and silently dropped the Bearer key.
    cases: list[tuple[dict[str, str], str | None]] = [
        ({"SUMMARIZER_BASE_URL": "https://user:secret@h.test/v1"}, None),
        ({}, "https://user:secret@h.test/v1"),
        ({}, "https://tok@h.test/v1"),
    ]
    for env, flag in cases:
        with pytest.raises(ConfigError, match="SUMMARIZER_API_KEY") as info:
            resolve_settings(env=env, base_url=flag)
        assert "secret" not in str(info.value) and "tok" not in str(info.value)


def test_a_query_string_is_kept_apart_from_the_path_and_the_endpoint_name() -> None:
    s = resolve_settings(env={}, base_url="https://x.test:8443/openai/v1?api-version=2024-10-21")
    assert s.endpoint_host == "https://x.test:8443/openai/v1"
    assert s.effective_base_url == "https://x.test:8443/openai/v1"
    assert s.base_query == {"api-version": "2024-10-21"}


@pytest.mark.parametrize("url", ["127.0.0.1:8000/v1", "  ", "ftp://h/v1", "http:///v1"])
def test_a_base_url_without_scheme_or_host_says_what_to_write(url: str) -> None:
    with pytest.raises(ConfigError, match=re.escape("http://127.0.0.1:8000/v1")):
        resolve_settings(env={}, base_url=url)


def test_spaces_around_a_base_url_are_dropped() -> None:
    assert resolve_settings(env={}, base_url=" http://h:1/v1 \n").base_url == "http://h:1/v1"
    env = {"SUMMARIZER_BASE_URL": "http://h:1/v1  "}
    assert resolve_settings(env=env).base_url == "http://h:1/v1"


def test_each_setting_declares_its_environment_variable_once() -> None:
    from summarizer.config import FIELDS, env_names

    for name in FIELDS:
        assert env_names(name)[0] == f"SUMMARIZER_{name.upper()}"
    assert env_names("api_key") == ("SUMMARIZER_API_KEY", "OPENAI_API_KEY")


def test_api_key_is_not_in_repr() -> None:
    s = resolve_settings(env={}, api_key="sk-very-secret", base_url="http://127.0.0.1:1/v1")
    assert "sk-very-secret" not in repr(s) and "sk-very-secret" not in str(s)


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://127.0.0.1:99999/v1", "99999"),
        ("http://host:abc/v1", "abc"),
        ("http://127.0.0.1:0/v1", "0"),
        ("https://user:secret@host:-1/v1", "-1"),
        ("http://[::1]:70000/v1", "70000"),
    ],
)
def test_bad_base_url_port_is_a_config_error(url: str, port: str) -> None:
    for env, flag in (({"SUMMARIZER_BASE_URL": url}, None), ({}, url)):
        with pytest.raises(ConfigError, match="port") as info:
            resolve_settings(env=env, base_url=flag)
        message = str(info.value)
        assert repr(port) in message and "1 to 65535" in message and "--base-url" in message
        assert "secret" not in message


def test_good_base_url_ports_pass() -> None:
    for url in ("http://127.0.0.1:65535/v1", "http://[::1]:8080/v1", "https://example.test/v1"):
        assert resolve_settings(env={}, base_url=url).base_url == url


@pytest.mark.parametrize("name", ["timeout", "deadline", "retry_max_wait", "temperature", "top_p"])
@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "NaN", "Infinity"])
def test_non_finite_numbers_are_config_errors(name: str, raw: str) -> None:
    says = f"{name.replace('_', '-')} must be a finite number"
    with pytest.raises(ConfigError, match=says):
        resolve_settings(env={f"SUMMARIZER_{name.upper()}": raw})
    flag: dict[str, Any] = {name: float(raw)}
    with pytest.raises(ConfigError, match=says):
        resolve_settings(env={}, **flag)


def test_small_chunk_size_uses_the_clamped_default_overlap() -> None:
    s = resolve_settings(env={"SUMMARIZER_CHUNK_TOKENS": "400"})
    assert s.chunk_tokens == 400
    assert resolve_settings(env={}, chunk_tokens=400).chunk_tokens == 400
    assert resolve_settings(env={}).with_overrides(chunk_tokens=400).chunk_tokens == 400
    env = {"SUMMARIZER_CHUNK_TOKENS": "400", "SUMMARIZER_CHUNK_OVERLAP": "150"}
    assert resolve_settings(env=env).chunk_overlap == 150


@pytest.mark.parametrize("overlap", ["400", "1000", "200", "-1"])
def test_explicit_overlap_too_large_for_the_chunk_size_is_still_an_error(overlap: str) -> None:
    env = {"SUMMARIZER_CHUNK_TOKENS": "400", "SUMMARIZER_CHUNK_OVERLAP": overlap}
    with pytest.raises(ConfigError, match="chunk-overlap") as info:
        resolve_settings(env=env)
    assert "SUMMARIZER_CHUNK_OVERLAP" in str(info.value)
    with pytest.raises(ConfigError, match="chunk-overlap"):
        resolve_settings(env={}, chunk_tokens=400, chunk_overlap=int(overlap))
    with pytest.raises(ConfigError, match="chunk-overlap"):
        resolve_settings(env={}, chunk_tokens=400).with_overrides(chunk_overlap=int(overlap))


def test_a_malformed_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid URL"):
        resolve_settings(base_url="http://[::1/v1")
