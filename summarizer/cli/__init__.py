"""The ``summarizer`` command line: ``app`` plus one module per command.

Importing a command module registers it on :data:`summarizer.cli.app.app`; each keeps
its heavy imports inside the command, so ``summarizer --help`` stays fast.
"""

from summarizer.cli import batch, cache, eval, report, schema, serve, summarize
from summarizer.cli.app import app

__all__ = ["app", "batch", "cache", "eval", "main", "report", "schema", "serve", "summarize"]


def main() -> None:
    app()
