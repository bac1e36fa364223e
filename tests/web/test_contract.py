"""The OpenAPI document is the API: schemathesis, with every check it has, against a
real ``motcua serve`` (its own data dir and database), anonymously and with a
resident's session, bounded (a fixed number of examples per operation) and
deterministic (derandomized), so CI runs the same cases every time."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from backend.app import create_app
from backend.settings import Settings
from backend.web.contract import PROBLEM
from backend.web.errors import problem_body
from tests.accounts.helpers import unique_phone
from tests.conftest import PUBLIC_URL
from tests.e2e.server import MotcuaServer
from tests.support.authenticator import SoftAuthenticator
from tests.support.databases import POSTGRES_URL, fresh_postgres

# Examples per operation and phase: ~140 operations x 2 people x the coverage phase's
# own cases stay within a minute or so per database on 2 cores, with both databases'
# suites running side by side (CI's 20 minutes).
EXAMPLES = 4
# Operations that end the very session the signed-in run uses, or the account (they
# run anonymously).
ENDS_SESSION = r"^/api/auth/logout|^/api/account/delete"
# Every check but two, each a known gap (README, "Errors"):
# - positive_data_acceptance: a schema-valid body may still break a service rule the
#   JSON Schema does not express (a phone number's digits, a WebAuthn payload, a
#   signature), answered 422;
# - allow_header_conformance: Litestar answers OPTIONS of a path registered by two
#   handlers with the first one's methods only.
EXCLUDED = [checks.positive_data_acceptance, checks.allow_header_conformance]


class ContractServer(MotcuaServer):
    name = "motcua serve (contract)"

    def environment(self) -> dict[str, str]:
        env = super().environment()
        # Recovery codes are hashed at sign-up: cheap argon2 keeps the run short.
        env.update(MOTCUA_ARGON2_MEMORY_KIB="64", MOTCUA_ARGON2_TIME_COST="1")
        return env


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractServer]:
    database_url = asyncio.run(fresh_postgres("contract")) if POSTGRES_URL else None
    server = ContractServer(tmp_path_factory.mktemp("contract"), database_url)
    server.start()
    yield server
    server.stop()


def resident(server: MotcuaServer) -> dict[str, str]:
    """A signed-up resident's cookies, as their browser holds them."""
    with httpx.Client(base_url=server.url, trust_env=False) as client:
        client.get("/dang-nhap")
        headers = {"x-csrftoken": client.cookies["csrftoken"]}
        options = client.post(
            "/api/auth/passkeys/register/options",
            json={"phone": unique_phone(), "full_name": "Trần Thị Hoa"},
            headers=headers,
        )
        assert options.status_code == 200, options.text
        credential = SoftAuthenticator("ES256").create(options.json(), server.url)
        signed_up = client.post(
            "/api/auth/passkeys/register", json={"credential": credential}, headers=headers
        )
        assert signed_up.status_code == 201, signed_up.text
        client.get("/")  # the token as it stands once signed in
        return dict(client.cookies)


def anonymous(server: MotcuaServer) -> dict[str, str]:
    """A first-time visitor: only the CSRF cookie a page gives."""
    with httpx.Client(base_url=server.url, trust_env=False) as client:
        client.get("/dang-nhap")
        return dict(client.cookies)


class Credentials:
    """Schemathesis's auth provider: the cookies of one person and the CSRF header
    their page script sends. Given per case (not in a cookie jar) so that the checks
    of ignored authentication can leave them out or spoil them."""

    cookies: ClassVar[dict[str, str]] = {}

    def get(self, case: Any, ctx: Any) -> dict[str, str]:
        return self.cookies

    def set(self, case: Any, data: dict[str, str], ctx: Any) -> None:
        if not data:  # collection draws cases before any fixture ran
            return
        case.cookies = {**(case.cookies or {}), **data}
        case.headers = {**(case.headers or {}), "x-csrftoken": data["csrftoken"]}


class Visitor(Credentials):
    cookies: ClassVar[dict[str, str]] = {}


class Resident(Credentials):
    cookies: ClassVar[dict[str, str]] = {}


def served_document() -> dict[str, Any]:
    """The OpenAPI document as the server gives it, built in this process at collection
    (pytest needs the operations before any fixture runs): the same code and the same
    settings as ``ContractServer``, only the data dir is a throw-away one."""

    async def fetch(app: Any) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            response = await client.get("/schema/openapi.json")
        assert response.status_code == 200, response.text
        return dict(response.json())

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(
            {"MOTCUA_DATA_DIR": data_dir, "MOTCUA_DEMO": "true", "MOTCUA_LOG_LEVEL": "ERROR"}
        )
        return asyncio.run(fetch(create_app(settings)))


DOCUMENT = served_document()
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# Two schemas: each has its own auth provider (a filtered copy would share it).
VISITOR_SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config())
VISITOR_SCHEMA.auth(refresh_interval=None)(Visitor)
RESIDENT_SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config())
RESIDENT_SCHEMA.auth(refresh_interval=None)(Resident)


@pytest.fixture(scope="module")
def visitor(contract_server: ContractServer) -> None:
    Visitor.cookies = anonymous(contract_server)


@pytest.fixture(scope="module")
def signed_in(contract_server: ContractServer) -> None:
    Resident.cookies = resident(contract_server)


@VISITOR_SCHEMA.parametrize()
@BOUNDED
def test_the_api_answers_anonymously_as_documented(
    case: Any, contract_server: ContractServer, visitor: None
) -> None:
    case.call_and_validate(base_url=contract_server.url, excluded_checks=EXCLUDED)


@RESIDENT_SCHEMA.exclude(path_regex=ENDS_SESSION).parametrize()
@BOUNDED
def test_the_api_answers_a_resident_as_documented(
    case: Any, contract_server: ContractServer, signed_in: None
) -> None:
    case.call_and_validate(base_url=contract_server.url, excluded_checks=EXCLUDED)


def test_no_request_of_the_run_logged_a_traceback(contract_server: ContractServer) -> None:
    """After both runs (this module's tests run in order): the server's log holds no
    unhandled error."""
    log = Path(contract_server.log_path).read_text(errors="replace")
    unhandled = [line for line in log.splitlines() if "unhandled error" in line]
    assert unhandled == []


def test_the_documented_problem_is_the_body_sent() -> None:
    # Schemathesis's own validator, the one its response checks use.
    import jsonschema_rs

    from backend.errors import InvalidInput, Problems
    from backend.i18n import N_

    problems = Problems()
    problems.add("phone", N_("Dữ liệu không hợp lệ."))
    problems.add(None, N_("Dữ liệu không hợp lệ."))
    body = json.loads(json.dumps(problem_body(InvalidInput(problems=problems.items), 422, "en")))
    jsonschema_rs.validate(PROBLEM, body)
