"""Secrets at rest: every secret encrypted, clear rows from older versions sealed, and a missing
or wrong secret key refused instead of silently replaced; one unreadable provider stays editable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.registry import Registry
from drupe.secrets import _vault_for
from drupe.store import open_store
from drupe.store.tables import providers as providers_table

KEY = "sk-live-KEY-MUST-NOT-LEAK-0001"
HEADER = "Bearer HEADER-MUST-NOT-LEAK-0002"
PASSWORD = "URLPASS-MUST-NOT-LEAK-0003"
PROXY_PASSWORD = "PROXYPASS-MUST-NOT-LEAK-0004"
BASE_URL = f"https://alice:{PASSWORD}@gw.example.com/v1"
PROXY = f"http://bob:{PROXY_PASSWORD}@127.0.0.1:3128"


def raw_store(home) -> bytes:
    return b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith("drupe.db"))


def add_full(registry: Registry, name: str = "P") -> None:
    registry.add_provider(
        name, "openai", api_keys=[KEY], base_url=BASE_URL, proxy=PROXY,
        headers={"Authorization": HEADER, "X-Team": "research"},
    )  # fmt: skip


def test_every_secret_is_encrypted_at_rest_and_read_back_whole(drupe_home):
    registry = Registry(open_store())
    add_full(registry)
    registry.store.engine.dispose()
    raw = raw_store(drupe_home)
    for secret in ("KEY-MUST-NOT-LEAK", "HEADER-MUST-NOT-LEAK", "URLPASS-MUST-NOT-LEAK", "PROXYPASS-MUST-NOT-LEAK"):
        assert secret.encode() not in raw, secret
    assert b"research" in raw and b"gw.example.com" in raw  # what is not secret stays readable
    provider = Registry(open_store()).get_provider("p")
    assert (provider.api_keys, provider.base_url, provider.proxy) == ([KEY], BASE_URL, PROXY)
    assert provider.headers == {"Authorization": HEADER, "X-Team": "research"}
    endpoint = provider.endpoint()
    assert endpoint.headers["Authorization"] == HEADER and endpoint.base_url == BASE_URL
    for secret in (KEY, HEADER, PASSWORD, PROXY_PASSWORD):
        assert secret in endpoint.secrets


def test_public_dict_masks_every_secret():
    registry = Registry(open_store())
    add_full(registry)
    shown = registry.get_provider("P").public_dict()
    assert shown["base_url"] == "https://alice:***@gw.example.com/v1"
    assert shown["proxy"] == "http://bob:***@127.0.0.1:3128"
    assert shown["headers"] == {"Authorization": "Bea…0002", "X-Team": "research"}
    assert "MUST-NOT-LEAK" not in repr(shown)


def test_masked_values_sent_back_keep_the_secrets_and_new_ones_replace_them():
    registry = Registry(open_store())
    add_full(registry)
    shown = registry.get_provider("P").public_dict()
    edited = registry.edit_provider(
        "P", base_url=shown["base_url"].replace("/v1", "/v2"), proxy=shown["proxy"],
        headers={**shown["headers"], "X-Team": "ops"},
    )  # fmt: skip
    assert edited.base_url == BASE_URL.replace("/v1", "/v2") and edited.proxy == PROXY
    assert edited.headers == {"Authorization": HEADER, "X-Team": "ops"}
    assert registry.edit_provider("P", headers={"Authorization": "Bearer new-one"}).headers == {
        "Authorization": "Bearer new-one"
    }


def test_clear_secrets_written_by_an_older_version_keep_working_and_get_encrypted(drupe_home):
    registry = Registry(open_store())
    registry.add_provider("Old", "openai")
    with registry.store.engine.begin() as conn:  # as rows were written before secrets were sealed
        conn.execute(providers_table.update().values(base_url=BASE_URL, headers={"x-api-key": HEADER}, proxy=PROXY))
    registry.store.engine.dispose()
    assert b"HEADER-MUST-NOT-LEAK" in raw_store(drupe_home)

    registry = Registry(open_store())
    provider = registry.get_provider("old")
    assert (provider.base_url, provider.proxy, provider.headers) == (BASE_URL, PROXY, {"x-api-key": HEADER})
    registry.store.engine.dispose()
    for secret in ("HEADER-MUST-NOT-LEAK", "URLPASS-MUST-NOT-LEAK", "PROXYPASS-MUST-NOT-LEAK"):
        assert secret.encode() not in raw_store(drupe_home), secret
    assert Registry(open_store()).get_provider("old").headers == {"x-api-key": HEADER}


def test_a_missing_key_file_is_not_recreated_while_secrets_need_it(drupe_home):
    add_full(Registry(open_store()))
    original = (drupe_home / "secret.key").read_bytes()
    (drupe_home / "secret.key").unlink()
    with pytest.raises(DrupeError) as caught:
        Registry(open_store()).list_providers()
    message = str(caught.value)
    assert str(drupe_home / "secret.key") in message and "Restore" in message
    assert "DRUPE_SECRET_KEY" in message and "P" in message and "`drupe" not in message  # no face's words
    assert caught.value.code == "secrets_unreadable" and caught.value.data["providers"] == ["P"]
    assert not (drupe_home / "secret.key").exists()
    # Restored, everything is readable again, keys added meanwhile included (none could be).
    (drupe_home / "secret.key").write_bytes(original)
    assert Registry(open_store()).get_provider("P").api_keys == [KEY]


def test_a_wrong_key_is_refused(drupe_home, monkeypatch):
    from cryptography.fernet import Fernet

    add_full(Registry(open_store()))
    monkeypatch.setenv("DRUPE_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(DrupeError, match="DRUPE_SECRET_KEY is not the one the secrets of 1 provider"):
        Registry(open_store()).list_providers()
    monkeypatch.delenv("DRUPE_SECRET_KEY")
    assert Registry(open_store()).get_provider("P").api_keys == [KEY]


def test_a_new_store_without_secrets_may_get_a_new_key(drupe_home):
    Registry(open_store()).add_provider("Plain", "openai")
    (drupe_home / "secret.key").unlink(missing_ok=True)
    registry = Registry(open_store())
    registry.add_provider("Keyed", "openai", api_keys=[KEY])
    assert (drupe_home / "secret.key").exists()
    assert Registry(open_store()).get_provider("Keyed").api_keys == [KEY]


def write_with_another_key(registry: Registry, name: str) -> None:
    """One row whose secrets were encrypted with a key this store does not have."""
    from cryptography.fernet import Fernet

    token = Fernet(Fernet.generate_key()).encrypt(b'{"api_keys": ["sk-lost"]}').decode()
    with registry.store.engine.begin() as conn:
        conn.execute(providers_table.update().where(providers_table.c.name == name).values(api_keys=token))


def test_one_undecryptable_provider_is_flagged_and_can_be_edited_or_removed():
    registry = Registry(open_store())
    add_full(registry, "Good")
    registry.add_provider("Lost", "openai", api_keys=["sk-old"], headers={"Authorization": "Bearer x-old-token"})
    registry.add_model("Lost", "m1")
    write_with_another_key(registry, "Lost")
    _vault_for.cache_clear()
    registry = Registry(open_store())

    listed = {p.name: p for p in registry.list_providers()}
    assert listed["Good"].secrets_unreadable is False and listed["Good"].api_keys == [KEY]
    lost = listed["Lost"]
    assert lost.secrets_unreadable is True and lost.api_keys == []
    assert lost.public_dict()["secrets_unreadable"] is True
    with pytest.raises(DrupeError, match="cannot be decrypted"):
        lost.endpoint()
    # Editing something else keeps the sealed secrets as they are (the right key may come back) ...
    assert registry.edit_provider("Lost", notes="n").secrets_unreadable is True
    # ... a new key replaces them.
    assert registry.get_provider("Lost").headers == {"Authorization": ""}  # its place, value unreadable
    fixed = registry.edit_provider("Lost", api_keys=["sk-new-key"])
    assert fixed.secrets_unreadable is False
    again = Registry(open_store()).get_provider("Lost")
    assert again.api_keys == ["sk-new-key"]
    assert "Authorization" not in again.endpoint().headers  # an empty one would replace the key's
    write_with_another_key(registry, "Lost")
    registry.remove_provider("Lost")
    assert [p.name for p in registry.list_providers()] == ["Good"]


def test_reset_forgets_only_what_cannot_be_decrypted(drupe_home):
    registry = Registry(open_store())
    registry.add_provider("A", "openai", api_keys=["sk-a"], headers={"X-Api-Key": "abcdef", "X-Team": ""})
    (drupe_home / "secret.key").unlink()
    _vault_for.cache_clear()
    registry = Registry(open_store())
    assert registry.unreadable_secrets() == ["A"]
    assert not (drupe_home / "secret.key").exists()  # asking does not make a key
    assert registry.forget_unreadable_secrets() == ["A"]
    provider = Registry(open_store()).get_provider("A")
    assert (provider.api_keys, provider.headers, provider.secrets_unreadable) == ([], {"X-Team": ""}, False)
    Registry(open_store()).edit_provider("A", api_keys=["sk-b"])
    assert Registry(open_store()).get_provider("A").api_keys == ["sk-b"]
    assert Registry(open_store()).unreadable_secrets() == []


def test_settings_remember_which_key_encrypts_the_store():
    registry = Registry(open_store())
    registry.add_provider("A", "openai", api_keys=["sk-a"])
    with registry.store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'secret_key_check'")).all()
    assert len(rows) == 1 and "drupe" not in rows[0][0]


def test_after_a_key_was_remade_the_original_opens_its_providers_and_flags_the_others():
    """The state the old silent re-creation left: some providers under the lost key, some under its replacement."""
    from cryptography.fernet import Fernet

    from drupe.secrets import CHECK_SETTING
    from drupe.store.tables import settings

    registry = Registry(open_store())
    registry.add_provider("Before", "openai", api_keys=["sk-before"])
    registry.add_provider("After", "openai")
    remade = Fernet(Fernet.generate_key())
    with registry.store.engine.begin() as conn:
        conn.execute(
            providers_table.update()
            .where(providers_table.c.name == "After")
            .values(api_keys=remade.encrypt(b'["sk-after"]').decode())
        )
        conn.execute(settings.update().where(settings.c.key == CHECK_SETTING)
                     .values(value=remade.encrypt(b"drupe secret key check").decode()))  # fmt: skip
    _vault_for.cache_clear()
    listed = {p.name: p for p in Registry(open_store()).list_providers()}
    assert listed["Before"].api_keys == ["sk-before"] and listed["After"].secrets_unreadable
