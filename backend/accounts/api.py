"""The accounts JSON API: thin controllers over backend.accounts.service.

WebAuthn options go out in the Level 3 JSON form (``parseCreationOptionsFromJSON`` /
``parseRequestOptionsFromJSON`` read them); responses come back as
``PublicKeyCredential.toJSON()`` gives them.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts import audit, service, sessions
from backend.accounts.claim_api import CLAIM_API
from backend.accounts.guards import (
    client_of,
    require_citizen,
    require_signed_in,
    require_staff,
    runtime_of,
    session_token,
)
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import (
    AccountRead,
    AuditRead,
    CredentialIn,
    Disowned,
    DisownIn,
    EnrolmentIn,
    EnrolmentOptionsIn,
    InvitationRead,
    LinkIssued,
    OrganisationCreate,
    OrganisationDetail,
    OrganisationRead,
    PasskeyRead,
    PasskeyRename,
    Principal,
    RecoveryCodes,
    RecoveryIn,
    ReenrolmentIn,
    ReenrolmentIssued,
    SessionRead,
    SignedIn,
    SignedUp,
    SignUp,
    StaffCreate,
    StaffCreated,
    StaffRead,
    StaffUpdate,
)
from backend.idempotency import IDEMPOTENT
from backend.web.paths import local_path, with_next

NO_STORE = CacheControlHeader(no_store=True)


def options_response(options: bytes) -> Response[bytes]:
    return Response(options, media_type="application/json", status_code=HTTP_200_OK)


def set_session_cookie(
    runtime: AccountsRuntime, response: Response[Any], token: str, kind: str
) -> None:
    response.set_cookie(
        key=runtime.cookie_name,
        value=token,
        path="/",
        httponly=True,
        secure=runtime.secure_cookies,
        samesite="lax",
        # Officials: the cookie ends with the browser (shared counter computers).
        max_age=sessions.COOKIE_MAX_AGE if kind == "citizen" else None,
    )


def clear_session_cookie(runtime: AccountsRuntime, response: Response[Any]) -> None:
    response.delete_cookie(key=runtime.cookie_name, path="/")


class AuthApi(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    cache_control = NO_STORE

    @post(
        "/passkeys/register/options",
        operation_id="signUpOptions",
        summary="Start signing up: the options for navigator.credentials.create()",
        status_code=HTTP_200_OK,
    )
    async def sign_up_options(
        self, request: Request[Any, Any, Any], data: JSONBody[SignUp]
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        return options_response(await service.sign_up_options(runtime, data, client_of(request)))

    @post(
        "/passkeys/register",
        operation_id="signUp",
        summary="Finish signing up with the new passkey; signs in",
        status_code=HTTP_201_CREATED,
    )
    async def sign_up(
        self, request: Request[Any, Any, Any], data: JSONBody[CredentialIn]
    ) -> Response[SignedUp]:
        runtime = runtime_of(request)
        account, codes, token = await service.finish_sign_up(runtime, data, client_of(request))
        response = Response(
            SignedUp(account=account, recovery_codes=codes, next=local_path(data.next)),
            status_code=HTTP_201_CREATED,
        )
        set_session_cookie(runtime, response, token, account.kind)
        return response

    @post(
        "/passkeys/login/options",
        operation_id="signInOptions",
        summary="Start signing in: the options for navigator.credentials.get()",
        status_code=HTTP_200_OK,
    )
    async def sign_in_options(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        runtime = runtime_of(request)
        return options_response(await service.sign_in_options(runtime, client_of(request)))

    @post(
        "/passkeys/login",
        operation_id="signIn",
        summary="Finish signing in with a passkey",
        status_code=HTTP_200_OK,
    )
    async def sign_in(
        self, request: Request[Any, Any, Any], data: JSONBody[CredentialIn]
    ) -> Response[SignedIn]:
        runtime = runtime_of(request)
        account, token = await service.finish_sign_in(
            runtime, data, client_of(request), session_token(request)
        )
        next_path = local_path(data.next)
        response = Response(SignedIn(account=account, next=next_path))
        set_session_cookie(runtime, response, token, account.kind)
        return response

    @post(
        "/recovery",
        operation_id="recover",
        summary="Sign in once with a recovery code; every other session ends",
        status_code=HTTP_200_OK,
    )
    async def recover(
        self, request: Request[Any, Any, Any], data: JSONBody[RecoveryIn]
    ) -> Response[SignedIn]:
        runtime = runtime_of(request)
        account, token = await service.recover(
            runtime, data, client_of(request), session_token(request)
        )
        # A passkey for this phone first, then on to where the person was going.
        after = with_next(service.AFTER_RECOVERY, local_path(data.next))
        response = Response(SignedIn(account=account, next=after))
        set_session_cookie(runtime, response, token, account.kind)
        return response

    @post(
        "/enrolment/options",
        operation_id="enrolmentOptions",
        summary="Options to register a passkey through a one-time enrolment link",
        status_code=HTTP_200_OK,
    )
    async def enrolment_options(
        self, request: Request[Any, Any, Any], data: JSONBody[EnrolmentOptionsIn]
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        return options_response(
            await service.enrolment_options(runtime, data.token, client_of(request))
        )

    @post(
        "/enrolment",
        operation_id="enrol",
        summary="Register the passkey of a one-time enrolment link; signs in",
        status_code=HTTP_201_CREATED,
    )
    async def enrol(
        self, request: Request[Any, Any, Any], data: JSONBody[EnrolmentIn]
    ) -> Response[SignedUp]:
        runtime = runtime_of(request)
        account, codes, token = await service.finish_enrolment(
            runtime, data, client_of(request), session_token(request)
        )
        # A citizen's enrolment is a counter re-enrolment: the devices page says what now.
        after = "/tai-khoan/thiet-bi?xong=cap-lai" if account.kind == "citizen" else None
        response = Response(
            SignedUp(account=account, recovery_codes=codes, next=after or "/tai-khoan/thiet-bi"),
            status_code=HTTP_201_CREATED,
        )
        set_session_cookie(runtime, response, token, account.kind)
        return response

    @post(
        "/counter-passkeys/disown",
        operation_id="disownCounterPasskey",
        summary="This was not me: undo a counter re-enrolment (the notice's token; no sign-in)",
        status_code=HTTP_200_OK,
    )
    async def disown(self, request: Request[Any, Any, Any], data: JSONBody[DisownIn]) -> Disowned:
        return await service.disown(runtime_of(request), data.token, client_of(request))

    @post(
        "/logout",
        operation_id="signOut",
        summary="Sign out: this session ends on the server",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def sign_out(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> Response[None]:
        runtime = runtime_of(request)
        if principal is not None:
            await service.sign_out(runtime, principal, client_of(request))
        response = Response(None, status_code=HTTP_204_NO_CONTENT)
        clear_session_cookie(runtime, response)
        return response

    @post(
        "/logout-everywhere",
        operation_id="signOutEverywhere",
        summary="End every session of this account, this one included",
        status_code=HTTP_204_NO_CONTENT,
        guards=[require_signed_in],
    )
    async def sign_out_everywhere(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[None]:
        runtime = runtime_of(request)
        await service.sign_out_everywhere(runtime, principal, client_of(request))
        response = Response(None, status_code=HTTP_204_NO_CONTENT)
        clear_session_cookie(runtime, response)
        return response


class AccountApi(Controller):
    """The signed-in person's own account: passkeys, sessions, recovery codes."""

    path = "/api/account"
    tags = ["accounts"]
    guards = [require_signed_in]
    cache_control = NO_STORE

    @get("/", operation_id="getMyAccount", summary="The signed-in person")
    async def me(self, principal: NamedDependency[Principal]) -> AccountRead:
        return await service.get_account(principal.account_id)

    @get("/passkeys", operation_id="listMyPasskeys", summary="My passkeys")
    async def passkeys(self, principal: NamedDependency[Principal]) -> list[PasskeyRead]:
        return await service.list_passkeys(principal)

    @post(
        "/passkeys/options",
        operation_id="addPasskeyOptions",
        summary="Options to add another passkey (another phone)",
        status_code=HTTP_200_OK,
    )
    async def add_passkey_options(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        return options_response(
            await service.add_passkey_options(runtime, principal, client_of(request))
        )

    @post("/passkeys", operation_id="addPasskey", summary="Add another passkey")
    async def add_passkey(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[CredentialIn],
    ) -> PasskeyRead:
        return await service.finish_add_passkey(
            runtime_of(request), principal, data, client_of(request)
        )

    @patch("/passkeys/{passkey_id:int}", operation_id="renamePasskey", summary="Rename")
    async def rename_passkey(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        passkey_id: FromPath[int],
        data: JSONBody[PasskeyRename],
    ) -> PasskeyRead:
        return await service.rename_passkey(
            runtime_of(request), principal, passkey_id, data.name, client_of(request)
        )

    @delete("/passkeys/{passkey_id:int}", operation_id="removePasskey", summary="Remove")
    async def remove_passkey(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        passkey_id: FromPath[int],
    ) -> None:
        await service.remove_passkey(runtime_of(request), principal, passkey_id, client_of(request))

    @get("/sessions", operation_id="listMySessions", summary="My active sessions")
    async def sessions(self, principal: NamedDependency[Principal]) -> list[SessionRead]:
        return await service.list_sessions(principal.account_id, principal.session_id)

    @delete("/sessions/{session_id:str}", operation_id="endSession", summary="End a session")
    async def end_session(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        session_id: FromPath[str],
    ) -> None:
        await service.end_session(runtime_of(request), principal, session_id, client_of(request))

    @post(
        "/recovery-codes",
        operation_id="renewRecoveryCodes",
        summary="New recovery codes (the old ones stop working); shown once",
        status_code=HTTP_201_CREATED,
    )
    async def renew_recovery_codes(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> RecoveryCodes:
        codes = await service.renew_recovery_codes(
            runtime_of(request), principal, client_of(request)
        )
        return RecoveryCodes(codes=codes)

    @get("/security-events", operation_id="mySecurityEvents", summary="My audit trail")
    async def security_events(self, principal: NamedDependency[Principal]) -> list[AuditRead]:
        return await audit.events_for(principal.account_id)


class OrganisationApi(Controller):
    path = "/api/organisations"
    tags = ["accounts"]
    guards = [require_citizen]
    cache_control = NO_STORE

    @get("/", operation_id="listMyOrganisations", summary="Organisations I belong to")
    async def mine(self, principal: NamedDependency[Principal]) -> list[OrganisationRead]:
        return await service.my_organisations(principal)

    @post(
        "/",
        operation_id="registerOrganisation",
        summary="Register an organisation",
        opt=IDEMPOTENT,
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[OrganisationCreate],
    ) -> OrganisationRead:
        return await service.register_organisation(
            runtime_of(request), principal, data, client_of(request)
        )

    @get("/{organisation_id:int}", operation_id="getOrganisation", summary="One of mine")
    async def detail(
        self, principal: NamedDependency[Principal], organisation_id: FromPath[int]
    ) -> OrganisationDetail:
        return await service.get_organisation(principal, organisation_id)

    @post(
        "/{organisation_id:int}/invitations",
        operation_id="inviteMember",
        summary="A one-time invitation link (owner only)",
    )
    async def invite(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        organisation_id: FromPath[int],
    ) -> LinkIssued:
        return await service.create_invitation(
            runtime_of(request), principal, organisation_id, client_of(request)
        )

    @delete(
        "/{organisation_id:int}/members/{account_id:int}",
        operation_id="removeMember",
        summary="Remove a member (owner only)",
    )
    async def remove_member(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        organisation_id: FromPath[int],
        account_id: FromPath[int],
    ) -> None:
        await service.remove_member(
            runtime_of(request), principal, organisation_id, account_id, client_of(request)
        )


class InvitationApi(Controller):
    path = "/api/invitations"
    tags = ["accounts"]
    cache_control = NO_STORE

    @get("/{token:str}", operation_id="getInvitation", summary="What an invitation is for")
    async def show(self, request: Request[Any, Any, Any], token: FromPath[str]) -> InvitationRead:
        await runtime_of(request).limiter.check_address("invitation", client_of(request).address)
        return await service.invitation_info(runtime_of(request), token)

    @post(
        "/{token:str}/accept",
        operation_id="acceptInvitation",
        summary="Join the organisation (the link is spent)",
        guards=[require_citizen],
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        token: FromPath[str],
    ) -> OrganisationRead:
        await runtime_of(request).limiter.check_address("invitation", client_of(request).address)
        return await service.accept_invitation(
            runtime_of(request), principal, token, client_of(request)
        )


class StaffApi(Controller):
    path = "/api/staff"
    tags = ["accounts"]
    cache_control = NO_STORE

    @post(
        "/reenrolments",
        operation_id="issueReenrolment",
        summary="At a counter: a one-time link for a person who lost every passkey, only"
        " as a QR code (SVG) for their own phone to scan",
        guards=[require_staff("reception")],
    )
    async def reenrol(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[ReenrolmentIn],
    ) -> ReenrolmentIssued:
        return await service.issue_reenrolment(
            runtime_of(request), principal, data, client_of(request)
        )

    @get(
        "/officials",
        operation_id="listOfficials",
        summary="Officials of my agency (administrators)",
        guards=[require_staff("admin")],
    )
    async def officials(self, principal: NamedDependency[Principal]) -> list[StaffRead]:
        return await service.list_staff(principal)

    @post(
        "/officials",
        operation_id="createOfficial",
        summary="A new official of my agency, with an enrolment link (administrators)",
        guards=[require_staff("admin")],
    )
    async def create_official(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[StaffCreate],
    ) -> StaffCreated:
        client = client_of(request)
        return await service.create_staff(
            runtime_of(request), data, actor=principal, address=client.address
        )

    @patch(
        "/officials/{staff_id:int}",
        operation_id="updateOfficial",
        summary="Change an official's role, disable or enable them (administrators)",
        guards=[require_staff("admin")],
    )
    async def update_official(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        staff_id: FromPath[int],
        data: JSONBody[StaffUpdate],
    ) -> StaffRead:
        return await service.update_staff(
            runtime_of(request), principal, staff_id, data, client_of(request)
        )

    @post(
        "/officials/{staff_id:int}/enrolment",
        operation_id="reissueOfficialEnrolment",
        summary="A new enrolment link for an official (administrators)",
        guards=[require_staff("admin")],
    )
    async def reissue_enrolment(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        staff_id: FromPath[int],
    ) -> LinkIssued:
        return await service.issue_staff_enrolment(
            runtime_of(request), principal, staff_id, client_of(request)
        )


ACCOUNT_API = [AuthApi, AccountApi, OrganisationApi, InvitationApi, StaffApi, *CLAIM_API]
