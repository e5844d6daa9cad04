"""RFC 9457 problem details: every API error is ``application/problem+json``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from metalwire.errors import ServiceError

PROBLEM_JSON = "application/problem+json"


class InvalidParam(BaseModel):
    name: str = Field(examples=["tier"])
    location: str = Field(examples=["query"])
    reason: str = Field(examples=["Input should be 'free' or 'premium'"])


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str = Field(default="about:blank", examples=["urn:metalwire:problem:not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["no price series with code 'XX'"])
    instance: str | None = Field(default=None, examples=["/api/v1/series/XX"])
    invalid_params: list[InvalidParam] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A parameter is invalid; `invalid_params` names it."},
}


class ProblemError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        invalid_params: list[InvalidParam] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.invalid_params = invalid_params
        self.headers = headers


def not_found(detail: str) -> ProblemError:
    return ProblemError(404, detail, kind="not-found")


def invalid_parameter(name: str, reason: str, location: str = "query") -> ProblemError:
    return ProblemError(
        422,
        f"invalid parameter {name!r}: {reason}",
        kind="invalid-parameter",
        invalid_params=[InvalidParam(name=name, location=location, reason=reason)],
    )


def service_problem(exc: ServiceError) -> ProblemError:
    """A service's refusal as a problem: status and code from its type, one ``invalid_params``
    entry for each located problem that names a field."""
    params = [
        InvalidParam(name=problem.field, location="body", reason=problem.message)
        for problem in exc.problems
        if problem.field is not None
    ]
    return ProblemError(exc.status, str(exc), kind=exc.code, invalid_params=params or None)


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=f"urn:metalwire:problem:{kind}" if kind else "about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        invalid_params=invalid_params,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


BUSY_RETRY_AFTER = "2"
FASTAPI_BODY_ERROR = "There was an error parsing the body"  # fastapi.routing, any non-JSON error


def _busy(request: Request, detail: str) -> Any:
    """503 with Retry-After, without touching the database (it is what is busy)."""
    headers = {"Retry-After": BUSY_RETRY_AFTER, "Cache-Control": "no-store"}
    if not _is_api(request):
        return HTMLResponse(
            f"<!doctype html><title>503</title><h1>503</h1><p>{detail}</p>",
            status_code=503,
            headers=headers,
        )
    return problem_response(request, 503, detail, kind="unavailable", headers=headers)


def _is_busy_database(exc: OperationalError) -> bool:
    # SQLite's answer when another writer held the file past busy_timeout
    return "database is locked" in str(exc.orig)


def _validation_params(exc: RequestValidationError) -> list[InvalidParam]:
    """Each of FastAPI's validation errors as the parameter it names, where and why."""
    params = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or location
        params.append(InvalidParam(name=name, location=location, reason=str(error["msg"])))
    return params


def _undecodable_body() -> ProblemError:
    """A body FastAPI could not decode (not UTF-8): bad input like malformed JSON, which already
    answers 422, and the documented answer to bad input."""
    reason = "not a JSON document in UTF-8"
    return ProblemError(
        422,
        f"body: {reason}",
        kind="invalid-parameter",
        invalid_params=[InvalidParam(name="body", location="body", reason=reason)],
    )


def install_problem_handlers(app: FastAPI, html_error: Any) -> None:
    """API paths answer problem+json; page paths get the site's error page from ``html_error``.
    The error page reads the navigation from the database: it is rendered in the thread pool,
    never on the event loop."""

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> Any:
        return _busy(request, "the service is busy (no database connection free); retry shortly")

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Any:
        if not _is_api(request):
            return await run_in_threadpool(html_error, request, exc.status, exc.detail)
        return problem_response(
            request,
            exc.status,
            exc.detail,
            kind=exc.kind,
            invalid_params=exc.invalid_params,
            headers=exc.headers,
        )

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Any:
        return await _problem(request, service_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Any:
        params = _validation_params(exc)
        detail = "; ".join(f"{p.name}: {p.reason}" for p in params)
        if not _is_api(request):
            return await run_in_threadpool(html_error, request, 422, detail)
        return problem_response(
            request, 422, detail, kind="invalid-parameter", invalid_params=params
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 400 and exc.detail == FASTAPI_BODY_ERROR:
            return await _problem(request, _undecodable_body())
        if not _is_api(request):
            return await run_in_threadpool(html_error, request, exc.status_code, str(exc.detail))
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        if isinstance(exc, PoolTimeout) or (
            isinstance(exc, OperationalError) and _is_busy_database(exc)
        ):
            return _busy(request, "the service is busy; retry shortly")
        if not _is_api(request):
            return await run_in_threadpool(html_error, request, 500, None)
        return problem_response(request, 500, "internal error; the server log has the details")
