"""Identity numbers typed on the keypad: cédula, foreigner's code, passport."""

from __future__ import annotations

import pytest
from domain_fakes import cedula_check_digit, make_cedula
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.identity import (
    IdCheck,
    IdProblem,
    IdType,
    check_cedula,
    check_foreigner_code,
    check_id,
    check_passport,
    citizen_ref,
)

VALID_PROVINCES = [f"{p:02d}" for p in [*range(1, 25), 30]]


def test_independent_check_digit_matches_a_known_cedula() -> None:
    # 1·2 + 7 + 1·2 + 0 + 0 + 3 + 4·2 + 0 + (6·2 − 9) = 25 → 10 − 5 = 5
    assert cedula_check_digit("171003406") == 5


@pytest.mark.parametrize(
    "number",
    [
        "1710034065",
        make_cedula("091234567"),  # Guayas
        make_cedula("240000001"),  # Santa Elena, the highest province
        make_cedula("010000000"),  # Azuay, the lowest; third digit 0
        make_cedula("305123456"),  # 30: Ecuadorians registered abroad, third digit 5
        make_cedula("301999999"),
    ],
)
def test_valid_cedulas(number: str) -> None:
    check = check_cedula(number)
    assert check.ok, check
    assert check.problem is None
    assert check.id_type is IdType.CEDULA
    assert check.normalized == number
    assert check.message_key == "identity.ok"


def test_cedula_is_normalized_from_spaces_and_hyphens() -> None:
    check = check_cedula(" 171003406-5 ")
    assert check.ok
    assert check.normalized == "1710034065"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", IdProblem.EMPTY),
        ("   ", IdProblem.EMPTY),
        ("17100340a5", IdProblem.NOT_DIGITS),
        ("1710.34065", IdProblem.NOT_DIGITS),
        ("171003406", IdProblem.WRONG_LENGTH),
        ("17100340650", IdProblem.WRONG_LENGTH),
        (make_cedula("001234567"), IdProblem.BAD_PROVINCE),
        (make_cedula("251234567"), IdProblem.BAD_PROVINCE),
        (make_cedula("291234567"), IdProblem.BAD_PROVINCE),
        (make_cedula("311234567"), IdProblem.BAD_PROVINCE),
        (make_cedula("996123456"), IdProblem.BAD_PROVINCE),
        (make_cedula("176123456"), IdProblem.BAD_THIRD_DIGIT),  # 6: public companies' RUC
        (make_cedula("179123456"), IdProblem.BAD_THIRD_DIGIT),  # 9: private companies' RUC
        ("1710034064", IdProblem.BAD_CHECK_DIGIT),
        ("1710034060", IdProblem.BAD_CHECK_DIGIT),
    ],
)
def test_each_cedula_problem(raw: str, problem: IdProblem) -> None:
    check = check_cedula(raw)
    assert not check.ok
    assert check.problem is problem
    assert check.message_key == f"identity.{problem.value}"


@pytest.mark.parametrize(
    "raw",
    [
        "١٧١٠٠٣٤٠٦٥",  # Arabic-Indic digits: str.isdigit() says yes, they are not a cédula
        "17100340²5",  # superscript two: isdigit() is True but int() fails
        "１７１００３４０６５",  # full-width digits
    ],
)
def test_non_ascii_digits_are_not_digits(raw: str) -> None:
    check = check_cedula(raw)
    assert check.problem is IdProblem.NOT_DIGITS


@given(
    province=st.sampled_from(VALID_PROVINCES),
    third=st.integers(0, 5),
    rest=st.text(alphabet="0123456789", min_size=6, max_size=6),
)
def test_exactly_one_check_digit_is_valid(province: str, third: int, rest: str) -> None:
    first_nine = f"{province}{third}{rest}"
    valid = [d for d in "0123456789" if check_cedula(first_nine + d).ok]
    assert valid == [str(cedula_check_digit(first_nine))]
    for d in "0123456789":
        if d not in valid:
            assert check_cedula(first_nine + d).problem is IdProblem.BAD_CHECK_DIGIT


@given(
    province=st.sampled_from(VALID_PROVINCES),
    third=st.integers(0, 9),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_repr_never_contains_the_number(province: str, third: int, rest: str) -> None:
    number = f"{province}{third}{rest}"
    for check in (check_cedula(number), check_foreigner_code(number), check_passport(number)):
        assert number not in repr(check)
        assert number not in str(check)
        assert number[-6:] not in repr(check)


@pytest.mark.parametrize(
    "raw", ["EXT12345", "ext12345", "123456", "AB12CD34EF56GH7", " EX-1234 5 "]
)
def test_valid_foreigner_codes(raw: str) -> None:
    check = check_foreigner_code(raw)
    assert check.ok, check
    assert check.id_type is IdType.FOREIGNER_CODE
    assert check.normalized == check.normalized.upper()
    assert " " not in check.normalized and "-" not in check.normalized


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", IdProblem.EMPTY),
        ("EXT_1234", IdProblem.BAD_CHARACTERS),
        ("EXT.1234", IdProblem.BAD_CHARACTERS),
        ("ÑANDÚ1234", IdProblem.BAD_CHARACTERS),
        ("A1234", IdProblem.WRONG_LENGTH),  # 5 < 6
        ("A123456789012345", IdProblem.WRONG_LENGTH),  # 16 > 15
        ("ABCDEF123", IdProblem.TOO_FEW_DIGITS),  # only 3 digits
    ],
)
def test_foreigner_code_problems(raw: str, problem: IdProblem) -> None:
    assert check_foreigner_code(raw).problem is problem


@pytest.mark.parametrize("raw", ["A1234567", "a1234567", "12345", "AB1234567890"])
def test_valid_passports(raw: str) -> None:
    check = check_passport(raw)
    assert check.ok, check
    assert check.id_type is IdType.PASSPORT
    assert check.normalized == raw.upper()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", IdProblem.EMPTY),
        ("A12#4567", IdProblem.BAD_CHARACTERS),
        ("A123", IdProblem.WRONG_LENGTH),
        ("A123456789012", IdProblem.WRONG_LENGTH),  # 13 > 12
        ("ABCDEFG", IdProblem.TOO_FEW_DIGITS),
    ],
)
def test_passport_problems(raw: str, problem: IdProblem) -> None:
    assert check_passport(raw).problem is problem


def test_check_id_dispatches_on_the_type() -> None:
    assert check_id(IdType.CEDULA, "1710034065").ok
    assert check_id(IdType.CEDULA, "EXT12345").problem is IdProblem.NOT_DIGITS
    assert check_id(IdType.FOREIGNER_CODE, "EXT12345").ok
    assert check_id(IdType.PASSPORT, "ABCDEFG").problem is IdProblem.TOO_FEW_DIGITS
    for id_type in IdType:
        assert check_id(id_type, "").problem is IdProblem.EMPTY


def test_idcheck_ok_and_message_key() -> None:
    assert IdCheck(IdType.CEDULA, "x").ok
    bad = IdCheck(IdType.CEDULA, "x", IdProblem.BAD_PROVINCE)
    assert not bad.ok
    assert bad.message_key == "identity.bad_province"


def test_citizen_ref_is_salted_and_hides_the_number() -> None:
    ref = citizen_ref("1710034065", b"salt-a")
    assert len(ref) == 32
    int(ref, 16)  # hex
    assert "1710034065" not in ref
    assert ref == citizen_ref(" 171003406-5", b"salt-a")  # same person, typed differently
    assert ref != citizen_ref("1710034065", b"salt-b")
    assert ref != citizen_ref(make_cedula("171003407"), b"salt-a")
