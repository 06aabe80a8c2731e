import hashlib
import math

import pytest

from forensics.canonical import (
    FLOAT_SIGNIFICANT_DIGITS,
    canonical_bytes,
    canonical_json,
    chain_hash,
    digest,
)
from forensics.errors import CanonicalError


def test_keys_are_sorted_at_every_level_and_separators_compact():
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": None}}) == '{"a":{"c":null,"d":[1,2]},"b":1}'


def test_insertion_order_does_not_change_the_digest():
    assert digest({"x": 1, "y": 2}) == digest({"y": 2, "x": 1})


def test_unicode_is_written_as_utf8_not_escaped():
    text = canonical_json({"name": "Zoë 東京"})
    assert text == '{"name":"Zoë 東京"}'
    assert canonical_bytes({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()


def test_unicode_normal_forms_are_distinct_values():
    # NFC and NFD spellings are different strings; canonical JSON must not merge them
    assert digest("é") != digest("e\u0301")


def test_floats_are_rounded_to_fixed_significant_digits():
    assert FLOAT_SIGNIFICANT_DIGITS == 10
    assert canonical_json(0.1 + 0.2) == "0.3"
    assert canonical_json(1 / 3) == "0.3333333333"
    assert canonical_json(123456789.123456789) == "123456789.1"
    assert canonical_json(-0.0) == "0.0"
    # two computations that differ in the last bits give one digest
    assert digest({"s": 0.1 * 3}) == digest({"s": 0.3})


def test_ints_and_floats_and_bools_are_kept_apart():
    assert canonical_json([1, 1.0, True]) == "[1,1.0,true]"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_with_the_path(bad):
    with pytest.raises(CanonicalError, match=r"\$\.scores\[1\]"):
        canonical_json({"scores": [0.5, bad]})


def test_non_string_keys_and_unknown_types_are_refused():
    with pytest.raises(CanonicalError, match="key 1"):
        canonical_json({1: "a"})
    with pytest.raises(CanonicalError, match="set"):
        canonical_json({"a": {1, 2}})


def test_tuples_are_lists():
    assert canonical_json((1, "a")) == canonical_json([1, "a"])


def test_digest_is_sha256_of_the_canonical_bytes():
    value = {"k": "v", "n": 2}
    assert digest(value) == hashlib.sha256(b'{"k":"v","n":2}').hexdigest()


def test_chain_hash_covers_the_previous_hash():
    event = {"seq": 2}
    assert chain_hash("0" * 64, event) != chain_hash("1" * 64, event)
    assert chain_hash("a" * 64, event) == hashlib.sha256(b"a" * 64 + b'{"seq":2}').hexdigest()
