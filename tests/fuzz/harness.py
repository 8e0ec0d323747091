"""The fuzz harness: mutations of valid files, and the property every reader must keep.

Property: given any bytes, a reader returns a valid object or raises :class:`~glassfail_core.errors.InputError`
(the CLI's "exit 2, one line") with a non-empty one-line message — never another exception type, never a hang
(each case runs under an in-process time limit, :func:`time_limit`, and a watchdog for code stuck in C), never a
crash.

Mutations (:func:`mutated`) start from a valid seed file: truncation at a random offset, flipped bytes, inserted
and deleted runs, numbers replaced by NaN / inf / huge / negative / junk, lines dropped, duplicated or swapped,
32-bit fields overwritten with extreme values (binary formats), the empty file, random bytes, and valid files of
another kind under this name; one to three of them in a row.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import signal
import threading
import warnings
from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from glassfail_core.errors import InputError

#: CPU seconds one case may take before it counts as a hang (ten times as many wall-clock seconds).
CASE_LIMIT_S = float(os.environ.get("GLASSFAIL_FUZZ_TIMEOUT", 5.0))
#: Outcomes per reader ({reader: Counter(ok=…, refused=…)}), printed at the end of the session.
OUTCOMES: dict = defaultdict(Counter)


def fuzz(test=None, *, share: float = 1.0):
    """Decorate a fuzz test with the profile chosen by ``GLASSFAIL_FUZZ`` (see ``tests/fuzz/conftest.py``).

    ``share``: the part of a reader's cases this test runs (a reader fuzzed by two tests gives each one half, so
    that the reader gets the profile's count in all).
    """
    if test is None:
        return lambda t: fuzz(t, share=share)
    name = "glassfail-fuzz-full" if os.environ.get("GLASSFAIL_FUZZ", "") not in ("", "0") else "glassfail-fuzz-quick"
    profile = settings.get_profile(name)
    count = max(1, int(round(profile.max_examples * share)))
    return settings(profile, max_examples=count)(given(data=st.data())(test))


class Hang(BaseException):
    """Raised by the time limit (a BaseException, so that a reader's ``except Exception`` cannot swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float = CASE_LIMIT_S):
    """Interrupt the block with :class:`Hang` after ``seconds`` of CPU time, or ten times that of wall time.

    CPU time (``ITIMER_PROF``), so that a run starved by a loaded machine is not taken for a hang; the wall-clock
    limit catches a reader blocked without computing. Both reach Python code only: a reader stuck inside C (a
    regex, a decoder) is stopped by a watchdog that prints every thread's traceback and ends the run, rather than
    letting it hang unseen. Main thread only.
    """
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - pytest runs tests there
        yield
        return

    def _raise(signum, frame):
        kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
        raise Hang(f"no answer within {seconds if kind == 'CPU' else 10 * seconds:g} s of {kind} time")

    old = {sig: signal.signal(sig, _raise) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, 10 * seconds)
    faulthandler.dump_traceback_later(max(120.0, 24 * seconds), exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in old.items():
            signal.signal(sig, handler)


def check_reader(name, read, path, validate=None):
    """Call ``read(path)`` under the time limit and check the property; return ``"ok"`` or ``"refused"``.

    ``validate(obj)`` asserts that a returned object is usable. Any other exception propagates (a failure that
    hypothesis shrinks and reports); a hang becomes an AssertionError naming the reader.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with time_limit():
                obj = read(path)
            if validate is not None:
                validate(obj)
    except Hang as exc:
        raise AssertionError(f"{name}: reader hung ({exc})") from None
    except InputError as exc:
        msg = str(exc)
        assert msg.strip(), f"{name}: {type(exc).__name__} with an empty message"
        assert "\n" not in msg.strip(), f"{name}: message of several lines: {msg!r}"
        OUTCOMES[name]["refused"] += 1
        return "refused"
    OUTCOMES[name]["ok"] += 1
    return "ok"


# ---------------------------------------------------------------------------------------------------- mutations
_NUMBER = re.compile(rb"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ODD_NUMBERS = [b"nan", b"NaN", b"inf", b"-inf", b"Infinity", b"1e308", b"-1e308", b"1e999", b"-1", b"-7.5", b"0",
                b"-0", b"1e-320", b"99999999999999999999999", b"2147483648", b"4294967296", b"1e6", b"abc", b"",
                b"1,5", b"0x10", b"\xff\xfe"]
_ODD_WORDS = [0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x00010000, 0xFFFF, 1]


@st.composite
def _op(draw, data: bytes, others: tuple):
    kinds = ["truncate", "flip", "insert", "delete", "numbers", "drop_lines", "dup_lines", "swap_lines", "word",
             "empty", "random", "other", "repeat"]
    kind = draw(st.sampled_from(kinds))
    n = len(data)
    if kind == "truncate":
        return data[: draw(st.integers(0, max(n - 1, 0)))]
    if kind == "flip" and n:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, n - 1))
            out[i] ^= draw(st.integers(1, 255))
        return bytes(out)
    if kind == "insert":
        i = draw(st.integers(0, n))
        return data[:i] + draw(st.binary(min_size=1, max_size=64)) + data[i:]
    if kind == "delete" and n:
        i = draw(st.integers(0, n - 1))
        return data[:i] + data[i + draw(st.integers(1, 256)):]
    if kind == "numbers":
        spans = [m.span() for m in _NUMBER.finditer(data[:200_000])]
        if spans:
            picks = draw(st.lists(st.integers(0, len(spans) - 1), min_size=1, max_size=6, unique=True))
            out = data
            for k in sorted(picks, reverse=True):
                a, b = spans[k]
                out = out[:a] + draw(st.sampled_from(_ODD_NUMBERS)) + out[b:]
            return out
    if kind in ("drop_lines", "dup_lines", "swap_lines"):
        lines = data.split(b"\n")
        if len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "drop_lines":
                del lines[i: i + draw(st.integers(1, 4))]
            elif kind == "dup_lines":
                lines[i:i] = lines[i: i + 1] * draw(st.integers(1, 4))
            else:
                lines[i], lines[j] = lines[j], lines[i]
            return b"\n".join(lines)
    if kind == "word" and n >= 4:
        i = draw(st.integers(0, n - 4))
        w = draw(st.sampled_from(_ODD_WORDS)).to_bytes(4, draw(st.sampled_from(["little", "big"])))
        return data[:i] + w + data[i + 4:]
    if kind == "empty":
        return b""
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=2048))
    if kind == "other" and others:
        return draw(st.sampled_from(others))
    if kind == "repeat" and n:
        return data + data[draw(st.integers(0, n - 1)):]
    return data


@st.composite
def mutated(draw, seed: bytes, others=()):
    """A mutation of ``seed`` (one to three operations; ``others``: valid files of other kinds)."""
    data = seed
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_op(data, tuple(others)))
    return data


# ---------------------------------------------------------------------------------------------------- structured
_ODD_VALUES = [float("nan"), float("inf"), -float("inf"), -1, 0, -0.5, 1e308, 10 ** 30, 2 ** 63, "", "x" * 300,
               "../../etc/passwd", "/etc/passwd", None, True, [], {}, [10 ** 9] * 4, [-1, -1, -1, -1], [0], "nan",
               {"__class__": "os.system"}]


def _paths(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


@st.composite
def json_mutated(draw, obj):
    """``obj`` (parsed JSON) with one to three values replaced by odd ones, deleted or wrapped in a list."""
    import copy

    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(obj))))
        op = draw(st.sampled_from(["replace", "replace", "delete", "wrap"]))
        if not path:
            obj = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES))) if op == "replace" else [obj]
            continue
        try:
            parent = obj
            for k in path[:-1]:
                parent = parent[k]
            last = path[-1]
            if op == "delete":
                del parent[last]
            elif op == "wrap":
                parent[last] = [parent[last]]
            else:
                parent[last] = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))  # never the shared one
        except (KeyError, IndexError, TypeError):
            continue
    return obj


@st.composite
def npz_mutated(draw, arrays: dict):
    """The arrays of an ``.npz`` file with one to three of them removed, emptied, reshaped, retyped, filled with
    NaN / huge values, or replaced by an object array (a pickle the reader must refuse)."""
    import numpy as np

    a = dict(arrays)
    for _ in range(draw(st.integers(1, 3))):
        if not a:
            break
        key = draw(st.sampled_from(sorted(a)))
        v = np.asarray(a[key])
        op = draw(st.sampled_from(["delete", "nan", "huge", "negative", "shape", "empty", "dtype", "string",
                                   "object", "scalar"]))
        if op == "delete":
            del a[key]
        elif op in ("nan", "huge", "negative") and v.dtype.kind in "fiu" and v.size:
            w = v.astype(float) if op == "nan" else v.astype(np.int64) if v.dtype.kind in "ub" else v.copy()
            flat = w.reshape(-1)
            flat[draw(st.integers(0, flat.size - 1))] = {"nan": np.nan, "huge": 1e30 if w.dtype.kind == "f"
                                                         else np.iinfo(w.dtype).max, "negative": -1}[op]
            a[key] = w
        elif op == "shape":
            a[key] = v.reshape(-1)[: max(v.size - 1, 0)] if v.size else np.zeros((3, 7))
        elif op == "empty":
            a[key] = v[:0] if v.ndim else np.array([])
        elif op == "dtype":
            a[key] = np.zeros(v.shape, dtype=draw(st.sampled_from(["complex128", "bool", "int8", "U3", "float16"])))
        elif op == "string":
            a[key] = np.array(draw(st.sampled_from(["", "{", "null", "[1, 2]", '{"a": NaN}', "\u00ff" * 10])))
        elif op == "object":
            a[key] = np.array([{"x": 1}, None], dtype=object)
        else:
            a[key] = np.array(7)
    return a


def save_npz(path, arrays: dict) -> None:
    """Write ``arrays`` as an ``.npz`` (object arrays pickled, as a hostile file would)."""
    import numpy as np

    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
