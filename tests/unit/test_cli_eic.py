"""``cbp eic check``: complete a 15-character EIC with its check character, or check 16."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger.core.domain.identifiers import is_valid_eic

runner = CliRunner()


def eic_check(code: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["eic", "check", "--", code], env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


def test_the_readme_example_is_completed_with_its_check_character() -> None:
    code, out, err = eic_check("21XBSP-ALPHA---")
    assert (code, err) == (0, "")
    assert out.strip() == "21XBSP-ALPHA---L"
    assert is_valid_eic(out.strip())


@pytest.mark.parametrize(
    "valid", ["10X1001A1001A345", "26X00000105128-9", "10YIT-GRTN-----B", "21XBSP-ALPHA---L"]
)
def test_a_valid_code_is_confirmed(valid: str) -> None:
    code, out, _ = eic_check(valid)
    assert code == 0
    assert out.strip() == f"{valid} is a valid EIC code"
    completed = eic_check(valid[:-1])
    assert completed[:2] == (0, f"{valid}\n")


def test_a_wrong_check_character_is_refused_with_the_right_one() -> None:
    code, out, err = eic_check("21XBSP-ALPHA---X")
    assert (code, out) == (1, "")
    assert "check character mismatch" in err
    assert "is 'L', not 'X'" in err
    assert "21XBSP-ALPHA---L" in err


@pytest.mark.parametrize(
    ("given", "explanation"),
    [
        ("21XBSP-ALPHA", "expected 15 characters (to complete) or 16 (to check), got 12"),
        ("21XBSP-ALPHA---LL", "got 17"),
        ("", "got 0"),
        ("21xBSP-ALPHA---", "character 'x' at position 3 is not allowed"),
        ("21XBSP_ALPHA---L", "character '_' at position 7 is not allowed"),
        ("21XBSP-ALPHA--- ", "character ' ' at position 16 is not allowed"),
    ],
)
def test_wrong_length_or_characters_are_explained(given: str, explanation: str) -> None:
    code, out, err = eic_check(given)
    assert (code, out) == (1, "")
    assert explanation in err
    assert err.startswith("error (code):")
