"""Page tokens: opaque, round-trip the sort key, and any edit makes them invalid."""

from __future__ import annotations

import pytest
from crm_platform.errors import ValidationFailed
from crm_platform.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_token,
    encode_token,
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
