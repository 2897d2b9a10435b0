"""Base58btc and multibase encoding."""

import pytest

from service.credentials.errors import KeyFormatError
from service.credentials.multibase import (
    decode_base58btc,
    decode_multibase,
    encode_base58btc,
    encode_multibase,
)


@pytest.mark.parametrize(
    ("data", "encoded"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    ],
)
def test_base58btc_known_values(data: bytes, encoded: str) -> None:
    assert encode_base58btc(data) == encoded
    assert decode_base58btc(encoded) == data


def test_multibase_round_trip_keeps_leading_zero_bytes() -> None:
    data = b"\0\0" + bytes(range(1, 64))
    encoded = encode_multibase(data)
    assert encoded.startswith("z")
    assert decode_multibase(encoded) == data


def test_characters_outside_the_alphabet_are_refused() -> None:
    with pytest.raises(KeyFormatError, match="base58btc character"):
        decode_base58btc("z0OIl")


def test_other_multibase_encodings_are_refused() -> None:
    with pytest.raises(KeyFormatError, match="base58btc"):
        decode_multibase("uAAECAw")
