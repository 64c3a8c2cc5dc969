"""The chat-completions call instructor makes, sent by the SDK's own ``post``.

``client.chat.completions.create`` runs every request body through the SDK's TypedDict
transform (``async_maybe_transform``) before it posts it. For the bodies instructor
builds (plain dicts and lists: messages, tools, tool_choice, sampling options) that
transform changes nothing, yet it walks each message against every member of the
message union and costs about 1 ms a call: a fifth of one summarize's CPU against an
instant endpoint. :func:`chat_completions` returns a ``create`` with the same keyword
arguments that posts the body as it is, through the same client (same headers, auth,
base URL, transport, errors, response type). A test checks that both send the same
bytes, re-asks included.

Anything this fast path does not cover (a stream, a ``response_format`` that is not a
plain dict) goes to the SDK's ``create`` unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


def chat_completions(client: Any) -> Callable[..., Awaitable[Any]]:
    """An async ``create(**params)`` for ``client`` (an ``openai.AsyncOpenAI``)."""
    from openai import NotGiven, Omit
    from openai.types.chat import ChatCompletion

    sdk_create = client.chat.completions.create

    async def create(**given: Any) -> Any:
        # create() leaves out what is "not given", as its transform does
        params = {k: v for k, v in given.items() if not isinstance(v, (NotGiven, Omit))}
        response_format = params.get("response_format")
        if params.get("stream") or not (
            response_format is None or isinstance(response_format, dict)
        ):
            return await sdk_create(**params)
        options: dict[str, Any] = {"security": {"bearer_auth": True}}  # as create sends it
        extra_headers = params.pop("extra_headers", None)
        extra_query = params.pop("extra_query", None)
        extra_body = params.pop("extra_body", None)
        if extra_headers is not None:
            options["headers"] = extra_headers
        if extra_query is not None:
            options["params"] = extra_query
        if extra_body is not None:
            options["extra_json"] = extra_body
        if "timeout" in params:
            options["timeout"] = params.pop("timeout")
        return await client.post(
            "/chat/completions", body=params, cast_to=ChatCompletion, options=options
        )

    return create


__all__ = ["chat_completions"]
