"""Kiln's own: json.dumps(obj) and json.loads(text) without the stdlib's Python layers (issue
17). Both go straight to the C encoder and scanner those layers end in (json.dumps(row) ~11 us
against ~4 here on the slow VM, json.loads ~7 against ~3), with the same arguments, so they
give the same text, objects and errors; anything the C parts do not take goes the stdlib way."""

import json
from json import encoder as _encoder

_c_make_encoder = _encoder.c_make_encoder
# json._default_encoder's settings, as its iterencode hands them to the C encoder.
_enc = json._default_encoder
_ENCODER_ARGS = (_enc.default, _encoder.encode_basestring_ascii, None, _enc.key_separator,
                 _enc.item_separator, _enc.sort_keys, _enc.skipkeys, _enc.allow_nan)


# One C encoder for every dumps() (making one costs ~1.3 us): it keeps no state between calls
# but its circular-reference markers, which an encoding empties again as it ends (one that
# raises too, in this Python; older ones left theirs behind, so they are cleared then), and a
# dumps() inside another (a dict subclass's items() calling it) only adds and removes its own.
_markers = {}
_encode = _c_make_encoder(_markers, *_ENCODER_ARGS) if _c_make_encoder is not None else None


def dumps(obj):
    """json.dumps(obj): JSONEncoder.iterencode's one-shot path."""
    if _encode is None or type(obj) is str:
        return json.dumps(obj)
    try:
        return "".join(_encode(obj, 0))
    except BaseException:
        _markers.clear()
        raise


def make_loads(object_pairs_hook=None):
    """json.loads(text, object_pairs_hook=...) for a str: one value with nothing around it is
    scanned at once; leading or trailing whitespace, a BOM, extra data and malformed text go
    through json.loads (its errors, positions and all)."""
    decoder = json.JSONDecoder(object_pairs_hook=object_pairs_hook)
    scan_once = decoder.scan_once  # the C scanner when the stdlib has one

    def loads(text):
        if type(text) is str:
            try:
                value, end = scan_once(text, 0)
            except Exception:  # json.loads raises it again (or its own error for what is around)
                return json.loads(text, object_pairs_hook=object_pairs_hook)
            if end == len(text):
                return value
        return json.loads(text, object_pairs_hook=object_pairs_hook)

    return loads


loads = make_loads()  # json.loads(text)
