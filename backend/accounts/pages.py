"""The accounts pages. Passkeys need JavaScript (the browser's WebAuthn API), so the
sign-up, sign-in and enrolment pages say so plainly when it is off; everything else
(sign-out, renaming or removing a passkey, ending a session, organisations,
invitations, re-enrolment at a counter) is a plain HTML form that works without it.

Every page here shows someone's data: none is cached (``forms.render``). A refused
form comes back with the service's problems next to their inputs.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts import service
from backend.accounts.api import clear_session_cookie
from backend.accounts.claim_pages import CLAIM_PAGES
from backend.accounts.guards import (
    client_of,
    require_citizen,
    require_signed_in,
    require_staff,
    runtime_of,
)
from backend.accounts.identity_pages import IDENTITY_PAGES
from backend.accounts.schemas import OrganisationCreate, Principal, ReenrolmentIn
from backend.accounts.validation import shown_tax_code
from backend.errors import AppError
from backend.i18n import N_, Text
from backend.web import forms
from backend.web.forms import FormErrors
from backend.web.paths import local_path, with_next
from backend.web.templates import language

ACCOUNT_HOME = "/tai-khoan/thiet-bi"
# Where the person was going (``?next=``): kept through every sign-in, sign-up and
# recovery step; anything but a path of this site leads home.
NextPath = Annotated[str, QueryParameter(name="next", max_length=2000)]
ORGANISATION_FIELDS = ("name", "tax_code", "address")
# The fields as the forms call them, for the messages of forms.convert.
LABELS: dict[str, Text] = {
    "name": N_("Tên tổ chức, doanh nghiệp hoặc hộ kinh doanh"),
    "tax_code": N_("Mã số thuế"),
    "address": N_("Địa chỉ trụ sở"),
    "phone": N_("Số điện thoại của tài khoản"),
    "identity_checked": N_("Tôi đã đối chiếu căn cước công dân của người này"),
}


class AccountPages(Controller):
    include_in_schema = False

    @get("/dang-ky", name="sign-up")
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        next_path: NextPath = "/",
    ) -> Template | Redirect:
        target = local_path(next_path)
        if principal is not None:
            return Redirect(target, status_code=303)
        return forms.render(request, "accounts/sign_up.html", **journey(target))

    @get("/dang-nhap", name="sign-in")
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        next_path: NextPath = "/",
    ) -> Template | Redirect:
        target = local_path(next_path)
        if principal is not None:
            return Redirect(target, status_code=303)
        return forms.render(
            request,
            "accounts/sign_in.html",
            identity=service.identity_name(runtime_of(request)),
            **journey(target),
        )

    @get("/khoi-phuc", name="recovery")
    async def recovery(
        self, request: Request[Any, Any, Any], next_path: NextPath = "/"
    ) -> Template:
        return forms.render(request, "accounts/recovery.html", **journey(local_path(next_path)))

    @get("/kich-hoat/{token:str}", name="enrolment")
    async def enrolment(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        runtime = runtime_of(request)
        info = await service.enrolment_info(runtime, token)
        return forms.render(
            request,
            "accounts/enrol.html",
            info=info,
            token=token,
            identity=service.identity_name(runtime),
            identity_only=info.kind == "staff" and runtime.staff_identity_required,
        )

    @get(service.DISOWN_PATH + "/{token:str}", name="disown")
    async def counter_passkey(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Template:
        """The "this was not me" link of a counter re-enrolment's notice: no sign-in (the
        person may have nothing left to sign in with); the page asks before acting."""
        info = await service.counter_passkey(runtime_of(request), token, client_of(request))
        return forms.render(request, "accounts/disown.html", info=info, token=token)

    @post(service.DISOWN_PATH + "/{token:str}")
    async def disown(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        runtime, client = runtime_of(request), client_of(request)
        result = await service.disown(runtime, token, client)
        info = await service.counter_passkey(runtime, token, client)
        return forms.render(request, "accounts/disown.html", info=info, result=result)

    @get("/tai-khoan", name="account")
    async def account(self) -> Redirect:
        return Redirect(ACCOUNT_HOME, status_code=303)

    @get(ACCOUNT_HOME, name="devices", guards=[require_signed_in])
    async def devices(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
        add: Annotated[str, QueryParameter(name="them-khoa", max_length=4)] = "",
        next_path: NextPath = "/",
    ) -> Template:
        return await _devices(
            request, principal, done=done, add=bool(add), next_path=local_path(next_path)
        )

    @post(ACCOUNT_HOME + "/khoa/{passkey_id:int}/doi-ten", guards=[require_signed_in])
    async def rename_passkey(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        passkey_id: FromPath[int],
    ) -> Template | Redirect:
        name = forms.text(await request.form(), "name", 200)
        try:
            await service.rename_passkey(
                runtime_of(request), principal, passkey_id, name, client_of(request)
            )
        except AppError as error:
            if error.status_code == 404:
                raise

            def target(field: str | None) -> str:
                return f"name-{passkey_id}" if field == "name" else forms.SUMMARY

            errors = FormErrors.of_error(error, language(request), target)
            return await _devices(request, principal, errors=errors, status_code=error.status_code)
        return Redirect(f"{ACCOUNT_HOME}?xong=doi-ten", status_code=303)

    @post(ACCOUNT_HOME + "/khoa/{passkey_id:int}/xoa", guards=[require_signed_in])
    async def remove_passkey(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        passkey_id: FromPath[int],
    ) -> Template | Redirect:
        try:
            await service.remove_passkey(
                runtime_of(request), principal, passkey_id, client_of(request)
            )
        except AppError as error:
            if error.status_code == 404:
                raise
            errors = FormErrors.of_error(error, language(request), lambda _: forms.SUMMARY)
            return await _devices(request, principal, errors=errors, status_code=error.status_code)
        return Redirect(f"{ACCOUNT_HOME}?xong=xoa-khoa", status_code=303)

    @post(ACCOUNT_HOME + "/phien/{session_id:str}/ket-thuc", guards=[require_signed_in])
    async def end_session(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: FromPath[str],
    ) -> Redirect:
        await service.end_session(runtime_of(request), principal, session_id, client_of(request))
        if session_id == principal.session_id:
            return Redirect("/", status_code=303)
        return Redirect(f"{ACCOUNT_HOME}?xong=ket-thuc", status_code=303)

    @post("/dang-xuat", name="sign-out")
    async def sign_out(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> Response[Any]:
        runtime = runtime_of(request)
        if principal is not None:
            await service.sign_out(runtime, principal, client_of(request))
        response: Response[Any] = Redirect("/", status_code=303)
        clear_session_cookie(runtime, response)
        return response

    @post("/dang-xuat-moi-noi", name="sign-out-everywhere", guards=[require_signed_in])
    async def sign_out_everywhere(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[Any]:
        runtime = runtime_of(request)
        await service.sign_out_everywhere(runtime, principal, client_of(request))
        response: Response[Any] = Redirect("/dang-nhap", status_code=303)
        clear_session_cookie(runtime, response)
        return response


class Journey(TypedDict):
    next_path: str
    sign_in_href: str
    sign_up_href: str
    recovery_href: str


def journey(target: str) -> Journey:
    """The links between the sign-in, sign-up and recovery pages, each carrying
    ``target``: a person who chose "sign up" on the way to a form still gets there."""
    return Journey(
        next_path=target,
        sign_in_href=with_next("/dang-nhap", target),
        sign_up_href=with_next("/dang-ky", target),
        recovery_href=with_next("/khoi-phuc", target),
    )


async def _devices(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    done: str = "",
    add: bool = False,
    next_path: str = "/",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    # After a counter re-enrolment, what was there before stays for a while: the page
    # offers no button that would be refused.
    kept_since = await service.protected_since(runtime, principal.account_id)
    return forms.render(
        request,
        "accounts/devices.html",
        status_code,
        errors=errors or (),
        kept_since=kept_since,
        kept_until=service.kept_until(kept_since) if kept_since else None,
        sessions_kept_since=await service.session_end_since(runtime, principal),
        principal=principal,
        account=await service.get_account(principal.account_id),
        passkeys=await service.list_passkeys(principal),
        sessions=await service.list_sessions(principal.account_id, principal.session_id),
        codes_left=await service.recovery_codes_left(principal),
        organisations=await service.my_organisations(principal)
        if principal.kind == "citizen"
        else [],
        handles_claims=service.handles_claims(principal),
        identity=service.identity_name(runtime),
        identity_linked=await service.identity_of(runtime, principal.account_id),
        done=done,
        add=add,
        # After a recovery code: where the person was going, once a passkey is added.
        next_path=next_path,
    )


class OrganisationPages(Controller):
    include_in_schema = False

    @get("/to-chuc", name="organisations", guards=[require_citizen])
    async def organisations(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _organisations(request, principal)

    @post("/to-chuc", guards=[require_citizen])
    async def register(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        form = await request.form()
        values = {name: forms.text(form, name) for name in ORGANISATION_FIELDS}
        try:
            organisation = await service.register_organisation(
                runtime_of(request),
                principal,
                forms.convert(values, OrganisationCreate, LABELS),
                client_of(request),
            )
        except AppError as error:
            return await _organisations(
                request,
                principal,
                values=values,
                errors=FormErrors.of_error(error, language(request)),
                status_code=error.status_code,
                # Registered by someone else: the page offers the claim path.
                claimable=values["tax_code"] if error.status_code == 409 else "",
            )
        return Redirect(f"/to-chuc/{organisation.id}", status_code=303)

    @get("/to-chuc/{organisation_id:int}", name="organisation", guards=[require_citizen])
    async def organisation(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        organisation_id: FromPath[int],
    ) -> Template:
        detail = await service.get_organisation(principal, organisation_id)
        return forms.render(
            request, "accounts/organisation.html", organisation=detail, tax_code=shown_tax_code
        )

    @post("/to-chuc/{organisation_id:int}/loi-moi", guards=[require_citizen])
    async def invite(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        organisation_id: FromPath[int],
    ) -> Template:
        link = await service.create_invitation(
            runtime_of(request), principal, organisation_id, client_of(request)
        )
        detail = await service.get_organisation(principal, organisation_id)
        return forms.render(
            request,
            "accounts/organisation.html",
            organisation=detail,
            invitation=link,
            tax_code=shown_tax_code,
        )

    @post(
        "/to-chuc/{organisation_id:int}/thanh-vien/{account_id:int}/xoa",
        guards=[require_citizen],
    )
    async def remove_member(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        organisation_id: FromPath[int],
        account_id: FromPath[int],
    ) -> Redirect:
        await service.remove_member(
            runtime_of(request), principal, organisation_id, account_id, client_of(request)
        )
        return Redirect(f"/to-chuc/{organisation_id}", status_code=303)

    @get("/moi/{token:str}", name="invitation")
    async def invitation(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        token: FromPath[str],
    ) -> Template:
        runtime = runtime_of(request)
        await runtime.limiter.check_address("invitation", client_of(request).address)
        info = await service.invitation_info(runtime, token)
        return forms.render(
            request,
            "accounts/invitation.html",
            invitation=info,
            principal=principal,
            tax_code=shown_tax_code,
        )

    @post("/moi/{token:str}", guards=[require_citizen])
    async def accept(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        token: FromPath[str],
    ) -> Redirect:
        runtime = runtime_of(request)
        await runtime.limiter.check_address("invitation", client_of(request).address)
        organisation = await service.accept_invitation(
            runtime, principal, token, client_of(request)
        )
        return Redirect(f"/to-chuc/{organisation.id}", status_code=303)


async def _organisations(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
    claimable: str = "",
) -> Template:
    return forms.render(
        request,
        "accounts/organisations.html",
        status_code,
        errors=errors or (),
        organisations=await service.my_organisations(principal),
        values=values or dict.fromkeys(ORGANISATION_FIELDS, ""),
        tax_code=shown_tax_code,
        claimable=claimable,
    )


class StaffPages(Controller):
    include_in_schema = False

    @get("/can-bo/cap-lai", name="reenrolment", guards=[require_staff("reception")])
    async def reenrolment(self, request: Request[Any, Any, Any]) -> Template:
        return forms.render(request, "accounts/reenrol.html", phone="")

    @post("/can-bo/cap-lai", guards=[require_staff("reception")])
    async def issue(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        form = await request.form()
        phone = forms.text(form, "phone", 200)
        try:
            data = forms.convert(
                {"phone": phone, "identity_checked": form.get("identity_checked") == "on"},
                ReenrolmentIn,
                LABELS,
            )
            issued = await service.issue_reenrolment(
                runtime_of(request), principal, data, client_of(request)
            )
        except AppError as error:
            return forms.render(
                request,
                "accounts/reenrol.html",
                error.status_code,
                errors=FormErrors.of_error(error, language(request)),
                phone=phone,
            )
        return forms.render(request, "accounts/reenrol.html", issued=issued, phone="")


ACCOUNT_PAGES = [AccountPages, OrganisationPages, StaffPages, *CLAIM_PAGES, *IDENTITY_PAGES]
