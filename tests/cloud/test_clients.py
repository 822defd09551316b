"""The clients' requests sessions read the environment once, and only where that changes
nothing: what each request would have found there is what the session holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from strikeouts.cloud.clients import skip_environment_per_request

VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No proxy, CA bundle or netrc variable; a home without a netrc file."""
    for name in (*VARIABLES, *PROXIES, *(p.lower() for p in PROXIES)):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_a_bare_environment_is_not_read_per_request(bare_environment: Path) -> None:
    session = requests.Session()
    assert skip_environment_per_request(session)
    assert session.trust_env is False and session.verify is True


def test_the_environment_ca_bundle_is_kept_in_the_session(
    bare_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bundle.pem")
    session = requests.Session()
    expected = session.merge_environment_settings("https://x.test/", {}, None, None, None)
    assert skip_environment_per_request(session)
    assert session.verify == "/etc/ssl/certs/bundle.pem"
    assert session.merge_environment_settings("https://x.test/", {}, None, None, None) == expected


@pytest.mark.parametrize("what", ["proxy", "netrc variable", "netrc file"])
def test_a_session_the_environment_configures_is_left_alone(
    bare_environment: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    if what == "proxy":
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    elif what == "netrc variable":
        monkeypatch.setenv("NETRC", str(bare_environment / "auth"))
    else:
        (bare_environment / ".netrc").write_text("machine x.test login a password b\n")
    session = requests.Session()
    assert not skip_environment_per_request(session)
    assert session.trust_env is True
