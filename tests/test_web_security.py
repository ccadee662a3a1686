"""Host, Origin and token rules, and the security headers, at the HTTP level."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from drupe.web.app import create_app
from drupe.web.security import CONTENT_SECURITY_POLICY, is_loopback

ORIGIN = "http://127.0.0.1:8765"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url=ORIGIN)


def remote_client(host: str = "192.168.1.20", token: str | None = "s3cret-token") -> TestClient:
    return TestClient(create_app(host=host, token=token), base_url=f"http://{host}:8765")


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "127.0.0.1", "localhost:8765", "LOCALHOST", "[::1]:8765", "[::1]"])
def test_loopback_host_names_are_served(client, host):
    assert client.get("/api/providers", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.20:8765", ""])
def test_other_host_names_are_refused_against_dns_rebinding(client, host):
    response = client.get("/api/providers", headers={"host": host})
    assert response.status_code == 403
    assert response.json()["error"]["kind"] == "forbidden"
    assert client.get("/", headers={"host": host}).status_code == 403


def test_the_bound_address_is_a_valid_host():
    client = remote_client()
    headers = {"authorization": "Bearer s3cret-token"}
    assert client.get("/api/providers", headers=headers).status_code == 200
    assert client.get("/api/providers", headers={**headers, "host": "evil.example"}).status_code == 403


def test_a_wildcard_bind_accepts_any_host_but_needs_the_token():
    client = remote_client(host="0.0.0.0")
    assert client.get("/api/providers", headers={"host": "mybox.lan:8765"}).status_code == 401
    ok = client.get("/api/providers", headers={"host": "mybox.lan:8765", "authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"origin": ORIGIN}, 201),
        ({}, 201),
        ({"sec-fetch-site": "same-origin"}, 201),
        ({"sec-fetch-site": "none"}, 201),
        ({"origin": "http://evil.example"}, 403),
        ({"origin": "http://127.0.0.1:9999"}, 403),
        ({"origin": "null"}, 403),
        ({"origin": "http://evil.example", "sec-fetch-site": "same-origin"}, 403),
        ({"sec-fetch-site": "cross-site"}, 403),
    ],
)
def test_writes_need_a_same_origin_browser_or_no_browser(client, headers, status):
    response = client.post("/api/conversations", json={}, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_is_checked(client, method):
    response = client.request(method, "/api/conversations/x", headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_cross_site_reads_are_not_blocked_by_origin(client):
    assert client.get("/api/providers", headers={"origin": "http://evil.example"}).status_code == 200


def test_loopback_needs_no_token(client):
    assert client.get("/api/meta").json()["token_required"] is False


def test_off_loopback_a_token_is_made_up_when_none_is_given():
    app = create_app(host="192.168.1.20")
    assert app.state.token and len(app.state.token) >= 24
    assert create_app(host="192.168.1.20").state.token != app.state.token


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer wrong"}, 401),
        ({"authorization": "Basic s3cret-token"}, 401),
        ({"cookie": "drupe_token=wrong"}, 401),
        ({"authorization": "Bearer s3cret-token"}, 200),
        ({"authorization": "bearer s3cret-token"}, 200),
        ({"cookie": "drupe_token=s3cret-token"}, 200),
    ],
)
def test_off_loopback_every_api_request_needs_the_token(headers, status):
    response = remote_client().get("/api/providers", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["kind"] == "token"


def test_the_pages_themselves_load_without_the_token_so_they_can_ask_for_it():
    client = remote_client()
    assert client.get("/").status_code == 200
    assert client.get("/api/meta").status_code == 401


def test_visiting_with_the_token_sets_a_cookie_and_drops_it_from_the_address():
    client = remote_client()
    response = client.get("/chat/abc?token=s3cret-token&x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/chat/abc?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("drupe_token=s3cret-token;")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/meta").json()["token_required"] is True  # the client kept the cookie


def test_a_wrong_token_in_the_address_is_refused():
    client = remote_client()
    response = client.get("/?token=nope", follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/api/providers", "/api/nope", "/api/highlight.css"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_security_headers_on_refusals_too(client):
    headers = client.get("/api/providers", headers={"host": "evil.example"}).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_loopback_detection():
    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.2", "example.com"]))
