"""Multibase base58btc ('z' prefix) encoding, as used by did:key and Data Integrity proofs."""

from service.credentials.errors import KeyFormatError

BASE58BTC_PREFIX = "z"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}


def encode_base58btc(data: bytes) -> str:
    """Encode bytes with the Bitcoin base58 alphabet, keeping leading zero bytes as '1'."""
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    return "1" * leading_zeros + "".join(reversed(digits))


def decode_base58btc(text: str) -> bytes:
    """Decode a Bitcoin base58 string; raise KeyFormatError on a character outside the alphabet."""
    number = 0
    for char in text:
        value = _INDEX.get(char)
        if value is None:
            raise KeyFormatError(f"{char!r} is not a base58btc character")
        number = number * 58 + value
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body


def encode_multibase(data: bytes) -> str:
    """Encode bytes as a multibase base58btc string ('z' + base58btc)."""
    return BASE58BTC_PREFIX + encode_base58btc(data)


def decode_multibase(text: str) -> bytes:
    """Decode a multibase base58btc string; other multibase encodings are refused."""
    if not text.startswith(BASE58BTC_PREFIX):
        raise KeyFormatError(
            f"multibase value must start with {BASE58BTC_PREFIX!r} (base58btc), got {text[:1]!r}"
        )
    return decode_base58btc(text[len(BASE58BTC_PREFIX) :])
