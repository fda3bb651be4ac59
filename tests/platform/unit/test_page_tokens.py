"""Page tokens: opaque, round-trip the sort key, and any edit makes them invalid; pages carry
the keyset position of their last row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from crm_platform.errors import ValidationFailed
from crm_platform.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_cursor,
    decode_token,
    encode_token,
    page_of,
    page_size,
)

KEY = ["2024-05-17T09:30:12+00:00", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", 42, None]


def test_round_trip():
    token = encode_token(KEY)
    assert decode_token(token) == KEY
    assert "2024" not in token  # opaque, not the key in clear


def test_no_token_means_first_page():
    assert decode_token("") is None


@pytest.mark.parametrize("position", [0, 5, 17, -1])
def test_an_edited_character_is_rejected(position):
    token = encode_token(KEY)
    replacement = "A" if token[position] != "A" else "B"
    edited = token[:position] + replacement + token[position + 1 :]
    if position == -1:
        edited = token[:-1] + replacement
    with pytest.raises(ValidationFailed) as failure:
        decode_token(edited)
    assert failure.value.violations[0].field == "page.page_token"


@pytest.mark.parametrize(
    "token",
    ["x", "!!!!", "é", "W10", "bm90IGEgdG9rZW4", encode_token(KEY)[:-4], encode_token(KEY) + "AA"],
)
def test_garbage_is_rejected(token):
    with pytest.raises(ValidationFailed):
        decode_token(token, field="token")


def test_field_name_is_reported():
    with pytest.raises(ValidationFailed) as failure:
        decode_token("nonsense", field="page_token")
    assert failure.value.violations[0].field == "page_token"


def test_page_size_defaults_caps_and_rejects_negative():
    assert page_size(0) == DEFAULT_PAGE_SIZE
    assert page_size(10) == 10
    assert page_size(MAX_PAGE_SIZE + 1) == MAX_PAGE_SIZE
    with pytest.raises(ValidationFailed):
        page_size(-1)


def test_a_page_hands_out_the_position_of_its_last_row():
    moment = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    rows = [(moment + timedelta(seconds=n), uuid4()) for n in range(3)]

    first = page_of(rows, 2, lambda row: row)
    last = page_of(rows[2:], 2, lambda row: row)

    assert first.items == rows[:2]
    assert decode_cursor(first.next_page_token) == rows[1]
    assert (last.items, last.next_page_token) == (rows[2:], "")


def test_a_cursor_token_of_another_shape_is_invalid():
    with pytest.raises(ValidationFailed, match=r"page\.page_token"):
        decode_cursor(encode_token(["not a time", "not an id"]))
    assert decode_cursor("") is None
