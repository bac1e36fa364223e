"""A real OpenID provider on 127.0.0.1 for the tests: the certified ``oidc-provider``
package (tests/support/oidc/provider.mjs) started with keys, clients and accounts made here.

    an = {"name": "Nguyễn Văn An", "identity_number": "001090012345"}
    with oidc_provider(redirect_uris=[CALLBACK], accounts={"an": an}) as op:
        callback = await log_in(browser, authorize_url, "an")  # .../callback?code=...&state=...

The provider's private signing key stays here (``op.signing_jwk``) so that a test can make
tokens that are correctly signed and wrong in one claim (``forge_id_token``). Node's
packages come from ``npm ci --prefix tests/support/oidc``, which ``./dev test`` runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

HERE = Path(__file__).parent / "oidc"
PROVIDER = HERE / "provider.mjs"
STARTUP_TIMEOUT = 20.0

# Which scope releases which claims; `identity` stands for what a national identity
# provider adds to the standard profile. The relying party asks for the scopes it needs.
DEFAULT_SCOPES: dict[str, list[str]] = {
    "openid": ["sub"],
    "profile": ["name", "family_name", "given_name", "middle_name", "birthdate", "gender"],
    "email": ["email", "email_verified"],
    "phone": ["phone_number", "phone_number_verified"],
    "address": ["address"],
    "identity": ["identity_number"],
}


class ProviderError(RuntimeError):
    """The provider did not start, or a sign-in did not reach the relying party."""


@dataclass
class OpenIdProvider:
    """A running provider: what a relying party's settings and a test need to know."""

    issuer: str
    metadata: dict[str, Any]
    redirect_uris: list[str]
    # A confidential client that authenticates with client_secret_basic (or _post).
    client_id: str
    client_secret: str
    # A client that authenticates with private_key_jwt; the provider knows its public key.
    jwt_client_id: str
    jwt_client_jwk: dict[str, Any]
    # The provider's own private signing key (RS256), as published (public part) at jwks_uri.
    signing_jwk: dict[str, Any]
    accounts_file: Path
    _process: subprocess.Popen[bytes] = field(repr=False)
    _log_file: Path = field(repr=False)

    @property
    def jwt_client_pem(self) -> str:
        """The private_key_jwt client's private key as PKCS#8 PEM."""
        return ECKey.import_key(self.jwt_client_jwk).as_pem(private=True).decode()

    def accounts(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = json.loads(self.accounts_file.read_text("utf-8"))
        return result

    def set_account(self, account_id: str, claims: dict[str, Any]) -> None:
        """Add or replace an account; the provider reads the file on each lookup, so the
        next sign-in (and the next userinfo call) sees the new claims."""
        accounts = self.accounts()
        accounts[account_id] = {key: value for key, value in claims.items() if key != "sub"}
        _write_json(self.accounts_file, accounts)

    def remove_account(self, account_id: str) -> None:
        accounts = self.accounts()
        accounts.pop(account_id, None)
        _write_json(self.accounts_file, accounts)

    def client_assertion(
        self, *, audience: str | None = None, key: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        """A private_key_jwt client assertion for the jwt client (RFC 7523), signed with
        its key unless ``key`` says otherwise; ``claims`` override or (None) remove."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.jwt_client_id,
            "sub": self.jwt_client_id,
            "aud": audience or self.issuer,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + 60,
        }
        return _sign(body, claims, key or self.jwt_client_jwk)

    def log(self) -> str:
        """What the provider wrote on stderr so far (its errors, for a failing test)."""
        return self._log_file.read_text("utf-8", errors="replace")


@contextlib.contextmanager
def oidc_provider(
    redirect_uris: list[str],
    accounts: dict[str, dict[str, Any]] | None = None,
    *,
    scopes: dict[str, list[str]] | None = None,
    client_id: str = "motcua",
    jwt_client_id: str = "motcua-jwt",
    extra_clients: list[dict[str, Any]] | None = None,
) -> Iterator[OpenIdProvider]:
    """Start a provider with fresh keys, yield it once its discovery document answers, stop it.

    ``accounts`` maps an account id (the ``sub``) to its claims; ``scopes`` maps each scope
    to the claims it releases (DEFAULT_SCOPES otherwise); ``extra_clients`` are more client
    metadata documents, as oidc-provider takes them."""
    node = shutil.which("node")
    if node is None:
        raise ProviderError(
            "node is not installed: ./dev test installs it (apt-get install nodejs)"
        )
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        raise ProviderError(f"oidc-provider is not installed: npm ci --prefix {HERE}")

    signing = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    jwt_client = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, auto_kid=True)
    client_secret = secrets.token_urlsafe(32)
    base = {"redirect_uris": redirect_uris, "response_types": ["code"]}
    clients = [
        {
            **base,
            "client_id": client_id,
            "client_secret": client_secret,
            "token_endpoint_auth_method": "client_secret_basic",
        },
        {
            **base,
            "client_id": jwt_client_id,
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [jwt_client.as_dict(private=False)]},
        },
        *(extra_clients or []),
    ]

    with tempfile.TemporaryDirectory(prefix="motcua-oidc-") as folder:
        accounts_file = Path(folder) / "accounts.json"
        _write_json(accounts_file, accounts or {})
        log_file = Path(folder) / "provider.log"
        env = {
            **os.environ,
            "PORT": "0",
            "OIDC_CLIENTS": json.dumps(clients),
            "OIDC_JWKS": json.dumps({"keys": [signing.as_dict(private=True)]}),
            "OIDC_ACCOUNTS": str(accounts_file),
            "OIDC_CLAIMS": json.dumps(scopes or DEFAULT_SCOPES),
            "NO_COLOR": "1",
        }
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [node, str(PROVIDER)],
                cwd=HERE,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        try:
            issuer = _announced_issuer(process, log_file)
            metadata = _discovery(issuer, process, log_file)
            yield OpenIdProvider(
                issuer=issuer,
                metadata=metadata,
                redirect_uris=list(redirect_uris),
                client_id=client_id,
                client_secret=client_secret,
                jwt_client_id=jwt_client_id,
                jwt_client_jwk=jwt_client.as_dict(private=True),
                signing_jwk=signing.as_dict(private=True),
                accounts_file=accounts_file,
                _process=process,
                _log_file=log_file,
            )
        finally:
            _stop(process)


def _write_json(path: Path, value: object) -> None:
    # Written beside and renamed, so the provider never reads half a file.
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    partial.replace(path)


def _announced_issuer(process: subprocess.Popen[bytes], log_file: Path) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            break
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
    try:
        issuer = json.loads(line)["issuer"]
    except (ValueError, KeyError, TypeError):
        _stop(process)
        raise ProviderError(f"the provider did not start: {log_file.read_text()}") from None
    assert isinstance(issuer, str)
    return issuer


def _discovery(issuer: str, process: subprocess.Popen[bytes], log_file: Path) -> dict[str, Any]:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    url = f"{issuer}/.well-known/openid-configuration"
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                metadata: dict[str, Any] = response.json()
                return metadata
        time.sleep(0.05)
    _stop(process)
    raise ProviderError(f"the provider's discovery did not answer: {log_file.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Closing stdin is its signal to stop; a terminate, then a kill, if it does not.
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _sign(defaults: dict[str, Any], claims: dict[str, Any], key: dict[str, Any]) -> str:
    body = {**defaults, **claims}
    body = {name: value for name, value in body.items() if value is not None}
    imported = RSAKey.import_key(key) if key["kty"] == "RSA" else ECKey.import_key(key)
    alg = key.get("alg") or ("RS256" if key["kty"] == "RSA" else "ES256")
    header = {"alg": alg, "kid": imported.kid} if imported.kid else {"alg": alg}
    return jwt.encode(header, body, imported, algorithms=[alg])


def forge_id_token(op: OpenIdProvider, *, key: dict[str, Any] | None = None, **claims: Any) -> str:
    """An ID token signed with the provider's own key (or ``key``), valid unless ``claims``
    say otherwise: ``exp=<past>``, ``aud="other"``, ``nonce=...``; a claim given as None
    is left out. Defaults: iss the provider, aud the secret client, five minutes to live."""
    now = int(time.time())
    defaults: dict[str, Any] = {
        "iss": op.issuer,
        "aud": op.client_id,
        "sub": "forged",
        "iat": now,
        "exp": now + 300,
        "auth_time": now,
    }
    return _sign(defaults, claims, key or op.signing_jwk)


class _Forms(HTMLParser):
    """The forms of a page: action, method and the named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action", ""),
                    "method": attributes.get("method", "get").lower(),
                    "fields": {},
                }
            )
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


async def log_in(
    client: httpx.AsyncClient,
    authorize_url: str,
    account_id: str,
    *,
    consent: bool = True,
    new_session: bool = True,
) -> str:
    """Sign in at the provider as a person would in a browser and return the URL that it
    redirects to on the relying party's side (``.../callback?code=...&state=...&iss=...``,
    or ``?error=...``), without following it.

    ``client`` plays the browser: its cookie jar keeps the provider's session. With
    ``new_session`` the provider's cookies are dropped first, so that a former sign-in in
    the same client does not answer for another account. Without ``consent`` the person
    presses "abort" on the consent page (the relying party then gets access_denied)."""
    provider = _origin(authorize_url)
    if new_session:
        host = urlsplit(authorize_url).hostname or ""
        for cookie in list(client.cookies.jar):
            if cookie.domain.lstrip(".") == host:
                client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = await client.request(method, url, data=data, follow_redirects=False)
        if response.is_redirect:
            target = urljoin(url, response.headers["location"])
            if _origin(target) != provider:
                return target
            url, method, data = target, "GET", None
            continue
        if response.status_code != 200:
            raise ProviderError(f"{method} {url}: {response.status_code} {response.text[:500]}")
        parser = _Forms()
        parser.feed(response.text)
        form = next((f for f in parser.forms if "prompt" in f["fields"]), None)
        if form is None:
            raise ProviderError(f"{url}: no sign-in or consent form in {response.text[:500]}")
        fields: dict[str, str] = dict(form["fields"])
        if fields["prompt"] == "login":
            fields.update(login=account_id, password="any")
        elif fields["prompt"] == "consent" and not consent:
            url, method, data = f"{urljoin(url, form['action'])}/abort", "GET", None
            continue
        url, method, data = urljoin(url, form["action"]), "POST", fields
    raise ProviderError(f"no redirect to the relying party after 20 steps (last: {url})")
