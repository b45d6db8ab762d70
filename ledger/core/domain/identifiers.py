"""Identifiers the platform speaks: ENTSO-E EIC codes and Italian POD codes.

An EIC (Energy Identification Code) has "16 characters from `0-9 A-Z -`; the last is a check
character: map `0-9` to 0-9, `A-Z` to 10-35, `-` to 36; weight the first 15 characters 16, 15,
..., 2; with S the weighted sum, the check value is 36 - ((S - 1) mod 37), mapped back"
(DOMAIN.md section 6). Because 37 is prime and every weight lies in 2..16, changing any single
character changes S mod 37 and therefore the check character: one-character typos never pass.

The check character is computed by python-stdnum (``stdnum.eu.eic.calc_check_digit``, the
same rule). Its ``validate`` is not used, since it differs from the platform's rule in two ways
that would change what is accepted: it strips spaces before checking (``"22XWATTPLUS ----G"``
passes), and it refuses a code whose check character is ``-`` (``"10XDEMO-0000004-"``, which the
rule above gives and the platform accepts). So the length and the characters are checked here,
and only the arithmetic is the library's (tests/unit/domain/test_identifiers.py pins both
differences).

Italian POD codes "look like `IT001E12345678` (country, distributor number, `E`, digits)".
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.eu import eic as stdnum_eic

__all__ = [
    "EIC_ALPHABET",
    "EIC_LENGTH",
    "POD_CODE_PATTERN",
    "eic_check_character",
    "eic_from_bytes16",
    "eic_problem",
    "eic_to_bytes16",
    "is_valid_eic",
    "is_valid_pod_code",
    "make_eic",
    "pod_code_problem",
]

EIC_LENGTH: Final = 16
#: The 37 characters an EIC may contain, in the order of their numeric values 0..36.
EIC_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"
_EIC_CHARACTERS: Final = frozenset(EIC_ALPHABET)

#: Country (2 letters), distributor number (3 digits), ``E``, then 8 or 9 digits (anchored).
POD_CODE_PATTERN: Final = re.compile(r"^[A-Z]{2}[0-9]{3}E[0-9]{8,9}\Z")


def eic_check_character(first15: str) -> str:
    """Return the check character for the first 15 characters of an EIC.

    Raises ``ValueError`` if ``first15`` is not 15 characters from ``0-9 A-Z -``.
    The check value 36 - ((S - 1) mod 37) always lies in 0..36, so it always maps back to a
    character; a code is invalid only when its 16th character differs from it.
    """
    if len(first15) != EIC_LENGTH - 1:
        raise ValueError(f"expected {EIC_LENGTH - 1} characters, got {len(first15)}")
    problem = _character_problem(first15)
    if problem is not None:
        raise ValueError(problem)
    return stdnum_eic.calc_check_digit(first15)


def _character_problem(text: str) -> str | None:
    """Name the first character of ``text`` that no EIC may contain, and where it is."""
    for position, character in enumerate(text, start=1):
        if character not in _EIC_CHARACTERS:
            return (
                f"not a valid EIC code: character {character!r} at position {position} is not"
                " allowed (only 0-9, uppercase A-Z and '-')"
            )
    return None


def eic_problem(code: str) -> str | None:
    """Explain why ``code`` is not a valid EIC, or return ``None`` when it is valid."""
    if len(code) != EIC_LENGTH:
        return f"not a valid EIC code: expected {EIC_LENGTH} characters, got {len(code)}"
    problem = _character_problem(code)
    if problem is not None:
        return problem
    if eic_check_character(code[:-1]) != code[-1]:
        return "not a valid EIC code: check character mismatch"
    return None


def is_valid_eic(code: str) -> bool:
    """True if ``code`` is 16 characters from ``0-9 A-Z -`` with a correct check character."""
    return isinstance(code, str) and eic_problem(code) is None


def make_eic(prefix15: str) -> str:
    """Append the check character to a 15-character prefix (for test and demo codes)."""
    return prefix15 + eic_check_character(prefix15)


def eic_to_bytes16(code: str) -> bytes:
    """The 16 ASCII bytes of a valid EIC, as stored in a Solidity ``bytes16``."""
    problem = eic_problem(code)
    if problem is not None:
        raise ValueError(f"{code!r} is {problem}")
    return code.encode("ascii")


def eic_from_bytes16(raw: bytes) -> str:
    """Inverse of :func:`eic_to_bytes16`; raises ``ValueError`` unless ``raw`` holds a valid EIC."""
    try:
        code = raw.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not a valid EIC code: non-ASCII bytes") from None
    problem = eic_problem(code)
    if problem is not None:
        raise ValueError(problem)
    return code


def pod_code_problem(code: str) -> str | None:
    """Explain why ``code`` is not a POD code, or return ``None`` when it is one."""
    if POD_CODE_PATTERN.fullmatch(code) is None:
        return (
            "not a valid POD code: expected country (2 letters), distributor number (3 digits),"
            " 'E' and 8-9 digits, e.g. IT001E12345678"
        )
    return None


def is_valid_pod_code(code: str) -> bool:
    """True if ``code`` looks like an Italian POD code such as ``IT001E12345678``."""
    return isinstance(code, str) and POD_CODE_PATTERN.fullmatch(code) is not None
