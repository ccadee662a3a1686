"""Which provider models a client's `model` names (drupe.gateway.api.catalog), from records alone:
routes, `PROVIDER/MODEL_ID`, bare IDs, and what is refused, with which code."""

from __future__ import annotations

import pytest

from drupe.errors import DrupeError
from drupe.gateway.api.catalog import Catalog
from drupe.gateway.routes import Route
from drupe.provider_records import Model, Provider

PROVIDERS = [
    Provider("p1", "Work", "openai", base_url="http://127.0.0.1:1", api_keys=["sk-work"]),
    Provider("p2", "home", "anthropic", base_url="http://127.0.0.1:2"),
    Provider("p3", "off", "openai", enabled=False),
    Provider("p4", "a", "openai"),
    Provider("p5", "a/b", "gemini"),
    Provider("p6", "locked", "openai", secrets_unreadable=True),
]
MODELS = [
    Model(1, "p1", "gpt-4o", "GPT-4o", "", []),
    Model(2, "p1", "shared", "", "", []),
    Model(3, "p2", "shared", "", "", []),
    Model(4, "p2", "claude", "", "", []),
    Model(5, "p3", "hidden", "", "", []),
    Model(6, "p1", "meta-llama/llama-3", "", "", []),
]
ROUTES = [
    Route("fast", ("off/hidden", "home/claude", "gone/x", "Work/gpt-4o")),
    Route("dead", ("off/hidden",)),
    Route("gpt-4o", ("home/claude",)),  # a route shadows a model ID: an alias
]
catalog = Catalog(PROVIDERS, MODELS, ROUTES)

FOUND = [
    ("work/gpt-4o", "Work/gpt-4o", ["Work/gpt-4o"], None),
    ("WORK/not-listed-here", "Work/not-listed-here", ["Work/not-listed-here"], None),
    ("claude", "home/claude", ["home/claude"], None),
    ("meta-llama/llama-3", "Work/meta-llama/llama-3", ["Work/meta-llama/llama-3"], None),
    ("work/meta-llama/llama-3", "Work/meta-llama/llama-3", ["Work/meta-llama/llama-3"], None),
    ("FAST", "fast", ["home/claude", "Work/gpt-4o"], "fast"),
    ("gpt-4o", "gpt-4o", ["home/claude"], "gpt-4o"),
]


@pytest.mark.parametrize(("name", "addressed", "targets", "route"), FOUND, ids=[case[0] for case in FOUND])
def test_a_name_resolves_to_its_targets(name, addressed, targets, route):
    resolved = catalog.resolve(name)
    assert (resolved.addressed, [t.address for t in resolved.targets], resolved.route) == (addressed, targets, route)


def test_a_target_carries_its_providers_endpoint():
    (target,) = catalog.resolve("work/gpt-4o").targets
    assert target.endpoint is not None and target.endpoint.api_keys == ("sk-work",)
    assert (target.provider_type, target.model_id) == ("openai", "gpt-4o")
    (locked,) = catalog.resolve("locked/m").targets
    assert locked.endpoint is None and locked.problem is not None and locked.problem.code == "secrets_unreadable"


REFUSED = [
    ("nothing", "not_found", "no such model or route"),
    ("off/hidden", "not_found", "provider 'off' is disabled"),
    ("hidden", "not_found", "no such model or route"),
    ("nobody/gpt-4o", "not_found", "GET /v1/models"),
    ("shared", "ambiguous", "Work/shared, home/shared"),
    ("a/b/c", "ambiguous", "rename one of these providers"),
    ("dead", "unavailable", "disabled or removed"),
]


@pytest.mark.parametrize(("name", "code", "words"), REFUSED, ids=[case[0] for case in REFUSED])
def test_what_names_nothing_usable_is_refused_saying_why(name, code, words):
    with pytest.raises(DrupeError) as caught:
        catalog.resolve(name)
    assert caught.value.code == code and words in str(caught.value)


def test_the_model_list_has_enabled_providers_models_and_the_routes():
    assert [(m.id, m.owned_by) for m in catalog.models] == [
        ("Work/gpt-4o", "Work"), ("Work/shared", "Work"), ("home/shared", "home"), ("home/claude", "home"),
        ("Work/meta-llama/llama-3", "Work"), ("fast", "route"), ("dead", "route"), ("gpt-4o", "route"),
    ]  # fmt: skip
