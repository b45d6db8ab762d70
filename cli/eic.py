"""``cbp eic``: complete or check an ENTSO-E EIC code with the platform's one EIC rule."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer
from rich.console import Console

from ledger.core.domain.identifiers import EIC_LENGTH, eic_check_character, eic_problem

eic_app = typer.Typer(
    help="EIC codes: complete a 15-character code with its check character, or check one.",
    no_args_is_help=True,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _refuse(code: str, message: str) -> NoReturn:
    errors.print(f"[red]error (code):[/red] {code!r} is {message}", soft_wrap=True)
    raise typer.Exit(code=1)


@eic_app.command("check")
def check(
    code: Annotated[
        str,
        typer.Argument(
            help=f"{EIC_LENGTH - 1} characters to complete, or {EIC_LENGTH} characters to check"
        ),
    ],
) -> None:
    """Print the complete 16-character code of a 15-character one, or check a 16-character one.

    Exits with 0 for a completed or valid code, 1 otherwise (naming the expected check
    character when only that is wrong)."""
    if len(code) == EIC_LENGTH - 1:
        try:
            check_character = eic_check_character(code)
        except ValueError as error:
            _refuse(code, str(error))
        console.print(code + check_character, soft_wrap=True)
        return
    if len(code) != EIC_LENGTH:
        _refuse(
            code,
            f"not a valid EIC code: expected {EIC_LENGTH - 1} characters (to complete) or"
            f" {EIC_LENGTH} (to check), got {len(code)}",
        )
    problem = eic_problem(code)
    if problem is None:
        console.print(f"{code} is a valid EIC code", soft_wrap=True)
        return
    try:
        expected = eic_check_character(code[:-1])
    except ValueError:
        _refuse(code, problem)
    _refuse(
        code,
        f"{problem}; the check character of {code[:-1]} is {expected!r}, not {code[-1]!r}"
        f" (the valid code is {code[:-1] + expected})",
    )
