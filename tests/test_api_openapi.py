"""The OpenAPI document matches the API: every route described, every described route exists."""

from __future__ import annotations

import re

METHODS = {"get", "post", "put", "patch", "delete"}
PREFIX = "/api/v1"


def routes(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every rule of the API blueprint."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
            out |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    return out


def described(document: dict) -> set[tuple[str, str]]:
    return {(path, m) for path, item in document["paths"].items() for m in item if m in METHODS}


def refs(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found | {r for v in value.values() for r in refs(v)}
    if isinstance(value, list):
        return {r for v in value for r in refs(v)}
    return set()


def test_every_route_is_described_and_every_described_route_exists(app, client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": PREFIX}]
    assert routes(app) == described(document)
    assert ("/quizzes/{slug}/attempts", "post") in routes(app)


def test_every_reference_resolves_and_path_parameters_are_declared(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    for ref in refs(document):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][section], ref
    for path, item in document["paths"].items():
        for name in re.findall(r"{(\w+)}", path):
            for method, operation in item.items():
                declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert name in declared, (path, method)


def test_operations_document_their_error_responses(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    attempt = document["paths"]["/quizzes/{slug}/attempts"]["post"]["responses"]
    assert {"201", "400", "401", "404", "409", "422"} <= set(attempt)
    assert document["paths"]["/auth/token"]["post"]["security"] == []
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
