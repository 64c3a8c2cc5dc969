"""``summarizer serve``: the HTTP API (FastAPI on uvicorn; ``pip install 'summarizer[serve]'``).

``app`` (the app factory), ``routes`` (endpoints), ``models`` (bodies), ``jobs``
(SQLite-backed jobs), ``auth`` (bearer keys), ``limits`` (pool, rates, body size),
``metrics`` (Prometheus), ``problems`` (RFC 9457 errors), ``summarizers`` (one
``Summarizer`` per option set), ``state`` (one process's parts), ``config``.
"""
