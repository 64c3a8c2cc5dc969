"""Fakes for tests, shipped in the package so users' own tests can use them too.

:mod:`summarizer.testing.fake_openai` is an OpenAI-compatible server on loopback that
serves queued answers over real HTTP (so ``openai`` and ``instructor`` run for real).
"""
