"""The fixture API of ``strikeouts fixtures serve``, installed on a pytest-httpserver."""

from __future__ import annotations

import re

from pytest_httpserver import HTTPServer

from strikeouts.devstack.fixture_api import KEY, FixtureApi


def install(api: FixtureApi, server: HTTPServer) -> FixtureApi:
    """Answer every request of ``server`` from ``api``."""
    server.expect_request(re.compile(".*")).respond_with_handler(api.handle)
    return api


__all__ = ["KEY", "FixtureApi", "install"]
