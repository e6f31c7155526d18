"""wire.py follows the 1.1 rules: magic before length, kinds by plane, new flags and codes."""
import pytest

from pckit_client import wire


def code_of(data):
    with pytest.raises(wire.WireError) as info:
        wire.decode_frame(data)
    return info.value.code


def test_non_magic_payloads_are_bad_magic_whatever_their_length():
    for payload in [b"", b"A", b"PC", b"PCK", b"PCKX", b"hello", b"{", bytes(100)]:
        assert code_of(payload) == "badMagic", payload
    good = wire.encode_frame("step", 5, 9, [1.0])
    for length in range(4, wire.HEADER_BYTES):
        assert code_of(good[:length]) == "malformedFrame"


def test_json_plane_kinds_in_a_binary_frame_are_unexpected_unknown_kinds_unknown():
    good = wire.encode_frame("step", 5, 9, [1.0])
    for kind in (1, 2, 5, 6, 8):
        with pytest.raises(wire.WireError, match="JSON") as info:
            wire.decode_frame(good[:5] + bytes([kind]) + good[6:])
        assert info.value.code == "unexpectedKind"
    for kind in (0, 10, 255):
        assert code_of(good[:5] + bytes([kind]) + good[6:]) == "unknownKind"


def test_new_flags_codes_and_version():
    assert wire.PROTOCOL_VERSION == "1.1.0"
    assert (wire.FLAG_OUT_OF_BOUNDS, wire.FLAG_DEADLINE_EXCEEDED) == (0x10, 0x20)
    assert {"notOwner", "peerLimit", "observationOutOfBounds", "sessionBusy"} <= set(wire.ERROR_CODES)
    assert len(set(wire.ERROR_CODES)) == 21
    frame = wire.decode_frame(wire.encode_frame("action", 1, 2, [0.5], timestamp=99,
                                                flags=wire.FLAG_OUT_OF_BOUNDS | wire.FLAG_REPLAYED))
    assert frame.valid_until_ns == 99 and frame.out_of_bounds and frame.replayed and not frame.deadline_exceeded


def test_seed_check_names_the_range():
    assert wire.check_seed(0) == 0 and wire.check_seed(2 ** 53 - 1) == 2 ** 53 - 1 and wire.check_seed(3.0) == 3
    for bad in (-1, 2 ** 53, 0.5, float("inf"), "1", False):
        with pytest.raises(ValueError, match="0…9007199254740991"):
            wire.check_seed(bad)


def test_integer_fields_written_as_decimals_are_read_as_integers():
    message = wire.decode_control(b'{"kind":"welcome","session":5.0,"observationDimension":3.0,'
                                  b'"actionDimension":1,"heartbeatInterval":1,"idleTimeout":10.0}')
    assert message["session"] == 5 and type(message["session"]) is int
    assert type(message["observationDimension"]) is int and message["heartbeatInterval"] == 1.0
    # A session read this way goes straight into a frame header.
    assert wire.decode_frame(wire.encode_frame("step", message["session"], 1, [0.0])).session == 5
