"""Identity numbers a citizen types on the keypad: cédula, foreigner's code, passport.

Each check returns a specific reason so the citizen hears what is wrong ("el tercer dígito…"),
not just "inválido". Reasons are i18n keys under "identity.".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IdType(StrEnum):
    CEDULA = "cedula"
    FOREIGNER_CODE = "foreigner_code"
    PASSPORT = "passport"


class IdProblem(StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    WRONG_LENGTH = "wrong_length"
    BAD_PROVINCE = "bad_province"
    BAD_THIRD_DIGIT = "bad_third_digit"
    BAD_CHECK_DIGIT = "bad_check_digit"
    BAD_CHARACTERS = "bad_characters"
    TOO_FEW_DIGITS = "too_few_digits"


@dataclass(frozen=True)
class IdCheck:
    id_type: IdType
    normalized: str
    problem: IdProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def message_key(self) -> str:
        return f"identity.{self.problem.value}" if self.problem else "identity.ok"

    def __repr__(self) -> str:  # the number itself must never reach a log line
        return f"IdCheck({self.id_type.value}, ok={self.ok}, problem={self.problem})"


CEDULA_PROVINCES = frozenset([*range(1, 25), 30])  # 01–24 and 30 (Ecuadorians registered abroad)


def _normalize(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").upper()


def cedula_check_digit(first_nine: str) -> int:
    """Registro Civil modulo-10: weights 2,1,2,…; products over 9 lose 9."""
    total = 0
    for i, ch in enumerate(first_nine):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def check_cedula(raw: str) -> IdCheck:
    value = _normalize(raw)
    if not value:
        return IdCheck(IdType.CEDULA, value, IdProblem.EMPTY)
    if not (value.isascii() and value.isdigit()):  # "²" and "١" are isdigit() too
        return IdCheck(IdType.CEDULA, value, IdProblem.NOT_DIGITS)
    if len(value) != 10:
        return IdCheck(IdType.CEDULA, value, IdProblem.WRONG_LENGTH)
    if int(value[:2]) not in CEDULA_PROVINCES:
        return IdCheck(IdType.CEDULA, value, IdProblem.BAD_PROVINCE)
    if int(value[2]) >= 6:
        return IdCheck(IdType.CEDULA, value, IdProblem.BAD_THIRD_DIGIT)
    if cedula_check_digit(value[:9]) != int(value[9]):
        return IdCheck(IdType.CEDULA, value, IdProblem.BAD_CHECK_DIGIT)
    return IdCheck(IdType.CEDULA, value)


# The IESS foreigner's identification code has no published format; the sheets only say it is
# an identification code. We accept what the IESS systems have been seen to issue: 6–15 letters
# and digits with at least 4 digits, and refuse anything that could not be such a code.
FOREIGNER_CODE_LENGTH = (6, 15)


def check_foreigner_code(raw: str) -> IdCheck:
    value = _normalize(raw)
    if not value:
        return IdCheck(IdType.FOREIGNER_CODE, value, IdProblem.EMPTY)
    if not value.isalnum() or not value.isascii():
        return IdCheck(IdType.FOREIGNER_CODE, value, IdProblem.BAD_CHARACTERS)
    low, high = FOREIGNER_CODE_LENGTH
    if not low <= len(value) <= high:
        return IdCheck(IdType.FOREIGNER_CODE, value, IdProblem.WRONG_LENGTH)
    if sum(ch.isdigit() for ch in value) < 4:
        return IdCheck(IdType.FOREIGNER_CODE, value, IdProblem.TOO_FEW_DIGITS)
    return IdCheck(IdType.FOREIGNER_CODE, value)


PASSPORT_LENGTH = (5, 12)  # ICAO 9303 numbers are up to 9; some states issue longer ones


def check_passport(raw: str) -> IdCheck:
    value = _normalize(raw)
    if not value:
        return IdCheck(IdType.PASSPORT, value, IdProblem.EMPTY)
    if not value.isalnum() or not value.isascii():
        return IdCheck(IdType.PASSPORT, value, IdProblem.BAD_CHARACTERS)
    low, high = PASSPORT_LENGTH
    if not low <= len(value) <= high:
        return IdCheck(IdType.PASSPORT, value, IdProblem.WRONG_LENGTH)
    if not any(ch.isdigit() for ch in value):
        return IdCheck(IdType.PASSPORT, value, IdProblem.TOO_FEW_DIGITS)
    return IdCheck(IdType.PASSPORT, value)


def check_id(id_type: IdType, raw: str) -> IdCheck:
    checks = {
        IdType.CEDULA: check_cedula,
        IdType.FOREIGNER_CODE: check_foreigner_code,
        IdType.PASSPORT: check_passport,
    }
    return checks[id_type](raw)


def citizen_ref(id_number: str, salt: bytes) -> str:
    """Salted hash that lets the central service match visits without the number itself."""
    import hashlib

    return hashlib.sha256(salt + _normalize(id_number).encode()).hexdigest()[:32]
