"""The example's public web API: signup, signin and session endpoints that call
tiauth and keep the session token in an HttpOnly cookie."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional

from fastapi import Cookie, FastAPI, HTTPException, Response
from pydantic import BaseModel

from tiauth_faroe.client import ActionErrorResult
from tiauth_faroe.client.httpx_clients import HttpxAsyncClient

from users import UserStore

SESSION_COOKIE = "session_token"
SIGNUP_COOKIE = "signup_token"


class EmailBody(BaseModel):
    email: str


class CodeBody(BaseModel):
    code: str


class PasswordBody(BaseModel):
    password: str


class SigninBody(BaseModel):
    email: str
    password: str


def refuse(result: ActionErrorResult, status_code: int = 400) -> HTTPException:
    """tiauth's error code goes to the web client as it is: it names the problem
    (``incorrect_password``, ``weak_password``, ...) without leaking secrets."""
    return HTTPException(status_code=status_code, detail=result.error_code)


def create_web_app(tiauth_url: str, store: UserStore, secure_cookies: bool = True) -> FastAPI:
    """The public FastAPI app, calling tiauth at ``tiauth_url``."""
    tiauth: Optional[HttpxAsyncClient] = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal tiauth
        tiauth = HttpxAsyncClient(tiauth_url, timeout=10)
        try:
            yield
        finally:
            await tiauth.aclose()

    app = FastAPI(title="tiauth example", lifespan=lifespan)

    def auth() -> HttpxAsyncClient:
        assert tiauth is not None, "the app's lifespan has not started"
        return tiauth

    def set_cookie(response: Response, name: str, value: str, max_age: Optional[int] = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=secure_cookies)

    def require(token: Optional[str], what: str) -> str:
        if not token:
            raise HTTPException(status_code=401, detail=f"no {what}")
        return token

    @app.post("/api/signup")
    async def start_signup(body: EmailBody, response: Response) -> dict[str, Any]:
        result = await auth().create_signup(body.email)
        if isinstance(result, ActionErrorResult):
            raise refuse(result)
        set_cookie(response, SIGNUP_COOKIE, result.signup_token)
        return {"email_address": result.signup.email_address}

    @app.post("/api/signup/verify")
    async def verify_signup(body: CodeBody, signup_token: Optional[str] = Cookie(None)) -> dict[str, Any]:
        token = require(signup_token, "signup")
        result = await auth().verify_signup_email_address_verification_code(token, body.code)
        if isinstance(result, ActionErrorResult):
            raise refuse(result)
        return {"verified": True}

    @app.post("/api/signup/password")
    async def set_password(body: PasswordBody, signup_token: Optional[str] = Cookie(None)) -> dict[str, Any]:
        result = await auth().set_signup_password(require(signup_token, "signup"), body.password)
        if isinstance(result, ActionErrorResult):
            raise refuse(result)
        return {"password_set": True}

    @app.post("/api/signup/complete")
    async def complete_signup(response: Response, signup_token: Optional[str] = Cookie(None)) -> dict[str, Any]:
        result = await auth().complete_signup(require(signup_token, "signup"))
        if isinstance(result, ActionErrorResult):
            raise refuse(result)
        response.delete_cookie(SIGNUP_COOKIE)
        set_cookie(response, SESSION_COOKIE, result.session_token)
        return {"user_id": result.session.user_id}

    @app.post("/api/signin")
    async def signin(body: SigninBody, response: Response) -> dict[str, Any]:
        created = await auth().create_signin(body.email)
        if isinstance(created, ActionErrorResult):
            raise refuse(created)
        verified = await auth().verify_signin_user_password(created.signin_token, body.password)
        if isinstance(verified, ActionErrorResult):
            raise refuse(verified)
        completed = await auth().complete_signin(created.signin_token)
        if isinstance(completed, ActionErrorResult):
            raise refuse(completed)
        set_cookie(response, SESSION_COOKIE, completed.session_token)
        return {"user_id": completed.session.user_id}

    @app.get("/api/me")
    async def me(session_token: Optional[str] = Cookie(None)) -> dict[str, Any]:
        result = await auth().get_session(require(session_token, "session"))
        if isinstance(result, ActionErrorResult):
            raise refuse(result, status_code=401)
        return {
            "user_id": result.session.user_id,
            "email_address": store.find_email_address(result.session.user_id),
        }

    @app.post("/api/signout")
    async def signout(response: Response, session_token: Optional[str] = Cookie(None)) -> dict[str, Any]:
        result = await auth().delete_session(require(session_token, "session"))
        response.delete_cookie(SESSION_COOKIE)
        if isinstance(result, ActionErrorResult):
            raise refuse(result, status_code=401)
        return {"signed_out": True}

    return app
