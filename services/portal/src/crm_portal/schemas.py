"""Request and response models of the hand-written routes (identity, the portal's own record,
probes, problems). The routes of the table (routes.py) read and answer proto messages by their
descriptors instead (gateway.py).

Bodies are strict (no "1" for 1, no "yes" for true) and refuse unknown fields; sizes are
limited so a request cannot make the backends hold unbounded data. Query strings arrive as
text, so they are parsed leniently ("20" -> 20) but also refuse unknown parameters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from crm_platform.paging import MAX_PAGE_SIZE
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

# Enum values as the API spells them (lowercase proto enum names without their prefix).
PartyKindName = Literal["person", "organization"]
GenderName = Literal["female", "male", "other"]
SourceName = Literal["web", "phone", "sales_rep", "distributor", "partner", "campaign", "portal"]
ConsentChannelName = Literal["email", "sms", "phone", "post"]

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# digits with the usual separators; the customer service normalizes to E.164
Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^\+?[0-9 ().-]*[0-9][0-9 ().-]*$"),
]
PreferenceKey = Annotated[str, StringConstraints(min_length=1, max_length=50)]
PreferenceValue = Annotated[str, StringConstraints(max_length=200)]
Preferences = Annotated[dict[PreferenceKey, PreferenceValue], Field(max_length=50)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[str, StringConstraints(max_length=1000)]


def _not_in_future(value: date) -> date:
    if value > datetime.now(UTC).date():
        raise PydanticCustomError("future_date", "must not be in the future")
    return value


BirthDate = Annotated[date, AfterValidator(_not_in_future)]


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


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


class NoQuery(Query):
    pass


# -- Responses ---------------------------------------------------------------------------------
# What the hand-written routes answer, for the OpenAPI document. Enum values the gateway does
# not know yet, and the unspecified ones, come out as null.

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


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
