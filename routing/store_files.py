"""Replace a graph folder at once, carrying over the files that are not part of a store."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from routing.store_types import NETWORK_DIR

__all__ = ["carry_over", "replace_folder"]

#: The magic of format-2 compiled graphs (``routing.compiled``), kept when carried over.
_FORMAT2_MAGIC = "lampung-geo/compiled-graph"


def _is_format3_profile(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as z:
            return "magic" in z.files and str(z["magic"]) != _FORMAT2_MAGIC
    except Exception:  # an unreadable file is not ours to judge: keep it
        return False


def carry_over(old: Path, new: Path, written: set[str]) -> None:
    """Link (or copy) into ``new`` the files of ``old`` that are not part of a store."""
    if not old.is_dir():
        return
    for entry in old.iterdir():
        name = entry.name
        if name == NETWORK_DIR or name.startswith(f".{old.name}.") or (new / name).exists():
            continue
        stem, suffix = entry.stem, entry.suffix
        if suffix == ".stamp" and stem in written:
            continue  # the stamp of a format-2 file we replaced
        if suffix == ".npz" and _is_format3_profile(entry):
            continue  # belongs to the old base network
        if entry.is_dir():
            shutil.copytree(entry, new / name, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(entry), str(new / name))


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def replace_folder(tmp: Path, target: Path) -> None:
    """Put ``tmp`` in place of ``target`` (readers see the old folder or the new one)."""
    if not target.exists():
        tmp.rename(target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex}"
    target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
