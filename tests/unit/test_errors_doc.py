"""docs/errors.md is rendered from the catalogue (tests/catalogue/): it must match what the cases say."""

from tests.catalogue import DOC, all_cases, render


def test_errors_doc_is_up_to_date() -> None:
    assert DOC.read_text() == render(), "docs/errors.md is out of date: run `python -m tests.catalogue`"


def test_every_case_is_a_row() -> None:
    text = DOC.read_text()
    cases = all_cases()
    assert len(cases) >= 60
    for case in cases:
        assert f"| {case.id} |" in text
