"""Check-digit rules of DOMAIN.md §1 and §3: worked examples and properties."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listings.catalogue.identifiers import (
    IdentifierError,
    application_check_digit,
    parse_application_number,
    parse_ipc,
    parse_publication_number,
)
from marketplace.identifiers import USCC_ALPHABET, parse_uscc, uscc_check_char


@pytest.mark.parametrize(
    "raw, normalised, kind",
    [
        ("201710601862.3", "201710601862.3", "invention"),
        ("CN2017106018623", "201710601862.3", "invention"),
        ("ZL201710601862.3", "201710601862.3", "invention"),
        ("95115608.X", "95115608.X", "invention"),
        ("95115608x", "95115608.X", "invention"),
    ],
)
def test_application_number_worked_examples(raw, normalised, kind):
    number = parse_application_number(raw)
    assert str(number) == normalised
    assert number.kind == kind
    assert number.patent_number == f"ZL{normalised}"


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("201710601862.4", "校验位"),
        ("2017106018.3", "格式"),
        ("201770601862.6", "类型"),
        ("", "格式"),
        ("abcdefghijkl.1", "格式"),
    ],
)
def test_application_number_rejections_name_the_problem(raw, fragment):
    with pytest.raises(IdentifierError) as err:
        parse_application_number(raw)
    assert fragment in str(err.value)


digits12 = st.tuples(
    st.integers(2003, 2099), st.sampled_from("12389"), st.integers(0, 9_999_999)
).map(lambda t: f"{t[0]}{t[1]}{t[2]:07d}")


@given(digits12)
def test_application_check_digit_round_trip(digits):
    check = application_check_digit(digits)
    assert str(parse_application_number(f"{digits}.{check}")) == f"{digits}.{check}"


@given(digits12, st.integers(0, 10))
def test_any_other_check_digit_is_rejected(digits, other):
    check = application_check_digit(digits)
    wrong = "X" if other == 10 else str(other)
    if wrong == check:
        return
    with pytest.raises(IdentifierError):
        parse_application_number(f"{digits}.{wrong}")


@given(digits12, st.integers(0, 11), st.integers(1, 9))
def test_a_single_digit_error_is_always_caught(digits, position, delta):
    """Weights 2..9,2..5 are all coprime to 11, so every single-digit substitution changes the check."""
    check = application_check_digit(digits)
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    assert application_check_digit(changed) != check


def test_uscc_worked_example():
    # 91350100M000100Y43 is a commonly cited valid code (a Fujian company).
    assert parse_uscc("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(IdentifierError, match="校验"):
        parse_uscc("91350100M000100Y44")
    with pytest.raises(IdentifierError, match="18"):
        parse_uscc("91350100M000100Y4")
    with pytest.raises(IdentifierError, match="非法字符"):
        parse_uscc("91350100M000100I43")


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_check_round_trip(first17):
    code = first17 + uscc_check_char(first17)
    assert parse_uscc(code.lower()) == code


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.sampled_from(USCC_ALPHABET))
def test_uscc_wrong_check_rejected(first17, char):
    if char == uscc_check_char(first17):
        return
    with pytest.raises(IdentifierError):
        parse_uscc(first17 + char)


@pytest.mark.parametrize(
    "raw, normalised, level, display",
    [
        ("H04B 10/25", "H04B10/25", "subgroup", "H04B 10/25"),
        ("h04b10/25", "H04B10/25", "subgroup", "H04B 10/25"),
        ("H04B0010250000", "H04B10/25", "subgroup", "H04B 10/25"),
        ("H04B 10/00", "H04B10/00", "main_group", "H04B 10/00"),
        ("H04B10", "H04B10/00", "main_group", "H04B 10/00"),
        ("H04B", "H04B", "subclass", "H04B"),
        ("H04", "H04", "class", "H04"),
        ("H", "H", "section", "H"),
        ("G06F 16/35 (2019.01)", "G06F16/35", "subgroup", "G06F 16/35"),
    ],
)
def test_ipc_normalisation(raw, normalised, level, display):
    code = parse_ipc(raw)
    assert str(code) == normalised
    assert code.level == level
    assert code.display == display


def test_ipc_levels_are_addressable():
    assert parse_ipc("H04B 10/25").levels == {
        "section": "H",
        "class": "H04",
        "subclass": "H04B",
        "main_group": "H04B10/00",
        "subgroup": "H04B10/25",
    }


@pytest.mark.parametrize("raw", ["I04B10/25", "H4B", "H04B10/2", "H04b/25", "H04B 0/00", "光纤"])
def test_malformed_ipc_rejected(raw):
    with pytest.raises(IdentifierError, match="IPC"):
        parse_ipc(raw)


@pytest.mark.parametrize(
    "raw, number, kind_code, patent_kind",
    [("CN114081026A", "CN114081026A", "A", "invention"), ("cn 111504366 b", "CN111504366B", "B", "invention"),
     ("CN212345678U", "CN212345678U", "U", "utility_model"), ("CN306123456S", "CN306123456S", "S", "design")],
)
def test_publication_numbers(raw, number, kind_code, patent_kind):
    pub = parse_publication_number(raw)
    assert (pub.number, pub.kind_code, pub.patent_kind) == (number, kind_code, patent_kind)


@pytest.mark.parametrize("raw", ["US1234567B2", "CN114081026", "CN11A", "114081026A"])
def test_bad_publication_numbers(raw):
    with pytest.raises(IdentifierError, match="公开"):
        parse_publication_number(raw)
