"""Public codes: random, Crockford base32 with a check symbol, read forgivingly."""

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from parc.codes import ALPHABET, MistypedCode, NotACode, check_symbol, generate_code, normalize_code
from tests.parc.factories import DeviceFactory

bodies = st.text(alphabet=ALPHABET, min_size=6, max_size=6)


def code_from(body):
    return f"FIL-{body}{check_symbol(body)}"


def test_generated_codes_are_canonical_and_varied():
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert normalize_code(code) == code
        assert len(code) == len("FIL-") + 7


@given(bodies, st.sampled_from(["lower", "no_dash", "spaces", "o_for_0", "i_l_for_1", "url"]))
def test_every_transformation_a_person_or_scanner_makes_resolves_to_the_same_code(body, how):
    code = code_from(body)
    typed = {
        "lower": code.lower(),
        "no_dash": code.replace("-", ""),
        "spaces": f"  {code[:6]} {code[6:]} ",
        "o_for_0": code.replace("0", "O"),
        "i_l_for_1": code.replace("1", "l").replace("FlL", "FIL"),
        "url": f"https://filiere.example.org/e/{code}/",
    }[how]
    assert normalize_code(typed) == code


@given(bodies, st.integers(min_value=0, max_value=5), st.sampled_from(ALPHABET))
def test_a_single_mistyped_symbol_is_reported_as_a_typo(body, position, replacement):
    code = code_from(body)
    symbols = list(code[4:])
    if symbols[position] == replacement:
        return
    symbols[position] = replacement
    with pytest.raises(MistypedCode):
        normalize_code("FIL-" + "".join(symbols))


@pytest.mark.parametrize("text", ["", "hello", "FIL-12", "FIL-ABCDEFGHIJ", "FIL-ABC$EF1"])
def test_text_that_cannot_be_a_code_is_not_a_code(text):
    with pytest.raises(NotACode):
        normalize_code(text)


@pytest.mark.django_db
def test_the_database_refuses_a_second_device_with_the_same_code():
    first = DeviceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceFactory(public_code=first.public_code, owner=first.owner)


@pytest.mark.postgres  # the pattern operator class index exists only on PostgreSQL
@pytest.mark.django_db
def test_a_code_is_kept_unique_by_one_index_on_postgresql():
    """parc/0023: the pattern index Django adds for unique=True is gone; the unique one stays."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, indisunique FROM pg_index "
            "WHERE indrelid = 'parc_device'::regclass AND indkey::text = ("
            "  SELECT attnum::text FROM pg_attribute "
            "  WHERE attrelid = 'parc_device'::regclass AND attname = 'public_code')"
        )
        assert cursor.fetchall() == [("parc_device_public_code_key", True)]
