"""An import-linter contract: across domains, only their public modules.

A domain (``backend.<domain>``) is used by another only through ``service`` (its rules
and queries), ``schemas`` (its Structs) and ``guards`` (who may reach what); the rest
of it (tables, pages, runtimes, submodules of a split service) is its own. The
composition root (``create_app``, the CLI) may import anything: it wires the domains.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class PublicModulesContract(Contract):
    type_name = "public_modules"

    domains = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    composition_root = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        domains: list[str] = list(self.domains)  # type: ignore[call-overload]
        public: set[str] = set(self.public)  # type: ignore[call-overload]
        roots: list[str] = list(self.composition_root)  # type: ignore[call-overload]
        illegal: list[dict[str, Any]] = []
        for domain in domains:
            allowed = {domain} | {f"{domain}.{name}" for name in public}
            for imported in sorted({domain} | graph.find_descendants(domain)):
                if imported in allowed:
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(imported)):
                    if _within(importer, domain) or any(_within(importer, r) for r in roots):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    illegal.append(
                        {
                            "importer": importer,
                            "imported": imported,
                            "lines": [d["line_number"] for d in details],
                        }
                    )
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error(
            "A domain may import another only through its "
            + ", ".join(sorted(self.public))  # type: ignore[call-overload]
            + ":",
            bold=False,
        )
        output.new_line()
        for link in check.metadata["illegal"]:
            lines = ", ".join(str(n) for n in link["lines"])
            output.print_error(
                f"- {link['importer']} -> {link['imported']} (l.{lines})", bold=False
            )
            output.new_line()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
