"""Bad and unusual input: each gives a correct article or one clear line and exit code 3.

Happy paths run the CLI against the fake LLM server and check the text that reached the
model (what the request recorded), so decoding and HTML extraction are checked end to end.
"""

from __future__ import annotations

import html
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer import inputs
from summarizer.api import Summarizer
from summarizer.batch import BatchOutcome, expand_inputs
from summarizer.batch import inputs as batch_inputs
from summarizer.cli import app
from summarizer.errors import InputError
from summarizer.inputs import MAX_BYTES, Article, check_text, parse_bytes, read_article
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import ROOT, SENTINEL_KEY

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
ACCENTED = "Café owners in Málaga said the “naïve” plan — déjà vu — would fail, Noël reported."


def _article_in_request(fake: FakeOpenAI) -> str:
    user = fake.requests[0].body["messages"][1]["content"]
    start = user.index("<article>\n") + len("<article>\n")
    return str(user[start : user.index("\n</article>")])


def _seed_html(seed_text: str) -> str:
    lines = [line for line in seed_text.splitlines() if line.strip() and line != "- News"]
    title, body = lines[0], lines[1:]
    paragraphs = "\n".join(f"<p>{html.escape(line, quote=False)}</p>" for line in body)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | World Desk</title>
<meta property="og:title" content="{html.escape(title)}"></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<main><article><h1>{html.escape(title)}</h1>
{paragraphs}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Celebrity chef opens new restaurant</a></li></ul>
</aside><footer><p>Copyright 2026 World Desk. All rights reserved.</p>
<p>Subscribe to our newsletter</p></footer></body></html>
"""


# -- library: what read_article returns -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("missing", lambda p: None, "no such file"),
        ("directory", lambda p: p.mkdir(), "is a directory"),
        ("empty", lambda p: p.write_bytes(b""), "the article is empty"),
        ("whitespace", lambda p: p.write_bytes(b" \n\t\r\n  \n"), "the article is empty"),
        ("nul-bytes", lambda p: p.write_bytes(b"Some text\x00\x00\x01 more"), "binary file"),
        ("png", lambda p: p.write_bytes(PNG), "a PNG image"),
        ("pdf", lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "a PDF document"),
        ("docx", lambda p: p.write_bytes(b"PK\x03\x04\x14\x00\x06\x00"), "a ZIP archive"),
        ("bad-utf16", lambda p: p.write_bytes(b"\xff\xfeA\x00B"), "not valid UTF-16-LE"),
        # a NUL far from the start is still binary: the whole input is checked
        ("nul-after-8k", lambda p: p.write_bytes(b"word " * 4000 + b"\x00 tail"), "binary file"),
        (
            "nul-in-bom-text",
            lambda p: p.write_bytes(b"\xff\xfe" + "ab\x00cd".encode("utf-16-le")),
            "binary file",
        ),
        ("utf32-no-bom", lambda p: p.write_bytes(ACCENTED.encode("utf-32-le")), "save it as UTF-8"),
        ("control-chars", lambda p: p.write_bytes(bytes(range(1, 32)) * 50), "control characters"),
        ("symlink-loop", lambda p: p.symlink_to(p), "symbolic link loop"),
        ("broken-symlink", lambda p: p.symlink_to(p.parent / "gone.txt"), "broken symbolic link"),
        ("dash-news", lambda p: p.write_text("- News\n"), "no article text"),
        ("symbols", lambda p: p.write_text("!!! ??? ... *** 12 34 — 56\n"), "no article text"),
        (
            "boilerplate-lines",
            lambda p: p.write_text("Advertisement\n- Home\nRead more\nShare this\n© 2026 Desk\n"),
            "no article text",
        ),
    ],
)
def test_bad_file_is_one_clear_input_error(
    name: str, make: Callable[[Path], Any], says: str, tmp_path: Path
) -> None:
    path = tmp_path / "article.txt"
    make(path)
    with pytest.raises(InputError) as info:
        read_article(path)
    message = str(info.value)
    assert says in message and str(path) in message
    assert "\n" not in message


def test_a_url_is_told_how_urls_are_read() -> None:
    with pytest.raises(InputError, match=r"^https://example\.com/story: looks like a URL.*fetch"):
        read_article("https://example.com/story")
    with pytest.raises(InputError, match="only http and https URLs are fetched"):
        read_article("ftp://example.com/story")
    result = _cli("ftp://example.com/a", "--engine", "extractive")
    assert result.exit_code == 3 and "only http and https URLs are fetched" in result.stderr
    result = _cli("http://127.0.0.1:9/a?b=1", "--engine", "extractive")  # fetched: refused
    assert result.exit_code == 3 and "loopback" in result.stderr
    result = runner.invoke(app, ["batch", "ftp://example.com/x", "--engine", "extractive"])
    assert result.exit_code == 3 and "only http and https URLs are fetched" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_regular_only_refuses_fifos_and_devices_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # no writer: a blocking open would never return
    with pytest.raises(InputError, match="is a named pipe \\(FIFO\\), not an article file"):
        read_article(fifo, regular_only=True)
    with pytest.raises(InputError, match="is a device"):
        read_article("/dev/zero", regular_only=True)
    with pytest.raises(InputError, match="4 MB input limit"):  # summarize may read a device
        read_article("/dev/zero")


RUSSIAN = "Парламент утвердил бюджет во вторник, сообщило агентство. Оппозиция голосовала против."


@pytest.mark.parametrize("text", [ACCENTED, RUSSIAN])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_decoded_with_a_warning(
    encoding: str, text: str, tmp_path: Path
) -> None:
    """Known by its NUL bytes: every ASCII code unit (spaces, punctuation) has one."""
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode(encoding))
    article = read_article(path)
    assert article.text == text
    (warning,) = article.warnings
    assert "no byte-order mark" in warning and encoding.upper() in warning


def test_closed_stdin_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when fd 0 is closed
    with pytest.raises(InputError, match="standard input is closed"):
        read_article("-")
    (item,) = expand_inputs(["-"])
    assert isinstance(item.error, InputError) and "standard input is closed" in str(item.error)


def _process(args: list[str], close: int) -> subprocess.CompletedProcess[str]:
    """The real CLI with file descriptor ``close`` closed, as `<&-` / `>&-` / `2>&-` do."""
    cmd = [sys.executable, "-c", "from summarizer.cli import main; main()", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        cmd, env=env, text=True, timeout=60, preexec_fn=lambda: os.close(close), cwd=ROOT,
        stdout=subprocess.PIPE if close != 1 else None,
        stderr=subprocess.PIPE if close != 2 else None,
    )  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="closing a standard descriptor")
@pytest.mark.parametrize("command", ["summarize", "batch"])
def test_cli_with_stdin_closed_is_exit_3(command: str) -> None:
    run = _process([command, "-", "--engine", "extractive"], close=0)
    assert run.returncode == 3, run.stderr
    (line,) = run.stderr.splitlines()
    assert line.startswith("summarizer: error: ") and "standard input is closed" in line


@pytest.mark.skipif(sys.platform == "win32", reason="closing a standard descriptor")
def test_cli_batch_with_stderr_closed_still_writes_the_results(seed_path: Path) -> None:
    run = _process(["batch", str(seed_path), "--engine", "extractive"], close=2)
    assert run.returncode == 0
    assert '"tldr"' in run.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="closing a standard descriptor")
@pytest.mark.parametrize("command", ["summarize", "batch"])
def test_cli_with_stdout_closed_fails_instead_of_losing_the_output(
    command: str, seed_path: Path
) -> None:
    flags = ["--no-progress"] if command == "batch" else []
    run = _process([command, str(seed_path), "--engine", "extractive", *flags], close=1)
    assert run.returncode != 0, run.stderr
    (line,) = run.stderr.splitlines()
    assert "standard output is closed" in line and "-o FILE" in line


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_byte_order_marks_decode_exactly(encoding: str, bom: bytes, tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(bom + ACCENTED.encode(encoding))
    article = read_article(path)
    assert article.text == ACCENTED  # no BOM left, no mojibake
    assert article.warnings == [] and article.title is None


def test_plain_utf8_has_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ACCENTED, encoding="utf-8")
    assert read_article(path) == Article(text=ACCENTED, source=str(path))


def test_cp1252_bytes_decode_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(ACCENTED.encode("cp1252"))
    article = read_article(path)
    assert article.text == ACCENTED  # curly quotes and dashes survive (cp1252, not Latin-1)
    assert len(article.warnings) == 1
    assert "not valid UTF-8" in article.warnings[0] and "Windows-1252" in article.warnings[0]


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    text = "Zürich council voted on the \x81 budget for the new tram line today."
    path.write_bytes(text.encode("latin-1"))
    article = read_article(path)
    assert article.text == text
    assert "Latin-1" in article.warnings[0]


def test_html_page_gives_article_text_and_title(seed_text: str) -> None:
    article = parse_bytes(_seed_html(seed_text).encode(), "page.html")
    assert article.title == "North Korean forces in Ukraine war mean “huge” risk of escalation"
    assert "Both the Kremlin and Pyongyang have denied involvement" in article.text
    for chrome in ("Most read", "Celebrity chef", "Subscribe", "Copyright", "<p>"):
        assert chrome not in article.text


def test_html_is_sniffed_without_the_suffix(seed_text: str) -> None:
    article = parse_bytes(b"\n  <!-- saved page -->\n" + _seed_html(seed_text).encode(), "<stdin>")
    assert article.title is not None and "Mark Rutte" in article.text


def test_html_without_article_text_is_input_error() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>Home</title></head><body><nav>Home</nav></body></html>"
    )
    with pytest.raises(InputError, match="no article text"):
        parse_bytes(page, "empty.html")


def test_text_mentioning_html_stays_text() -> None:
    text = "The <html> tag starts a page, the developer wrote in a long guide for beginners."
    article = parse_bytes(text.encode(), "notes.txt")
    assert article.text == text and article.title is None


def test_html_extraction_is_offline_and_quick(seed_text: str) -> None:
    import socket

    page = _seed_html(seed_text).encode()
    started = time.perf_counter()
    parse_bytes(page, "page.html")  # conftest blocks every non-loopback connect
    assert time.perf_counter() - started < 2.0
    assert socket.socket.connect.__name__ == "guarded"


def test_size_limit_lives_in_one_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_BYTES", 1000)
    ok = ("word " * 200).encode()
    assert len(ok) == 1000 and parse_bytes(ok, "ok.txt").text.startswith("word")
    with pytest.raises(InputError, match=r"larger than the 0\.001 MB input limit"):
        parse_bytes(ok + b"x", "big.txt")


def test_five_megabyte_text_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"All work and no play makes Jack a dull boy.\n" * 120_000)  # 5.3 MB
    assert path.stat().st_size > 5_000_000 > MAX_BYTES
    with pytest.raises(InputError) as info:
        read_article(path)
    assert f"larger than the {MAX_BYTES / 1_000_000:g} MB input limit" in str(info.value)


@pytest.mark.parametrize("text", ["- News", "  \n ", "***", "Breaking news!"])
def test_library_rejects_no_article_text_before_any_request(fake: FakeOpenAI, text: str) -> None:
    summarizer = Summarizer(base_url=fake.url, api_key=SENTINEL_KEY, cache=False)
    with pytest.raises(InputError):
        summarizer.summarize(text)
    assert fake.requests == []


def test_short_real_text_is_accepted() -> None:
    assert check_text("Parliament approved the budget on Tuesday.", "x").text.startswith("Parl")


@pytest.mark.parametrize(
    "text",
    [
        "议会周二批准了预算。",  # Chinese: no spaces, a run of ideographs is many words
        "国会は火曜日に予算を承認した。",  # Japanese: kanji and kana
        "- 新闻\n外交部发言人表示，双方将继续谈判。",
        "국회는 화요일에 내년도 예산안을 최종 승인했다.",  # Korean: words are space-separated
        "日本の国会は木曜日、新しい法律を可決した。野党は反対した。",
    ],
)
def test_short_cjk_text_is_accepted(text: str) -> None:
    assert check_text(text, "x").text == text


@pytest.mark.parametrize("text", ["- 新闻", "广告", "ニュース", "- News\n广告", "12 34 — 56 。"])
def test_cjk_boilerplate_is_still_rejected(text: str) -> None:
    with pytest.raises(InputError, match="no article text"):
        check_text(text, "x")


# -- CLI: one line on stderr and exit code 3, or the right text sent to the model ---------


def _cli(*args: str, input: bytes | str | None = None, **env: str) -> Any:
    return runner.invoke(app, ["summarize", *args], input=input, env=env or None)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing", None, "no such file"),
        ("empty", b"", "the article is empty"),
        ("whitespace", b"   \n\n", "the article is empty"),
        ("binary", b"\x00\x01\x02\x03binary", "binary file"),
        ("png", PNG, "a PNG image"),
        ("boilerplate", b"- News\n", "no article text"),
        ("huge", b"x" * (MAX_BYTES + 1), "MB input limit"),
    ],
)
def test_cli_bad_input_is_one_line_exit_3(
    name: str, content: bytes | None, says: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.txt"
    if content is not None:
        path.write_bytes(content)
    result = _cli(str(path), "--engine", "extractive")
    assert result.exit_code == InputError.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("summarizer: error: ") and says in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_directory_is_one_line_exit_3(tmp_path: Path) -> None:
    result = _cli(str(tmp_path), "--engine", "extractive")
    assert result.exit_code == 3 and "is a directory" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_cli_stdin_boilerplate_is_exit_3() -> None:
    result = _cli("-", "--engine", "extractive", input="- News\n")
    assert result.exit_code == 3 and "<stdin>: no article text" in result.stderr


def _llm_env(fake: FakeOpenAI) -> dict[str, str]:
    return {
        "SUMMARIZER_BASE_URL": fake.url,
        "SUMMARIZER_API_KEY": SENTINEL_KEY,
        "SUMMARIZER_MODEL": "fake-model",
        "SUMMARIZER_CACHE": "0",
    }


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("stdin-utf8", None),
        ("utf8-bom", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
        ("utf16-le-bom", lambda t: b"\xff\xfe" + t.encode("utf-16-le")),
        ("utf16-be-bom", lambda t: b"\xfe\xff" + t.encode("utf-16-be")),
        ("cp1252", lambda t: t.encode("cp1252")),
    ],
)
def test_cli_happy_inputs_send_the_decoded_article(
    name: str,
    encode: Callable[[str], bytes] | None,
    fake: FakeOpenAI,
    seed_text: str,
    good_answer: dict[str, Any],
    tmp_path: Path,
) -> None:
    fake.push(completion(good_answer))
    if encode is None:
        result = _cli("-", input=seed_text.encode("utf-8"), **_llm_env(fake))
    else:
        path = tmp_path / f"{name}.txt"
        path.write_bytes(encode(seed_text))
        result = _cli(str(path), **_llm_env(fake))
    assert result.exit_code == 0, result.stderr
    assert _article_in_request(fake) == seed_text.strip()
    if name == "cp1252":
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("summarizer: warning: ")
        assert "Windows-1252" in lines[0]
    else:
        assert result.stderr == ""


def test_cli_html_page_sends_extracted_text_and_title(
    fake: FakeOpenAI, seed_text: str, good_answer: dict[str, Any], tmp_path: Path
) -> None:
    fake.push(completion(good_answer))
    path = tmp_path / "page.html"
    path.write_text(_seed_html(seed_text), encoding="utf-8")
    result = _cli(str(path), "--format", "markdown", **_llm_env(fake))
    assert result.exit_code == 0, result.stderr
    user = fake.requests[0].body["messages"][1]["content"]
    assert "Its title is: North Korean forces in Ukraine war" in user
    sent = _article_in_request(fake)
    assert "Mark Rutte stated he could not confirm" in sent
    assert "Celebrity chef" not in sent and "<p>" not in sent
    assert "North Korean forces in Ukraine war" in result.stdout  # the title heads the report


def test_trafilatura_is_imported_only_for_html() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from summarizer.inputs import parse_bytes; "
        "parse_bytes(b'Parliament approved the new budget on Tuesday evening.', 'a.txt'); "
        "assert 'trafilatura' not in sys.modules, 'imported for plain text'; "
        "parse_bytes(b'<html><body><article><p>' + b'Parliament approved the budget. ' * 20 "
        "+ b'</p></article></body></html>', 'a.html'); "
        "assert 'trafilatura' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- JSONL lists (batch): each bad line fails alone, with a clear message -----------------


def _list(tmp_path: Path, *lines: bytes) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _row(**fields: str) -> bytes:
    return json.dumps(fields).encode()


def test_an_overlong_list_line_fails_alone_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_inputs, "MAX_LINE_BYTES", 10_000)
    text = "The council met on Tuesday and voted for the budget. " * 4
    huge = _row(id="huge", text="x" * 20_000_000)  # 20 MB on one line
    exact = _row(id="exact", text="y" * (10_000 - 27))
    assert len(exact) == 10_000  # exactly the limit: accepted
    listing = _list(tmp_path, _row(id="a", text=text), huge, exact, _row(id="b", text=text))
    tracemalloc.start()
    try:
        items = list(expand_inputs([str(listing)]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [i.id for i in items] == ["a", f"{listing}:2", "exact", "b"]
    assert [i.error is None for i in items] == [True, False, True, True]
    message = str(items[1].error)
    assert message.startswith(f"{listing}:2: the line is over the 0.01 MB limit")
    assert peak < 5_000_000, f"peak {peak:,} bytes: the long line was held in memory"


def test_lines_the_json_parser_cannot_take_fail_alone(tmp_path: Path) -> None:
    """A 5000-digit number and a list nested 100,000 deep: one error line each."""
    listing = _list(
        tmp_path,
        _row(id="a", text=ACCENTED),
        b'{"id": 1' + b"0" * 5000 + b', "text": "x"}',
        b"[" * 100_000 + b"]" * 100_000,
        _row(id="nul", path="a\u0000b"),
        _row(id="b", text=ACCENTED),
    )
    items = list(expand_inputs([str(listing)]))
    assert [i.id for i in items] == ["a", f"{listing}:2", f"{listing}:3", "nul", "b"]
    assert "not usable JSON (Exceeds the limit" in str(items[1].error)
    assert "nested too deeply" in str(items[2].error)
    with pytest.raises(InputError, match=r"not a usable path \(it contains a NUL character\)"):
        items[3].load()
    assert items[0].error is None and items[4].error is None


def test_cli_batch_names_a_broken_link_before_anything_runs(tmp_path: Path) -> None:
    link = tmp_path / "story.txt"
    link.symlink_to(tmp_path / "moved-away.txt")
    res = runner.invoke(app, ["batch", str(link), "--engine", "extractive"])
    assert res.exit_code == 3 and "is a broken symbolic link" in res.stderr
    assert "nothing was run" in res.stderr and res.stdout == ""


def test_inline_text_over_the_file_byte_limit_fails_alone(tmp_path: Path) -> None:
    big = "é" * (MAX_BYTES // 2 + 1)  # 2 bytes each in UTF-8: just over MAX_BYTES
    listing = _list(tmp_path, _row(id="big", text=big), _row(id="ok", text=ACCENTED))
    assert len(big.encode()) > MAX_BYTES and listing.stat().st_size < batch_inputs.MAX_LINE_BYTES
    big_item, ok_item = expand_inputs([str(listing)])
    assert isinstance(big_item.error, InputError) and big_item.id == "big"
    assert "`text` is larger than the 4 MB input limit" in str(big_item.error)
    assert ok_item.error is None and ok_item.text == ACCENTED


def test_cli_batch_overlong_line_is_one_error_line(
    tmp_path: Path, seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_inputs, "MAX_LINE_BYTES", 50_000)
    listing = _list(
        tmp_path,
        _row(id="one", text=seed_text),
        _row(id="long", text="z" * 200_000),
        _row(id="two", text=seed_text),
    )
    res = runner.invoke(app, ["batch", str(listing), "--engine", "extractive", "--no-progress"])
    assert res.exit_code == 13, res.output
    recs = {json.loads(line)["id"]: json.loads(line) for line in res.stdout.splitlines()}
    assert set(recs) == {"one", f"{listing}:2", "two"}
    error = recs[f"{listing}:2"]["error"]
    assert error["type"] == "InputError" and "over the 0.05 MB limit" in error["message"]


def test_lists_from_elsewhere_can_refuse_path_items(tmp_path: Path) -> None:
    """``allow_paths=False`` (an HTTP service): a `path` never reads a server-side file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("The secret plan was approved by the board on Monday night.", "utf-8")
    lines = [
        _row(id="p", path="../../../../etc/passwd"),
        _row(id="s", path=str(secret)),
        _row(id="both", text=ACCENTED, path=str(secret)),
        _row(id="t", text=ACCENTED),
    ]
    stream = io.BytesIO(b"\n".join(lines))
    items = list(batch_inputs.read_jsonl(stream, "request", allow_paths=False))
    assert [i.id for i in items] == ["p", "s", "both", "t"]
    for item in items[:3]:
        assert isinstance(item.error, InputError) and item.path is None
        assert "`path` items are not accepted here" in str(item.error)
    assert items[3].error is None and items[3].load()[0] == ACCENTED
    listing = _list(tmp_path, *lines)
    refused = list(expand_inputs([str(listing)], allow_paths=False))
    assert [i.error is not None for i in refused] == [True, True, True, False]
    allowed = list(expand_inputs([str(listing)]))  # the CLI default: paths are read
    assert allowed[1].error is None and allowed[1].load()[0].startswith("The secret plan")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("id\x1b[31mred\x1b[0m", "id\\x1b[31mred\\x1b[0m"),
        ("a\nsummarizer: batch done: 0 article(s)", "a\\nsummarizer: batch done: 0 article(s)"),
        ("cr\roverwrite", "cr\\roverwrite"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("odd-\ud800", "odd-\\ud800"),
        ("plain-é 新闻", "plain-é 新闻"),
    ],
)
def test_printable_escapes_control_characters(raw: str, shown: str) -> None:
    assert batch_inputs.printable(raw) == shown


def test_cli_batch_progress_lines_escape_control_characters(tmp_path: Path, seed_text: str) -> None:
    forged = "x\nsummarizer: batch done: 99 article(s) in 0.1s\x1b[2K"
    listing = _list(tmp_path, _row(id=forged, text=seed_text), _row(id="\x1b]0;t\x07", url="u"))
    res = runner.invoke(app, ["batch", str(listing), "--engine", "extractive", "--no-progress"])
    assert res.exit_code == 13, res.output
    assert "\x1b" not in res.stderr and "\x07" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("summarizer: batch done: 2 article(s)")
    assert "\\nsummarizer: batch done: 99" in res.stderr  # shown, escaped, on its own line
    assert {json.loads(line)["id"] for line in res.stdout.splitlines()} == {forged, "\x1b]0;t\x07"}


def test_cli_error_line_escapes_control_characters(tmp_path: Path) -> None:
    res = _cli(str(tmp_path / "evil\x1b[31m\nsummarizer: done.txt"), "--engine", "extractive")
    assert res.exit_code == 3 and "\x1b" not in res.stderr
    assert len(res.stderr.splitlines()) == 1 and "\\x1b[31m\\nsummarizer: done.txt" in res.stderr


def test_an_error_without_a_message_still_says_what_it_was() -> None:
    outcome = BatchOutcome(0, "x", error=MemoryError())
    assert outcome.error_dict()["message"] == "MemoryError (the error gave no message)"
