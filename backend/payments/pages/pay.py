"""The citizen's pay step: a dossier's fees (or several dossiers' at once, a
business's for instance) and a plain form: who pays, which way, one button. The form
makes the order on the server and sends the browser to the gateway (VNPay, the demo
sandbox) or to the order's own page (a VietQR code to scan). Each drawing of the form
carries a new idempotency key, so a double submit, or the same form posted again after
a timeout, makes one order."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts.guards import client_of, require_citizen
from backend.accounts.schemas import Principal
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierSummary
from backend.errors import AppError, InvalidInput, NotFound
from backend.i18n import N_, Localized
from backend.payments import service
from backend.payments.gateways import VnpayGateway
from backend.payments.pages.base import pay_url, show
from backend.payments.runtime import PaymentsRuntime, runtime_of
from backend.payments.schemas import PaymentRead, PaymentStart, Quote
from backend.payments.service.dues import CLOSED
from backend.settings import Settings
from backend.web.forms import SUMMARY, FormErrors, convert, text
from backend.web.middleware import content_security_policy
from backend.web.templates import language

# How many dossiers one payment may cover (as PaymentStart allows).
MAX_DOSSIERS = 50
# The pay form's inputs, as the page names them.
LABELS = {
    "dossier_ids": N_("Hồ sơ"),
    "provider": N_("Cách thanh toán"),
    "payer": N_("Ai thanh toán?"),
}
# The form's idempotency key, and what is said when the form was posted before with
# other choices (a page restored from the browser's history, say).
KEY_FIELD = "idempotency_key"
_KEY_REUSED = N_(
    "Trang này đã được gửi trước đó với lựa chọn khác. Hãy kiểm tra lại lựa chọn rồi bấm"
    " “Thanh toán” một lần nữa."
)


def gateway_origins(runtime: PaymentsRuntime) -> list[str]:
    """Where a pay form's redirect may lead: the VNPay-speaking gateways' sites."""
    origins = []
    for gateway in runtime.gateways.values():
        if isinstance(gateway, VnpayGateway):
            parts = urlsplit(gateway.config.pay_url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def pay_form_policy(settings: Settings, runtime: PaymentsRuntime) -> str:
    """The site's CSP, letting the pay form lead to the gateways' sites."""
    own = urlsplit(settings.public_url)
    others = tuple(
        origin for origin in gateway_origins(runtime) if origin != f"{own.scheme}://{own.netloc}"
    )
    return content_security_policy(settings, form_to=others)


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.isdigit() and len(v) < 12))[:MAX_DOSSIERS]


def _target(field: str | None) -> str:
    return field if field in {"provider", "payer"} else SUMMARY


async def _pending(
    runtime: PaymentsRuntime, principal: Principal, dossier_ids: list[int], lang: str
) -> list[PaymentRead]:
    """Orders still open for these dossiers, newest first (to carry on with one)."""
    found: dict[str, PaymentRead] = {}
    for dossier_id in dossier_ids:
        try:
            fees = await service.dossier_payments(runtime, principal, dossier_id, lang)
        except NotFound:
            continue
        for payment in fees.payments:
            if payment.status == "pending" and payment.expires_at > runtime.now():
                found[payment.reference] = payment
    return sorted(found.values(), key=lambda p: p.created_at, reverse=True)


def _new_key() -> str:
    return secrets.token_urlsafe(24)


@dataclasses.dataclass(slots=True)
class Chosen:
    provider: str = ""
    payer: str = ""
    # Drawn with the page, posted back with the form.
    key: str = dataclasses.field(default_factory=_new_key)


async def _pay_page(
    request: Request[Any, Any, Any],
    settings: Settings,
    principal: Principal,
    dossier_ids: list[int],
    *,
    back_url: str,
    chosen: Chosen | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    lang = language(request)
    try:
        quote: Quote | None = await service.quote(runtime, principal, dossier_ids)
        nothing_due = ""
    except InvalidInput as error:
        quote = None
        nothing_due = " ".join(problem.message.render(lang) for problem in error.problems)
    chosen = chosen or Chosen()
    if quote is not None:
        if not chosen.payer:
            chosen.payer = quote.payers[0]
        if not chosen.provider and len(quote.providers) == 1:
            chosen.provider = quote.providers[0]
    template = show(
        request,
        "payments/pay.html",
        status_code if quote is not None else 200,
        errors=errors or (),
        quote=quote,
        nothing_due=nothing_due,
        dossier_ids=dossier_ids,
        action=pay_url(dossier_ids),
        back_url=back_url,
        chosen=chosen,
        pending=await _pending(runtime, principal, dossier_ids, lang) if quote else [],
    )
    template.headers["Content-Security-Policy"] = pay_form_policy(settings, runtime)
    return template


async def _start(
    request: Request[Any, Any, Any],
    settings: Settings,
    principal: Principal,
    dossier_ids: list[int],
    back_url: str,
) -> Template | Redirect:
    form = await request.form()
    chosen = Chosen(
        provider=text(form, "provider", 16, strip=True),
        payer=text(form, "payer", 16, strip=True),
        # One character past the limit, so that a longer key is refused, not cut; a
        # form drawn before keys gets one, to be drawn again with if refused.
        key=text(form, KEY_FIELD, 256) or _new_key(),
    )
    try:
        data = convert(
            {"dossier_ids": dossier_ids, "provider": chosen.provider, "payer": chosen.payer},
            PaymentStart,
            LABELS,
        )
        payment = await service.start(
            runtime_of(request),
            principal,
            data,
            client_ip=client_of(request).address,
            lang=language(request),
            idempotency_key=chosen.key,
        )
    except NotFound:
        raise
    except AppError as error:
        errors = FormErrors.of_error(error, language(request), _target)
        if any(problem.field == service.IDEMPOTENCY_HEADER for problem in error.problems):
            # Nothing was made: the form is drawn again with a key of its own.
            chosen.key = _new_key()
            errors = FormErrors([(SUMMARY, _KEY_REUSED.render(language(request)))])
        return await _pay_page(
            request,
            settings,
            principal,
            dossier_ids,
            back_url=back_url,
            chosen=chosen,
            errors=errors,
            status_code=422,
        )
    if payment.redirect_url:
        return Redirect(payment.redirect_url, status_code=303)
    return Redirect(f"/thanh-toan/{payment.reference}", status_code=303)


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """Unpaid dossiers paid together, in one order: those of one payer (oneself, or one
    organisation) received by one agency, which takes the money and issues the receipt."""

    organisation_id: int | None
    name: str
    tax_code: str
    agency_code: str
    agency: Localized
    dossiers: list[DossierSummary]

    @property
    def key(self) -> str:
        """The group's HTML id."""
        return f"group-{self.organisation_id or 'mine'}-{self.agency_code.replace('.', '-')}"

    @property
    def total(self) -> int:
        return sum(dossier.fee_total for dossier in self.dossiers)


async def _several_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    mine = await dossiers.my_dossiers(dossiers.runtime_of(request), principal)
    unpaid = [
        d for d in mine if d.payment_status == "unpaid" and d.status not in {"draft", *CLOSED}
    ]
    organisations = {o.id: o for o in await accounts.my_organisations(principal)}
    groups: dict[tuple[int, str], list[DossierSummary]] = {}
    for dossier in unpaid:
        # The fees go to the agency that received it.
        groups.setdefault((dossier.organisation_id or 0, dossier.receiving_agency), []).append(
            dossier
        )
    names = {code: await service.agency_named(code) for _, code in groups}
    listed = []
    for (organisation_id, code), items in sorted(
        groups.items(), key=lambda item: (item[0][0], names[item[0][1]].vi)
    ):
        organisation = organisations.get(organisation_id) if organisation_id else None
        listed.append(
            Group(
                organisation_id=organisation_id or None,
                name=organisation.name if organisation else "",
                tax_code=organisation.tax_code if organisation else "",
                agency_code=code,
                agency=names[code],
                dossiers=items,
            )
        )
    return show(request, "payments/several.html", status_code, errors=errors or (), groups=listed)


class PaymentPages(Controller):
    """The citizen's pay steps."""

    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/thanh-toan", name="dossier-pay")
    async def pay(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        dossier = await dossiers.brief(principal, dossier_id)
        if dossier.status == "draft":
            return Redirect(f"/ho-so/{dossier_id}/buoc/1", status_code=303)
        return await _pay_page(
            request, settings, principal, [dossier_id], back_url=f"/ho-so/{dossier_id}"
        )

    @post("/ho-so/{dossier_id:int}/thanh-toan")
    async def start(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        return await _start(request, settings, principal, [dossier_id], f"/ho-so/{dossier_id}")

    @get("/thanh-toan", name="pay-several")
    async def several(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _several_page(request, principal)

    @get("/thanh-toan/chon", name="pay-chosen")
    async def chosen(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        chosen: Annotated[list[str] | None, QueryParameter(name="ho-so")] = None,
    ) -> Template:
        ids = _ids(chosen or [])
        if not ids:
            message = N_("Hãy chọn ít nhất một hồ sơ để thanh toán.").render(language(request))
            return await _several_page(
                request, principal, errors=FormErrors([(SUMMARY, message)]), status_code=422
            )
        return await _pay_page(request, settings, principal, ids, back_url="/thanh-toan")

    @post("/thanh-toan/chon")
    async def start_chosen(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        chosen: Annotated[list[str] | None, QueryParameter(name="ho-so")] = None,
    ) -> Template | Redirect:
        ids = _ids(chosen or [])
        if not ids:
            return Redirect("/thanh-toan", status_code=303)
        return await _start(request, settings, principal, ids, "/thanh-toan")
