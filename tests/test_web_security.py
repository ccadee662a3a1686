"""Host, Origin and token rules, and the security headers, at the HTTP level."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from drupe.errors import DrupeError
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


@pytest.mark.parametrize(
    "host",
    [
        "evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.20:8765", "",
        "localhost:8765@evil.example", "localhost:evil", "127.0.0.1:8765:80", "localhost:", "[::1]x", "local host",
    ],
)  # fmt: skip
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
        ({"sec-fetch-site": "same-site"}, 403),
    ],
)
def test_writes_need_a_same_origin_browser_or_no_browser(client, headers, status):
    response = client.post("/api/conversations", json={}, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_state_changing_method_is_checked(client, method):
    response = client.request(method, "/api/conversations/x", headers={"origin": "http://evil.example"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://evil.example"}, {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}],
)
def test_cross_site_api_reads_are_refused_too(client, headers):
    assert client.get("/api/providers", headers=headers).status_code == 403


def test_a_cross_site_image_cannot_make_drupe_call_a_provider(fake_upstream):
    """`<img src=".../remote-models">` on another site: Sec-Fetch-Site cross-site, no Origin."""
    upstream = fake_upstream("openai")
    with TestClient(create_app(), base_url=ORIGIN) as client:
        provider = {"name": "Up", "type": "openai", "base_url": upstream.base_url, "api_keys": "sk-stored"}
        created = client.post("/api/providers", json=provider)
        assert created.status_code == 201, created.text
        path = f"/api/providers/{created.json()['id']}/remote-models"
        for site in ("cross-site", "same-site"):
            response = client.get(path, headers={"sec-fetch-site": site, "sec-fetch-dest": "image"})
            assert response.status_code == 403
            assert response.json()["error"]["kind"] == "forbidden"
        assert upstream.requests == []
        assert client.get(path, headers={"sec-fetch-site": "same-origin"}).status_code == 200
        assert [request.path for request in upstream.requests] == ["/v1/models"]


def test_pages_still_open_from_a_link_on_another_site(client):
    assert (
        client.get("/chat", headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}).status_code == 200
    )


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
        ({"cookie": "drupe_token=s3cret-token"}, 401),  # cookies are not per port: never a way in
        ({"authorization": "Bearer s3cret-token"}, 200),
        ({"authorization": "bearer s3cret-token"}, 200),
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


def test_the_token_never_goes_into_a_cookie():
    """Cookies are not per port: another service on this host would receive it."""
    client = remote_client()
    for path in ("/?token=s3cret-token", "/chat/abc?token=s3cret-token&x=1", "/?token=nope"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 200
        assert "set-cookie" not in response.headers
    response = client.get("/api/meta", headers={"authorization": "Bearer s3cret-token"})
    assert response.status_code == 200 and "set-cookie" not in response.headers


def test_a_token_cookie_left_by_an_earlier_version_is_deleted():
    response = remote_client().get("/", headers={"cookie": "other=1; drupe_token=s3cret-token"})
    assert response.headers["set-cookie"].startswith("drupe_token=;")
    assert "Max-Age=0" in response.headers["set-cookie"]


def test_the_highlight_stylesheet_needs_no_token_as_a_link_cannot_send_it():
    client = remote_client()
    assert client.get("/api/highlight.css").status_code == 200
    assert client.get("/api/highlight.css/x").status_code == 401


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


def limited_client(max_body: int = 1000) -> TestClient:
    return TestClient(create_app(max_body=max_body), base_url=ORIGIN)


def test_a_body_over_the_cap_is_refused_before_anything_is_stored():
    client = limited_client()
    response = client.post("/api/conversations", json={"title": "x" * 2000})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["kind"] == "too_large" and "DRUPE_MAX_REQUEST_MB" in error["message"]
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert client.get("/api/conversations").json() == []
    assert client.post("/api/conversations", json={"title": "x" * 450}).status_code == 201


def test_a_chunked_body_over_the_cap_is_refused_too():
    client = limited_client()
    chunks = (b'{"title": "' + b"x" * 400 for _ in range(4))  # no Content-Length: counted as it arrives
    response = client.post("/api/conversations", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too_large"
    assert client.get("/api/conversations").json() == []


def test_the_default_cap_is_32_mib_and_can_be_changed(monkeypatch):
    from drupe import config

    assert config.max_request_bytes() == 32 * 2**20
    monkeypatch.setenv("DRUPE_MAX_REQUEST_MB", "0.5")
    assert config.max_request_bytes() == 2**19
    monkeypatch.setenv("DRUPE_MAX_REQUEST_MB", "lots")
    with pytest.raises(DrupeError, match="DRUPE_MAX_REQUEST_MB must be a positive number"):
        config.max_request_bytes()


def test_trusted_image_hosts_are_a_stored_setting(client):
    path = "/api/settings/trusted-image-hosts"
    assert client.get(path).json() == {"hosts": []}
    saved = client.put(path, json={"hosts": ["IMG.example", "127.0.0.1:8080", "[::1]:9", "img.example"]})
    assert saved.status_code == 200
    assert saved.json() == {"hosts": ["img.example", "127.0.0.1:8080", "[::1]:9"]}
    assert client.get(path).json() == saved.json()
    bad = client.put(path, json={"hosts": ["evil.example/x"]})
    assert bad.status_code == 400 and "is not a host name" in bad.json()["error"]["message"]
    assert client.put(path, json={"hosts": ["h.example"] * 501}).status_code == 422
    assert client.put(path, json={"hosts": []}, headers={"origin": "http://evil.example"}).status_code == 403
    assert client.get(path).json() == saved.json()
