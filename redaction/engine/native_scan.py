"""hyperscan's reports collected by a compiled callback into an array: :class:`NativeScanner`.

Why: through the Python binding, hyperscan calls back into Python for every report, and on
the rule sets the benchmark uses (about 50,000 reports a MB) those calls cost as much as
hyperscan's own pass (``bench/redaction.py``: the engine's database scanned with a callback
that does nothing, 12.6 ms a MB; with no callback, 7.0; with this one, 7.3).  Here the
callback is machine code, compiled by numba from the few lines of :func:`_record`, that
writes ``(expression, end)`` into a NumPy array; hyperscan itself is the one the binding
bundles (its library exports the C API: ``hs_scan``, ``hs_alloc_scratch``...), called through
``ctypes`` once per buffer, on a copy of the binding's database (serialised and read back:
the binding does not hand out its pointer).

The reports are those of the binding, in the same order (the tests compare them), so
everything after the scan is unchanged.  The first step after it, placing the usual term
hits and sending the other reports on, is compiled too (:func:`sort_out`: one loop over the
reports instead of twenty-odd array operations, each over all of them).  Where numba or the
C API cannot be loaded, or ``DECLASS_NATIVE_SCAN=0`` is set, :func:`native_scanner` answers
None and the engine keeps the binding's callback (and array operations).  Compiling the
two takes about a second, once a process (less from numba's cache on disk): :func:`warm`
does it at a worker's start, before it forks its pool.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import threading
import weakref
from typing import Any

import hyperscan
import numpy as np

try:  # optional: without it the engine keeps the binding's callback
    from numba import carray, cfunc, njit, types
except ImportError:  # pragma: no cover - numba is in the runtime set
    carray = cfunc = njit = types = None

__all__ = ["NativeScanner", "available", "native_scanner", "sort_out", "warm"]

logger = logging.getLogger(__name__)

_HS_SUCCESS = 0
_HS_SCAN_TERMINATED = -3
# int (*match_event_handler)(unsigned id, unsigned long long from, unsigned long long to,
#                            unsigned flags, void *context)
_MAX_SCAN = 1 << 32  # hs_scan's length is an unsigned int
_HEAD = 2  # the array's first two entries: how many are written, and how many fit


def _record(expression: int, _start: int, end: int, _flags: int, context: Any) -> int:
    """The callback: append ``expression, end`` to the array ``context`` points at (count
    and capacity first); when it is full, stop the scan (non-zero), which then runs again
    with a larger array."""
    head = carray(context, _HEAD, np.int64)
    written = head[0]
    if written + 2 > head[1]:
        return 1
    body = carray(context, _HEAD + head[1], np.int64)
    body[_HEAD + written] = expression
    body[_HEAD + written + 1] = end
    head[0] = written + 2
    return 0


@functools.cache
def _callback() -> int | None:
    """The compiled callback's address (cached on disk by numba where it may write)."""
    if cfunc is None:
        return None
    signature = types.intc(
        types.uintc, types.ulonglong, types.ulonglong, types.uintc, types.voidptr
    )
    try:
        compiled = cfunc(signature, nopython=True, cache=True)(_record)
    except Exception:  # noqa: BLE001 - no writable cache: compile without one
        compiled = cfunc(signature, nopython=True)(_record)
    return compiled.address


def _sort_out(
    exprs: np.ndarray,
    ends: np.ndarray,
    length: np.ndarray,
    gaps: np.ndarray,
    rule: np.ndarray,
    buffer: np.ndarray,
    latin1: np.ndarray,
    word_byte: np.ndarray,
    ascii_space: np.ndarray,
    any_space: np.ndarray,
    bases: np.ndarray,
    lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`.batch._sort_out_by_arrays` in one compiled loop (see there): the placed hits
    ``[start, end, rule index]`` and the reports sent on ``[expression, end, text]``, as
    rows, in the reports' order."""
    count = lengths.shape[0]
    placed = np.empty((3, exprs.shape[0]), np.int64)
    pending = np.empty((3, exprs.shape[0]), np.int64)
    p = 0
    q = 0
    for k in range(exprs.shape[0]):
        expr = exprs[k]
        end = ends[k]
        fits = length[expr] > 0
        if fits:
            for gap in range(gaps.shape[0]):
                offset = gaps[gap, expr]
                if offset == 0:
                    break
                if not ascii_space[buffer[end - offset]] or any_space[buffer[end - offset - 1]]:
                    fits = False
                    break
        if fits:
            start = end - length[expr]
            if word_byte[latin1[start - 1]] == 0 and word_byte[latin1[end]] == 0:
                placed[0, p] = start
                placed[1, p] = end
                placed[2, p] = rule[expr]
                p += 1
            continue
        text = np.searchsorted(bases, end - 1, side="right") - 1
        if 0 <= text < count and end - bases[text] <= lengths[text]:
            pending[0, q] = expr
            pending[1, q] = end
            pending[2, q] = text
            q += 1
    return placed[:, :p], pending[:, :q]


@functools.cache
def _sorting_out() -> Any:
    """:func:`_sort_out` compiled for the arrays :mod:`.batch` passes (cached on disk by
    numba where it may write), or None without numba."""
    if njit is None:
        return None
    ints, ints2 = types.Array(types.int64, 1, "A"), types.Array(types.int64, 2, "A")
    data = types.Array(types.uint8, 1, "A", readonly=True)
    flags = types.Array(types.boolean, 1, "A")
    signature = types.UniTuple(ints2, 2)(
        ints,
        ints,
        ints,
        ints2,
        ints,
        data,
        data,
        types.Array(types.uint8, 1, "A"),
        flags,
        flags,
        ints,
        ints,
    )
    try:
        return njit(signature, cache=True, nogil=True)(_sort_out)
    except Exception:  # noqa: BLE001 - no writable cache: compile without one
        return njit(signature, nogil=True)(_sort_out)


def sort_out(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_sort_out`, compiled (only where :func:`available`)."""
    return _sorting_out()(*arrays)


@functools.cache
def _library() -> Any:
    """hyperscan's C API from the binding's own extension module, its signatures declared."""
    library = ctypes.CDLL(hyperscan._hs_ext.__file__)
    pointer, out = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
    library.hs_deserialize_database.argtypes = [ctypes.c_char_p, ctypes.c_size_t, out]
    library.hs_alloc_scratch.argtypes = [pointer, out]
    library.hs_free_scratch.argtypes = [pointer]
    library.hs_free_database.argtypes = [pointer]
    library.hs_scan.argtypes = [
        pointer,
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.c_uint,
        pointer,
        pointer,
        pointer,
    ]
    for name in ("hs_deserialize_database", "hs_alloc_scratch", "hs_free_scratch"):
        getattr(library, name).restype = ctypes.c_int
    library.hs_free_database.restype = ctypes.c_int
    library.hs_scan.restype = ctypes.c_int
    return library


@functools.cache
def available() -> bool:
    """Whether the compiled callback and hyperscan's C API can be used in this process."""
    if os.environ.get("DECLASS_NATIVE_SCAN", "1") == "0":
        return False
    try:
        _library()
        found = _callback() is not None and _sorting_out() is not None
    except Exception as exc:  # noqa: BLE001 - a library missing, or a compile that failed
        logger.warning("hyperscan's reports go through Python: %s", exc)
        return False
    if not found:
        logger.info("hyperscan's reports go through Python: numba is not installed")
    return found


def warm() -> bool:
    """Compile the callback and :func:`sort_out` now (a worker's start), not at the first
    large batch."""
    return available()


class _ThreadScratch:
    """One thread's hyperscan scratch space (a scan may not share it), freed when the
    thread's locals go, with the thread, or with the scanner."""

    def __init__(self, database: ctypes.c_void_p) -> None:
        library = _library()
        self.handle = ctypes.c_void_p()
        status = library.hs_alloc_scratch(database, ctypes.byref(self.handle))
        if status != _HS_SUCCESS:
            raise OSError(f"hs_alloc_scratch failed ({status})")
        weakref.finalize(self, library.hs_free_scratch, self.handle)


class NativeScanner:
    """One compiled hyperscan database, scanned with the compiled callback."""

    def __init__(self, database: hyperscan.Database) -> None:
        library = _library()
        serialised = hyperscan.dumpb(database)
        self._database = ctypes.c_void_p()
        status = library.hs_deserialize_database(
            serialised, len(serialised), ctypes.byref(self._database)
        )
        if status != _HS_SUCCESS:
            raise OSError(f"hs_deserialize_database failed ({status})")
        weakref.finalize(self, library.hs_free_database, self._database)
        self._scratch = threading.local()  # .own: this thread's _ThreadScratch
        self._callback = ctypes.c_void_p(_callback())
        self._capacity = 1 << 16  # grows to what the largest buffer needed

    def _thread_scratch(self) -> ctypes.c_void_p:
        try:
            return self._scratch.own.handle
        except AttributeError:
            self._scratch.own = _ThreadScratch(self._database)
            return self._scratch.own.handle

    def reports(self, data: bytes) -> np.ndarray:
        """``expression, end, expression, end...`` for every report in ``data``, in
        hyperscan's order (int64), as the binding's callback would have received them."""
        if len(data) >= _MAX_SCAN:  # hs_scan takes an unsigned int: refused, not cut
            raise ValueError(f"hyperscan scans at most {_MAX_SCAN - 1} bytes a call")
        library, scratch = _library(), self._thread_scratch()
        while True:
            capacity = self._capacity
            found = np.empty(_HEAD + capacity, np.int64)
            found[0], found[1] = 0, capacity
            status = library.hs_scan(
                self._database, data, len(data), 0, scratch, self._callback, found.ctypes.data
            )
            if status == _HS_SUCCESS:
                return found[_HEAD : _HEAD + found[0]]
            if status != _HS_SCAN_TERMINATED:
                raise OSError(f"hs_scan failed ({status})")
            self._capacity = capacity * 4


def native_scanner(database: hyperscan.Database | None) -> NativeScanner | None:
    """A :class:`NativeScanner` of ``database``, or None where one cannot be had."""
    if database is None or not available():
        return None
    try:
        return NativeScanner(database)
    except OSError as exc:
        logger.warning("hyperscan's reports go through Python: %s", exc)
        return None
