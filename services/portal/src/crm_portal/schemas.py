"""Request models of the REST API: every body and query string is validated here first.

Bodies are strict (no "1" for 1, no "yes" for true) and refuse unknown fields; sizes are
limited so a request cannot make the backends hold unbounded data. Query strings arrive as
text, so they are parsed leniently ("20" -> 20) but also refuse unknown parameters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_platform.paging import MAX_PAGE_SIZE
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# Enum values as the API spells them (lowercase proto enum names without their prefix).
PartyKindName = Literal["person", "organization"]
GenderName = Literal["female", "male", "other"]
SourceName = Literal["web", "phone", "sales_rep", "distributor", "partner", "campaign", "portal"]
ConsentChannelName = Literal["email", "sms", "phone", "post"]
InteractionChannelName = Literal[
    "email", "phone", "sms", "meeting", "portal", "web", "chat", "post"
]

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# digits with the usual separators; the customer service normalizes to E.164
Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^\+?[0-9 ().-]*[0-9][0-9 ().-]*$"),
]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=50)]
PreferenceKey = Annotated[str, StringConstraints(min_length=1, max_length=50)]
PreferenceValue = Annotated[str, StringConstraints(max_length=200)]
Preferences = Annotated[dict[PreferenceKey, PreferenceValue], Field(max_length=50)]
OwnerId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
PageToken = Annotated[str, StringConstraints(max_length=1000)]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


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


class CustomerCreate(Body):
    kind: PartyKindName = "person"
    name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    region: Place | None = None
    city: Place | None = None
    birth_date: BirthDate | None = None
    gender: GenderName | None = None
    tags: Tags = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=dict)
    source: SourceName | None = None
    owner_id: OwnerId | None = None
    partner_id: UUID | None = Field(
        default=None,
        description="the partner the customer is assigned to: its partner users may read it "
        "(staff and machine clients only)",
    )


class CustomerPatch(Body):
    """Only the fields present change; null clears a field that may be empty.

    `version` (or the If-Match header) makes the change conditional on the customer's version.
    """

    kind: PartyKindName | None = None
    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    region: Place | None = None
    city: Place | None = None
    birth_date: BirthDate | None = None
    gender: GenderName | None = None
    tags: Tags | None = None
    preferences: Preferences | None = None
    source: SourceName | None = None
    owner_id: OwnerId | None = None
    partner_id: UUID | None = Field(
        default=None,
        description="assign to a partner, or null to unassign (staff and machine clients only)",
    )
    version: Annotated[int, Field(ge=1)] | None = None

    @field_validator("kind", "name", mode="before")
    @classmethod
    def _required_when_present(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_clearable", "may be changed but not cleared")
        return value

    @property
    def changed_fields(self) -> list[str]:
        """The customer fields present in the body, in declaration order."""
        return [
            name
            for name in type(self).model_fields
            if name in self.model_fields_set and name != "version"
        ]

    @model_validator(mode="after")
    def _changes_something(self) -> CustomerPatch:
        if not self.changed_fields:
            raise PydanticCustomError("no_changes", "change at least one field")
        return self


class MergeRequest(Body):
    """The customer whose record is merged into the one in the path (which survives)."""

    merged_id: UUID


class RecognizeRequest(Body):
    email: EmailStr | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _email_or_phone(self) -> RecognizeRequest:
        if self.email is None and self.phone is None:
            raise PydanticCustomError("missing_contact", "give an email or a phone")
        return self


class BlacklistRequest(Body):
    reason: Reason


class UnblacklistRequest(Body):
    reason: Reason | None = None


class ConsentRequest(Body):
    granted: bool


class InteractionCreate(Body):
    channel: InteractionChannelName
    summary: Summary
    occurred_at: AwareDatetime | None = None  # defaults to now


class NoQuery(Query):
    pass


class PageQuery(Query):
    page_size: PageSize | None = None
    page_token: PageToken | None = None


class CustomerListQuery(PageQuery):
    region: Place | None = None
    tag: Tag | None = None
    source: SourceName | None = None
    q: SearchText | None = None
    partner_id: UUID | None = Field(
        default=None,
        description="only the customers assigned to this partner (a partner user sees only "
        "their own partner's)",
    )


# -- Responses ---------------------------------------------------------------------------------
# What the API answers, for the OpenAPI document (adapters/mapping.py builds the JSON; the
# tests check that what it builds validates against these). Enum values the gateway does not
# know yet, and the unspecified ones, come out as null.

RecognitionName = Literal["new", "returning", "blacklisted"]
ActorKindName = Literal["staff", "customer", "partner", "service", "system"]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentState(Reply):
    granted: bool
    updated_at: Timestamp | None


class Customer(Reply):
    id: UUID
    kind: PartyKindName | None
    name: str
    email: str | None
    phone: str | None
    region: str | None
    city: str | None
    birth_date: date | None
    gender: GenderName | None
    tags: list[str]
    preferences: dict[str, str]
    source: SourceName | None
    owner_id: str | None
    partner_id: UUID | None
    blacklisted: bool
    blacklist_reason: str | None
    merged_into_id: UUID | None
    consents: dict[ConsentChannelName, ConsentState]
    version: int
    created_at: Timestamp | None
    updated_at: Timestamp | None


class CustomerPage(Reply):
    items: list[Customer]
    next_page_token: str | None = Field(description="pass as page_token for the next page")


class Recognition(Reply):
    recognition: RecognitionName | None
    customer: Customer | None


class Actor(Reply):
    subject: str
    kind: ActorKindName | None


class Interaction(Reply):
    id: UUID
    customer_id: UUID
    channel: InteractionChannelName | None
    summary: str
    occurred_at: Timestamp | None
    actor: Actor | None


class InteractionPage(Reply):
    items: list[Interaction]
    next_page_token: str | None = Field(description="pass as page_token for the next page")


class SegmentCount(Reply):
    key: str
    count: int


class DemographicSegments(Reply):
    total_customers: int
    by_region: list[SegmentCount]
    by_gender: list[SegmentCount]
    by_age_band: list[SegmentCount]
    by_source: list[SegmentCount]
    blacklisted_customers: int
    merged_customers: int
    as_of: Timestamp | None


class Liveness(Reply):
    status: Literal["alive"]


class Readiness(Reply):
    status: Literal["ready"]
    checks: dict[str, Literal["serving", "not_serving"]]


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
