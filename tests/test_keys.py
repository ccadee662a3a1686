from hypothesis import given
from hypothesis import strategies as st

from drupe.keys import join_keys, mask_key, parse_keys


def test_examples():
    assert parse_keys("") == []
    assert parse_keys("sk-a") == ["sk-a"]
    assert parse_keys(" sk-a , sk-b ,, sk-a\nsk-c\n") == ["sk-a", "sk-b", "sk-c"]
    assert parse_keys(r"a\,b,c") == ["a,b", "c"]


def test_mask_shows_prefix_and_last_four():
    assert mask_key("sk-abcdefghijwxyz") == "sk-…wxyz"
    assert "secret" not in mask_key("secret")


key_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(st.lists(key_text, max_size=8))
def test_parsed_keys_are_trimmed_unique_and_non_empty(parts):
    keys = parse_keys(",".join(parts))
    assert all(k and k == k.strip() for k in keys)
    assert len(keys) == len(set(keys))


@given(st.lists(key_text.map(str.strip).filter(bool), max_size=8, unique=True))
def test_join_then_parse_round_trips(keys):
    keys = [k for k in keys if "\n" not in k and "\\" not in k and k == k.strip()]
    assert parse_keys(join_keys(keys)) == keys


@given(st.text(min_size=9, max_size=80))
def test_mask_never_reveals_the_middle(key):
    masked = mask_key(key)
    assert len(masked) <= 8
    assert masked != key


# -- other secrets: header values and URL credentials ------------------------


def test_secret_headers_are_the_auth_ish_ones():
    from drupe.keys import is_secret_header

    for name in ("Authorization", "proxy-authorization", "api-key", "X-API-Key", "x-goog-api-key", "Cookie",
                 "X-Auth-Token", "X-Portkey-Api-Key", "X-Client-Secret", "X-Password", "token", "X-Session",
                 "X-Signature", "X-Credential"):  # fmt: skip
        assert is_secret_header(name), name
    for name in ("X-Team", "Accept", "OpenAI-Organization", "anthropic-version", "User-Agent"):
        assert not is_secret_header(name), name


def test_url_credentials_are_masked_and_come_back_when_sent_back_masked():
    from drupe.keys import mask_url, split_userinfo, unmask_url

    url = "https://alice:s3cr%40t-pass@gw.example.com:8443/v1?x=1"
    assert split_userinfo(url) == ("https://gw.example.com:8443/v1?x=1", "alice:s3cr%40t-pass")
    assert mask_url(url) == "https://alice:***@gw.example.com:8443/v1?x=1"
    assert mask_url("https://TOKEN123456@gw.example.com/") == "https://***@gw.example.com/"
    assert mask_url("http://localhost:8000/a@b") == "http://localhost:8000/a@b"  # an @ in the path is not userinfo
    # Sent back as shown (even with another host or path) the stored credentials are kept.
    assert unmask_url("https://alice:***@gw2.example.com/v2", url) == "https://alice:s3cr%40t-pass@gw2.example.com/v2"
    assert unmask_url("https://bob:new@gw.example.com/", url) == "https://bob:new@gw.example.com/"
    assert (
        unmask_url("https://alice:***@gw.example.com/", "https://gw.example.com/")
        == "https://alice:***@gw.example.com/"
    )


def test_secret_header_values_are_masked_and_kept_when_sent_back_masked():
    from drupe.keys import mask_headers, unmask_headers

    stored = {"Authorization": "Bearer sk-live-0123456789abcdef", "X-Api-Key": "short", "X-Team": "research"}
    shown = mask_headers(stored)
    assert shown == {"Authorization": "Bea…cdef", "X-Api-Key": "…", "X-Team": "research"}
    assert unmask_headers({**shown, "X-Team": "other"}, stored) == {**stored, "X-Team": "other"}
    assert unmask_headers({"authorization": "Bearer new"}, stored) == {"authorization": "Bearer new"}


def test_secret_values_list_what_to_redact():
    from drupe.keys import secret_values

    values = secret_values(
        ["sk-key-1234"], {"Authorization": "Bearer tok-abcdef", "X-Team": "research"},
        ("https://alice:pa55word@h/", "http://proxyuser:prox-pass@p:3128"),
    )  # fmt: skip
    for secret in ("sk-key-1234", "Bearer tok-abcdef", "tok-abcdef", "alice:pa55word", "pa55word", "prox-pass",
                   "YWxpY2U6cGE1NXdvcmQ="):  # fmt: skip
        assert secret in values
    assert "research" not in values and "alice" not in values
    assert list(values) == sorted(values, key=len, reverse=True)


@given(st.text(alphabet="abcXYZ09-._~%!$&'()*+,;=:", min_size=1, max_size=20), st.sampled_from(["", "/v1", "/p?q=1#f"]))
def test_userinfo_split_and_put_back_round_trips(userinfo, rest):
    from drupe.keys import mask_url, split_userinfo, with_userinfo

    url = f"https://{userinfo}@host.example{rest}"
    bare, found = split_userinfo(url)
    assert (bare, found) == (f"https://host.example{rest}", userinfo)
    assert with_userinfo(bare, found) == url
    user, sep, _ = userinfo.partition(":")
    assert split_userinfo(mask_url(url)) == (bare, f"{user}:***" if sep else "***")
