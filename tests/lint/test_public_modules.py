"""The import-linter contract of ./dev lint that keeps domains to each other's public
modules (service, schemas, guards), on a made-up import graph."""

from __future__ import annotations

import grimp

from lint.public_modules import PublicModulesContract


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in (
        "app",
        "app.app",
        "app.dossiers",
        "app.dossiers.service",
        "app.dossiers.service.drafts",
        "app.dossiers.tables",
        "app.payments",
        "app.payments.pages",
        "app.payments.service",
    ):
        graph.add_module(module)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=3, line_contents="")
    return graph


def _check(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    contract = PublicModulesContract(
        "public",
        session_options={},
        contract_options={
            "domains": ["app.dossiers", "app.payments"],
            "public": ["service", "schemas", "guards"],
            "composition_root": ["app.app"],
        },
    )
    check = contract.check(graph, verbose=False)
    found = [(link["importer"], link["imported"]) for link in check.metadata["illegal"]]
    assert check.kept is (not found)
    return found


def test_public_modules_within_and_across_domains_are_allowed() -> None:
    graph = _graph(
        ("app.payments.service", "app.dossiers.service"),  # across: the service
        ("app.dossiers.service", "app.dossiers.tables"),  # within a domain: anything
        ("app.app", "app.payments.pages"),  # the composition root wires pages
    )
    assert _check(graph) == []


def test_a_private_module_of_another_domain_is_refused() -> None:
    graph = _graph(
        ("app.payments.pages", "app.dossiers.tables"),
        # A split service's submodule is private too: only the facade is public.
        ("app.payments.service", "app.dossiers.service.drafts"),
    )
    assert _check(graph) == [
        ("app.payments.service", "app.dossiers.service.drafts"),
        ("app.payments.pages", "app.dossiers.tables"),
    ]
