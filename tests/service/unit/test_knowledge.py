"""The knowledge base's domain and handlers on fakes: drafts and published versions, who
writes, what a customer may read, the search words taken from a question, suggestions solved
once, and the deflection rate."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from crm_platform.errors import FailedPrecondition, PermissionDenied, ValidationFailed
from crm_service.domain.knowledge import (
    Article,
    ArticleText,
    Deflection,
    Suggestion,
    checked_question,
    search_terms,
)

from tests.service.unit.fakes import AGENT, CUSTOMER, MANAGER, NOW, OTHER_CUSTOMER, SALES_REP


def article() -> Article:
    return Article.write(
        AGENT,
        id=uuid.uuid4(),
        text=ArticleText("  Resetting a  recliner ", " Pull the lever. "),
        category=" Furniture ",
        tags=["Repairs", "recliner", "repairs", " "],
        now=NOW,
    )


def test_an_article_starts_as_a_draft_filed_under_lowercase_category_and_tags() -> None:
    written = article()
    assert written.draft == ArticleText("Resetting a recliner", "Pull the lever.")
    assert (written.category, written.tags) == ("furniture", ("recliner", "repairs"))
    assert (written.published, written.version, written.is_published) == (None, 1, False)


def test_publishing_makes_the_draft_the_next_version_and_an_edit_a_new_draft() -> None:
    written = article()
    first = written.publish(MANAGER, NOW)
    assert (first.number, written.draft, written.version) == (1, None, 2)
    with pytest.raises(FailedPrecondition):
        written.publish(AGENT, NOW)

    later = NOW + timedelta(hours=1)
    written.edit(AGENT, later, text=ArticleText("Reset", "Pull harder."), category="", tags=[])
    assert written.published is not None
    assert written.published.text.title == "Resetting a recliner"  # still what customers read
    assert written.draft == ArticleText("Reset", "Pull harder.")
    second = written.publish(AGENT, later)
    assert (second.number, second.text.body, second.published_at) == (2, "Pull harder.", later)


def test_only_service_staff_write_and_bad_text_names_its_fields() -> None:
    for actor in (CUSTOMER, SALES_REP):
        with pytest.raises(PermissionDenied):
            Article.write(
                actor, id=uuid.uuid4(), text=ArticleText("T", "B"), category="", tags=[], now=NOW
            )
    with pytest.raises(ValidationFailed) as refused:
        Article.write(
            AGENT,
            id=uuid.uuid4(),
            text=ArticleText(" ", ""),
            category="x" * 101,
            tags=["t" * 51],
            now=NOW,
        )
    assert {violation.field for violation in refused.value.violations} == {"category", "tags"}
    with pytest.raises(ValidationFailed) as text:
        ArticleText(" ", "").checked()
    assert {violation.field for violation in text.value.violations} == {"title", "body"}


def test_search_words_carry_no_query_operators() -> None:
    assert search_terms('Sofa "leg" -broken* OR (near) sofa') == [
        "sofa", "leg", "broken", "or", "near",
    ]  # fmt: skip
    assert search_terms("?!") == []
    assert checked_question("  How   do I reset it? ") == "How do I reset it?"
    with pytest.raises(ValidationFailed):
        checked_question("   ")


def test_a_suggestion_is_solved_once_by_its_asker_with_a_suggested_article() -> None:
    suggested = uuid.uuid4()
    suggestion = Suggestion(
        uuid.uuid4(), CUSTOMER.subject, CUSTOMER.customer_id, "How?", (suggested,), None, None, NOW
    )
    with pytest.raises(PermissionDenied):
        suggestion.solve(OTHER_CUSTOMER, suggested, NOW)
    with pytest.raises(ValidationFailed):
        suggestion.solve(CUSTOMER, uuid.uuid4(), NOW)
    suggestion.solve(CUSTOMER, suggested, NOW)
    assert (suggestion.solved_by, suggestion.solved_at) == (suggested, NOW)
    with pytest.raises(FailedPrecondition):
        suggestion.solve(CUSTOMER, suggested, NOW)


def test_the_deflection_rate_is_solved_over_suggested() -> None:
    assert Deflection(suggestions=4, solved=1).rate == 0.25
    assert Deflection(suggestions=0, solved=0).rate == 0.0
