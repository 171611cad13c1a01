"""govkg.pool internals that the endpoint tests cannot see from outside: the C heap's free lists emptied before a fork."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

# Run in a fresh interpreter: the chunks taken stay allocated for good, and this process's heap is not ours to shape.
_SCRIPT = r"""
import ctypes, json, re
from govkg.poolworker import fill_heap_holes as _fill_heap_holes

def free_chunks():
    libc = ctypes.CDLL(None)
    libc.open_memstream.restype = ctypes.c_void_p
    buf, size = ctypes.c_void_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    xml = ctypes.string_at(buf, size.value).decode()
    return int(re.search(r'<total type="rest" count="(\d+)"', xml.split('<heap nr="1">')[0]).group(1))

blocks = [bytes(700) for _ in range(40000)]  # past Python's own small-object allocator: the C heap
del blocks[::2]  # 20,000 holes between blocks still in use
before = free_chunks()
taken = _fill_heap_holes()
print(json.dumps({"before": before, "taken": taken, "after": free_chunks(), "again": _fill_heap_holes()}))
"""


def test_heap_holes_are_filled_before_a_fork():
    """A heap with 20,000 scattered free chunks has (almost) none left, and a second call finds nothing to do."""
    if platform.libc_ver()[0] != "glibc":
        # malloc_info and glibc's bins are glibc's: elsewhere the function does nothing, and says so
        from govkg.poolworker import fill_heap_holes as _fill_heap_holes

        assert _fill_heap_holes() == 0
        return
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    assert r["before"] >= 15_000 and r["taken"] >= 15_000, r
    assert r["after"] < 1000 and r["again"] == 0, r
