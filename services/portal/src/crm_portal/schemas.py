"""Models of what the hand-written routes read and answer (probes, problems; the OAuth
endpoints in identity_schemas). The routes of the table (routes.py) read and answer proto
messages by their descriptors instead (gateway.py).

Query strings arrive as text, so they are parsed leniently ("20" -> 20) but refuse unknown
parameters.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError


def _without_nul(value: Any) -> Any:
    """Refuse NUL characters anywhere in a body: no database stores them in text."""
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _without_nul(item)
    return value


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


class NoQuery(Query):
    pass


# -- Responses ---------------------------------------------------------------------------------
# What the hand-written routes answer, for the OpenAPI document.


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Liveness(Reply):
    status: Literal["alive"]


class Readiness(Reply):
    status: Literal["ready"]
    circuits: dict[str, Literal["closed", "open", "half_open"]] = Field(
        description="per backend: closed (called), open (failing fast), half_open (probing)"
    )


class ProblemFieldError(Reply):
    field: str = Field(description='dotted path into the request; "" is the body as a whole')
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error the API answers, as application/problem+json."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description='a URI reference; "about:blank" when the status says it all')
    title: str
    status: int = Field(ge=100, le=599)
    detail: str
    instance: str = Field(description="the request path")
    correlation_id: str = Field(description="quote it when reporting a problem")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="the invalid fields, on validation problems"
    )
    existing_id: str | None = Field(default=None, description="the record a duplicate matches")
