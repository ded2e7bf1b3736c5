"""The C ABI of NGramKit (libNGramKitCABI.so) through ctypes, and the `ngramkit` tool beside it.

Every call that can fail returns a status; on failure the library's per-thread last error holds
NGramKit's one-line message, raised here as `NGramKitError`. ctypes releases the GIL around every
foreign call, so `score_many` runs on all cores while other Python threads go on.
"""
import ctypes
import os
from pathlib import Path

_here = Path(__file__).resolve().parent


class NGramKitError(Exception):
    """An error NGramKit reports: the one line its command-line tool prints (file, line, what is
    wrong, what to do)."""


def _library_path() -> str:
    override = os.environ.get("NGRAMKIT_LIBRARY")
    if override:
        return override
    return str(_here / "lib" / "libNGramKitCABI.so")


def tool_path() -> str:
    """The `ngramkit` executable the package carries (NGRAMKIT_TOOL overrides it)."""
    return os.environ.get("NGRAMKIT_TOOL") or str(_here / "bin" / "ngramkit")


lib = ctypes.CDLL(_library_path())

_c_double_p = ctypes.POINTER(ctypes.c_double)
_void_p = ctypes.c_void_p
_size = ctypes.c_ssize_t
_status = ctypes.c_int32
_bytes = ctypes.c_char_p


def _declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


last_error = _declare("ngk_last_error", ctypes.c_char_p)
string_free = _declare("ngk_string_free", None, _void_p)
_version = _declare("ngk_version", _void_p)
model_load = _declare("ngk_model_load", _status, _bytes, _size, ctypes.POINTER(_void_p))
model_free = _declare("ngk_model_free", None, _void_p)
model_order = _declare("ngk_model_order", _size, _void_p)
model_vocabulary_size = _declare("ngk_model_vocabulary_size", _size, _void_p)
model_word = _declare("ngk_model_word", _void_p, _void_p, _size)
model_lookup = _declare("ngk_model_lookup", _size, _void_p, _bytes, _size)
model_info = _declare("ngk_model_info", _void_p, _void_p)
model_full_scores = _declare("ngk_model_full_scores", _status, _void_p, _bytes, _size, ctypes.c_int32, ctypes.c_int32, _size,
                             _c_double_p, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(_size))
model_score = _declare("ngk_model_score", _status, _void_p, _bytes, _size, ctypes.c_int32, ctypes.c_int32, _c_double_p)
model_score_many = _declare("ngk_model_score_many", _status, _void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_size), _size,
                            ctypes.c_int32, ctypes.c_int32, _size, _c_double_p)
state_new = _declare("ngk_state_new", _void_p, _void_p, ctypes.c_int32)
state_free = _declare("ngk_state_free", None, _void_p)
state_copy = _declare("ngk_state_copy", _void_p, _void_p)
state_advance = _declare("ngk_state_advance", _status, _void_p, _bytes, _size, _c_double_p, ctypes.POINTER(ctypes.c_int32))
model_next_words = _declare("ngk_model_next_words", _status, _void_p, _bytes, _size, _size, ctypes.c_int32, ctypes.POINTER(_void_p))
model_generate = _declare("ngk_model_generate", _status, _void_p, _size, ctypes.c_uint64, _bytes, _size, _size, ctypes.c_double,
                          ctypes.POINTER(_void_p))
fit_scaling_law = _declare("ngk_fit_scaling_law", _status, _c_double_p, _c_double_p, _size, _size, ctypes.c_uint64,
                           ctypes.POINTER(_void_p))


def check(status: int) -> None:
    """Raises the thread's last error when `status` is not 0."""
    if status != 0:
        message = last_error()
        raise NGramKitError(message.decode("utf-8", "replace") if message else "NGramKit failed")


def take_string(pointer) -> str:
    """The text of a string the library made, which is then freed."""
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode("utf-8", "replace")
    finally:
        string_free(pointer)


def version() -> str:
    """NGramKit's version."""
    return take_string(_version())
