"""EIC check characters and POD codes (DOMAIN.md section 6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.eu import eic as stdnum_eic

from ledger.core.domain.identifiers import (
    EIC_ALPHABET,
    POD_CODE_PATTERN,
    eic_check_character,
    eic_from_bytes16,
    eic_problem,
    eic_to_bytes16,
    is_valid_eic,
    is_valid_pod_code,
    make_eic,
)

VALID_EICS = [
    "10X1001A1001A345",
    "26X00000105128-9",
    "10YIT-GRTN-----B",
    "21Z000000000163R",
    "10YTR-TEIAS----W",
]

prefixes = st.text(alphabet=EIC_ALPHABET, min_size=15, max_size=15)


def substitutions(code: str) -> list[str]:
    """Every code that differs from ``code`` in exactly one character."""
    return [
        code[:position] + replacement + code[position + 1 :]
        for position in range(len(code))
        for replacement in EIC_ALPHABET
        if replacement != code[position]
    ]


@pytest.mark.parametrize("code", VALID_EICS)
def test_source_examples_are_valid(code: str) -> None:
    assert is_valid_eic(code)
    assert eic_problem(code) is None
    assert eic_check_character(code[:15]) == code[15]
    assert make_eic(code[:15]) == code


@pytest.mark.parametrize("code", VALID_EICS)
def test_every_single_character_change_of_the_examples_is_rejected(code: str) -> None:
    changed = substitutions(code)
    assert len(changed) == 16 * 36
    assert not any(is_valid_eic(other) for other in changed)


@given(prefix=prefixes)
def test_make_eic_round_trip(prefix: str) -> None:
    code = make_eic(prefix)
    assert len(code) == 16
    assert code.startswith(prefix)
    assert is_valid_eic(code)
    assert eic_from_bytes16(eic_to_bytes16(code)) == code


@given(
    prefix=prefixes,
    position=st.integers(min_value=0, max_value=15),
    replacement=st.sampled_from(EIC_ALPHABET),
)
def test_any_single_character_change_is_rejected(
    prefix: str, position: int, replacement: str
) -> None:
    code = make_eic(prefix)
    changed = code[:position] + replacement + code[position + 1 :]
    assert is_valid_eic(changed) == (changed == code)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("10x1001a1001a345", "uppercase"),
        ("10X1001A1001A34", "expected 16 characters"),
        ("10X1001A1001A3455", "expected 16 characters"),
        ("10X1001A1001A34_", "only 0-9"),
        ("", "expected 16 characters"),
        ("10X1001A1001A346", "check character mismatch"),
    ],
)
def test_invalid_codes_are_explained(code: str, problem: str) -> None:
    assert not is_valid_eic(code)
    reason = eic_problem(code)
    assert reason is not None
    assert problem in reason


def documented_check_character(first15: str) -> str:
    """DOMAIN.md section 6, word for word: weights 16..2, 36 - ((S - 1) mod 37)."""
    total = sum(EIC_ALPHABET.index(c) * w for c, w in zip(first15, range(16, 1, -1), strict=True))
    return EIC_ALPHABET[36 - ((total - 1) % 37)]


@given(prefix=prefixes)
def test_the_librarys_check_character_is_the_documented_rule(prefix: str) -> None:
    assert eic_check_character(prefix) == documented_check_character(prefix)


def test_what_stdnum_validate_would_change_is_kept_as_before() -> None:
    """python-stdnum's ``validate`` strips spaces and refuses "-" as a check character; the
    platform does neither (the same accept and refuse as before the library)."""
    assert stdnum_eic.is_valid("22XWATTPLUS ----G")
    assert not is_valid_eic("22XWATTPLUS ----G")
    assert not is_valid_eic(" 22XWATTPLUS----G")
    assert not stdnum_eic.is_valid("10XDEMO-0000004-")
    assert is_valid_eic("10XDEMO-0000004-")
    assert make_eic("10XDEMO-0000004") == "10XDEMO-0000004-"


def test_non_string_is_not_an_eic() -> None:
    assert not is_valid_eic(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["10X1001A1001A3", "10X1001A1001A3x", "10X1001A1001A3 "])
def test_check_character_needs_fifteen_allowed_characters(prefix: str) -> None:
    with pytest.raises(ValueError, match=r"characters|not allowed"):
        eic_check_character(prefix)


def test_bytes16_is_the_ascii_code() -> None:
    assert eic_to_bytes16("10X1001A1001A345") == b"10X1001A1001A345"
    with pytest.raises(ValueError, match="check character mismatch"):
        eic_to_bytes16("10X1001A1001A346")
    with pytest.raises(ValueError, match="non-ASCII"):
        eic_from_bytes16(b"\xff" * 16)
    with pytest.raises(ValueError, match="expected 16"):
        eic_from_bytes16(b"\x00" * 15)


@pytest.mark.parametrize("code", ["IT001E12345678", "IT001E123456789", "IT012E00000001"])
def test_valid_pod_codes(code: str) -> None:
    assert is_valid_pod_code(code)
    assert POD_CODE_PATTERN.match(code)


@pytest.mark.parametrize(
    "code",
    [
        "IT001E1234567",  # 7 digits
        "IT001E1234567890",  # 10 digits
        "it001E12345678",  # lowercase country
        "IT01E12345678",  # 2-digit distributor
        "IT001X12345678",  # not E
        "IT001E12345678\n",  # trailing newline
        "",
    ],
)
def test_invalid_pod_codes(code: str) -> None:
    assert not is_valid_pod_code(code)
    assert not POD_CODE_PATTERN.match(code)
