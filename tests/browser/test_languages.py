"""The page in each language drupe speaks: the product page's walkthrough by that language's
accessible names (the seed pages' own words), and Settings → General's language and theme."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WAIT_MS, DrupeServer
from tests.browser.steps import screenshot

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "locale": "en-US", "lang": "en", "settings": "Settings", "model_services": "Model services",
        "providers": "Providers", "add": "+ Add", "add_provider": "Add provider", "provider_name": "Provider name",
        "provider_type": "Provider type", "confirm_add": "Add", "enable": "Enable vLLM", "api_address": "API address",
        "saved": "Saved", "manage": "Manage", "manage_models": "Manage models", "add_model": "Add fake-model",
        "done": "Done", "models": "Models", "check": "Check", "connected": "Connected",
    },
    "zh": {
        "locale": "zh-CN", "lang": "zh-Hans", "settings": "设置", "model_services": "模型服务",
        "providers": "提供商", "add": "+ 添加", "add_provider": "添加提供商", "provider_name": "提供商名称",
        "provider_type": "提供商类型", "confirm_add": "添加", "enable": "启用 vLLM", "api_address": "API 地址",
        "saved": "已保存", "manage": "管理", "manage_models": "管理模型", "add_model": "添加 fake-model",
        "done": "完成", "models": "模型", "check": "检查", "connected": "已连接",
    },
    "es": {
        "locale": "es-ES", "lang": "es", "settings": "Configuración", "model_services": "Servicios de modelos",
        "providers": "Proveedores", "add": "+ Agregar", "add_provider": "Agregar proveedor",
        "provider_name": "Nombre del proveedor", "provider_type": "Tipo de proveedor", "confirm_add": "Agregar",
        "enable": "Activar vLLM", "api_address": "Dirección API", "saved": "Guardado", "manage": "Gestionar",
        "manage_models": "Gestionar modelos", "add_model": "Agregar fake-model", "done": "Listo", "models": "Modelos",
        "check": "Verificar", "connected": "Conectado",
    },
    "pt": {
        "locale": "pt-BR", "lang": "pt", "settings": "Configurações", "model_services": "Serviços de Modelo",
        "providers": "Provedores", "add": "+ Adicionar", "add_provider": "Adicionar Provedor",
        "provider_name": "Nome do provedor", "provider_type": "Tipo de provedor", "confirm_add": "Adicionar",
        "enable": "Ativar vLLM", "api_address": "Endereço da API", "saved": "Salvo", "manage": "Gerenciar",
        "manage_models": "Gerenciar modelos", "add_model": "Adicionar fake-model", "done": "Concluído",
        "models": "Modelos", "check": "Verificar", "connected": "Conectado",
    },
    "fr": {
        "locale": "fr-FR", "lang": "fr", "settings": "Paramètres", "model_services": "Services de modèles",
        "providers": "Fournisseurs", "add": "+ Ajouter", "add_provider": "Ajouter un fournisseur",
        "provider_name": "Nom du fournisseur", "provider_type": "Type de fournisseur", "confirm_add": "Ajouter",
        "enable": "Activer vLLM", "api_address": "Adresse API", "saved": "Enregistré", "manage": "Gérer",
        "manage_models": "Gérer les modèles", "add_model": "Ajouter fake-model", "done": "Terminé",
        "models": "Modèles", "check": "Vérifier", "connected": "Connecté",
    },
    "id": {
        "locale": "id-ID", "lang": "id", "settings": "Pengaturan", "model_services": "Layanan Model",
        "providers": "Penyedia", "add": "+ Tambah", "add_provider": "Tambahkan Penyedia",
        "provider_name": "Nama Penyedia", "provider_type": "Tipe Penyedia", "confirm_add": "Tambahkan",
        "enable": "Aktifkan vLLM", "api_address": "Alamat API", "saved": "Tersimpan", "manage": "Kelola",
        "manage_models": "Kelola model", "add_model": "Tambahkan fake-model", "done": "Selesai", "models": "Model",
        "check": "Periksa", "connected": "Terhubung",
    },
}  # fmt: skip


def open_page(browser, server: DrupeServer, locale: str) -> Iterator[Page]:
    """A page whose browser asks for `locale` (its Accept-Language and navigator.language)."""
    context = browser.new_context(base_url=server.url, locale=locale, viewport={"width": 1360, "height": 860})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture(params=list(WORDS))
def language(request) -> str:
    return request.param


@pytest.fixture
def localized(browser, drupe_server: DrupeServer, language: str) -> Iterator[Page]:
    yield from open_page(browser, drupe_server, WORDS[language]["locale"])


def test_the_walkthrough_in_each_language(localized: Page, language: str, fake_upstream) -> None:
    words = WORDS[language]
    upstream = fake_upstream("openai")
    ui = localized
    ui.goto("/")
    expect(ui.locator("html")).to_have_attribute("lang", words["lang"])

    # Settings → Model services → + Add: the provider's name and type.
    ui.get_by_role("link", name=words["settings"], exact=True).click()
    ui.get_by_role("tab", name=words["model_services"]).click()
    ui.get_by_role("complementary", name=words["providers"]).get_by_role("button", name=words["add"]).click()
    dialog = ui.get_by_role("dialog", name=words["add_provider"])
    dialog.get_by_label(words["provider_name"]).fill("vLLM")
    dialog.get_by_label(words["provider_type"]).select_option(label="OpenAI")
    dialog.get_by_role("button", name=words["confirm_add"], exact=True).click()
    expect(dialog).to_be_hidden()

    # Enable it, give the API address.
    switch = ui.get_by_role("switch", name=words["enable"])
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    address = ui.get_by_label(words["api_address"])
    address.fill(upstream.base_url)
    address.press("Tab")
    expect(ui.get_by_role("status").filter(has_text=words["saved"])).to_be_visible()

    # Manage: add a model from the provider's own list.
    ui.get_by_role("button", name=words["manage"], exact=True).click()
    manage = ui.get_by_role("dialog", name=words["manage_models"])
    manage.get_by_role("button", name=words["add_model"], exact=True).click()
    manage.get_by_role("button", name=words["done"], exact=True).click()
    expect(ui.get_by_role("region", name=words["models"]).locator(".model-row")).to_have_count(1)

    # Check.
    ui.get_by_role("button", name=words["check"], exact=True).click()
    expect(ui.locator(".check-result.ok")).to_contain_text(f"✓ {words['connected']}")
    screenshot(ui, f"settings-{language}.png")


def test_general_stores_the_language_and_theme_and_the_page_follows(browser, drupe_server: DrupeServer) -> None:
    for ui in open_page(browser, drupe_server, "en-US"):
        ui.goto("/settings/general")
        general = ui.get_by_role("tabpanel")
        expect(general.get_by_role("heading", name="General")).to_be_visible()
        expect(ui.get_by_role("tablist", name="Settings").get_by_role("tab").first).to_have_text("General")
        language = general.get_by_label("Language")
        expect(language).to_have_value("")
        expect(language.get_by_role("option")).to_have_text(
            ["The browser's language", "English", "简体中文", "Español", "Português", "Français", "Bahasa Indonesia"]
        )

        language.select_option(label="Français")  # saved, and the page comes back in French
        expect(ui.locator("html")).to_have_attribute("lang", "fr")
        expect(ui.get_by_role("heading", name="Paramètres")).to_be_visible()
        expect(ui.get_by_role("link", name="Discussion", exact=True)).to_be_visible()

        light = ui.evaluate("getComputedStyle(document.body).backgroundColor")
        ui.get_by_label("Thème").select_option(label="Sombre")
        expect(ui.locator("html")).to_have_attribute("data-theme", "dark")
        expect(ui.get_by_role("status").filter(has_text="Enregistré")).to_be_visible()
        dark = ui.evaluate("getComputedStyle(document.body).backgroundColor")
        assert dark != light

        # Stored: a fresh load is dark and French before any script runs.
        page = httpx2.get(f"{drupe_server.url}/settings/general", headers={"accept-language": "es"})
        assert '<html lang="fr" data-theme="dark" class="dark">' in page.text
        ui.reload()
        expect(ui.get_by_label("Thème")).to_have_value("dark")
        expect(ui.get_by_label("Langue")).to_have_value("fr")

        ui.get_by_label("Langue").select_option(value="")  # back to the browser's language
        expect(ui.locator("html")).to_have_attribute("lang", "en")
        expect(ui.get_by_role("heading", name="Settings")).to_be_visible()
