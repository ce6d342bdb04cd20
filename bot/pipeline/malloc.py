"""glibc malloc settings for a process that screens photos.

Each photo allocates and frees arrays of a few MB to tens of MB (a 1280x960 RGB image is
3.7 MB as uint8, 14.7 MB as float32). With glibc's defaults a fresh process maps many of
those afresh and hands freed heap back to the kernel, so every photo pays page faults again:
a newly started inference process screened 12-14 photos/s, and 14-17 with these settings
(16 CP-AnemiC composites, 2-core VM, 2026-11-27, throwaway scripts; peak RSS unchanged at
483-494 MB). Fixed thresholds keep such buffers in the heap and reuse them.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 * 2**20  # glibc's upper limit on 64-bit: only larger blocks are mapped
TRIM_THRESHOLD = 512 * 2**20  # free heap kept for reuse instead of returned to the kernel
# Heaps for threads to allocate from: glibc makes up to 8 per core, each keeping its own free
# memory; two cut an inference process after 32 photos from 345 to 334 MB (2026-12-07)
ARENAS = 2


def tune() -> bool:
    """Apply the thresholds; False (and nothing changed) where the C library is not glibc."""
    try:  # this process's own symbols, libc's among them (find_library would run ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt
        log.info("malloc settings not applied: no glibc mallopt")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(M_ARENA_MAX, ARENAS) == 1 and ok
    return mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok


def trim() -> bool:
    """Hand the heap's free memory back to the kernel now (glibc's malloc_trim): after the
    models are loaded and compiled, whose scratch memory `tune`'s threshold would keep."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False
    malloc_trim.argtypes = [ctypes.c_size_t]
    return bool(malloc_trim(0))
