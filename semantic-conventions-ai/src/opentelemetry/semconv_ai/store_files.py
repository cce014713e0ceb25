"""Reading a multi-process directory: every process's store file, summed, with dead files folded in.

A live writer holds an exclusive `flock` on its file for its whole life; the kernel drops it when
the process ends, however it ends. A file whose lock can be taken is therefore final: its values
are added into the archive (`openllmetry.archive`, same format) and the file is removed, so a scrape
reads the archive plus one file per live process, however many processes have come and gone.

Folding is crash-safe: the new archive, which names the files it absorbed, replaces the old one by
rename before those files are unlinked; a file the archive names is never added twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import mmap
import os
import struct
import threading
from array import array
from collections.abc import Iterator
from typing import Any

from .store import CHUNK, ENTRY, HEADER, KINDS, LAYOUT_ID, MAGIC, MEMBER_PREFIX, MEMBER_SUFFIX, Kind, Store

logger = logging.getLogger("opentelemetry.semconv_ai")

ARCHIVE = "openllmetry.archive"
FOLD_LOCK = "openllmetry.fold.lock"
ABSORBED = Kind(99, ("files",), [])  # the archive's list of the files it absorbed
_Key = tuple[int, tuple[Any, ...]]


def is_member(name: str) -> bool:
    return name.startswith(MEMBER_PREFIX) and name.endswith(MEMBER_SUFFIX)


class FileReader:
    """One store file, parsed incrementally: entries already seen are not parsed again."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        self._map: mmap.mmap | None = None
        self._parsed = HEADER
        self.entries: list[tuple[int, tuple[Any, ...], int, struct.Struct]] = []
        self.absorbed: list[str] = []
        self.valid = True

    def refresh(self) -> None:
        size = os.fstat(self.fd).st_size
        if size < CHUNK:
            return
        if self._map is None or len(self._map) < size:
            if self._map is not None:
                self._map.close()
            self._map = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
        data = self._map
        used, layout = struct.unpack_from("<QQ", data, 8)
        if data[:8] != MAGIC or layout != LAYOUT_ID:
            if self.valid:
                logger.warning("skipping %s: written by another openllmetry version", self.path)
            self.valid = False
            return
        position, used = self._parsed, min(used, size)
        while position + ENTRY.size <= used:
            total, code, length = ENTRY.unpack_from(data, position)
            if total == 0:
                position = (position // CHUNK + 1) * CHUNK
                continue
            head = ENTRY.size + length
            head += -head % 8
            try:
                key = tuple(json.loads(bytes(data[position + ENTRY.size : position + ENTRY.size + length])))
            except ValueError:
                key, code = (), -1  # unreadable: skipped, the rest of the file still counts
            kind = KINDS.get(code)
            if kind is not None:
                self.entries.append((code, key, position + head, struct.Struct(f"<{kind.size}d")))
            elif code == ABSORBED.code:
                self.absorbed.extend(str(name) for name in key)
            position += total
        self._parsed = position

    def values(self) -> Iterator[tuple[int, tuple[Any, ...], tuple[float, ...]]]:
        self.refresh()
        if not self.valid or self._map is None:
            return
        data = self._map
        for code, key, offset, layout in self.entries:
            yield code, key, layout.unpack_from(data, offset)

    def try_lock(self) -> bool:
        """True when no live process holds the file (its writer is gone for good)."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        os.close(self.fd)


def add_into(totals: dict[_Key, list[float]], code: int, key: tuple[Any, ...], values: Any) -> None:
    found = totals.get((code, key))
    if found is None:
        totals[(code, key)] = list(values)
    else:
        for index, value in enumerate(values):
            if value:
                found[index] += value


class DirectoryCollector:
    """Totals over every process that records into `directory`, alive or exited."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.lock = threading.Lock()
        self._readers: dict[str, FileReader] = {}
        self._archive: FileReader | None = None
        self._archive_inode = -1
        self.live = 0  # live writers seen by the last collection

    def collect(self) -> list[tuple[int, tuple[Any, ...], list[float]]]:
        with self.lock, _Flock(os.path.join(self.directory, FOLD_LOCK)):
            self._fold()
            totals: dict[_Key, list[float]] = {}
            readers = [self._archive] if self._archive is not None else []
            for reader in [*readers, *self._readers.values()]:
                try:
                    for code, key, values in reader.values():
                        add_into(totals, code, key, values)
                except Exception:
                    logger.debug("could not read %s", reader.path, exc_info=True)
            return [(code, key, values) for (code, key), values in totals.items()]

    def fold(self) -> None:
        with self.lock, _Flock(os.path.join(self.directory, FOLD_LOCK)):
            self._fold()

    def _open_archive(self) -> FileReader | None:
        path = os.path.join(self.directory, ARCHIVE)
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            return None
        if self._archive is None or inode != self._archive_inode:
            if self._archive is not None:
                self._archive.close()
            self._archive, self._archive_inode = FileReader(path), inode
        self._archive.refresh()
        return self._archive

    def _fold(self) -> None:
        archive = self._open_archive()
        absorbed = set(archive.absorbed) if archive is not None else set()
        names = {name for name in os.listdir(self.directory) if is_member(name)}
        for name in set(self._readers) - names:
            self._readers.pop(name).close()
        dead: list[str] = []
        for name in sorted(names):
            path = os.path.join(self.directory, name)
            if name in absorbed:  # already in the archive: finish the unlink a crash interrupted
                self._forget(name)
                _unlink(path)
                continue
            reader = self._readers.get(name)
            if reader is None:
                try:
                    reader = self._readers[name] = FileReader(path)
                except FileNotFoundError:
                    continue
            if reader.try_lock():
                dead.append(name)
        self.live = len(self._readers) - len(dead)
        if not dead:
            return
        totals: dict[_Key, list[float]] = {}
        for reader in ([archive] if archive is not None else []) + [self._readers[n] for n in dead]:
            for code, key, values in reader.values():
                add_into(totals, code, key, values)
        _write_archive(os.path.join(self.directory, ARCHIVE), totals, dead)
        for name in dead:
            self._forget(name)
            _unlink(os.path.join(self.directory, name))
        self._open_archive()

    def _forget(self, name: str) -> None:
        reader = self._readers.pop(name, None)
        if reader is not None:
            reader.close()

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        if self._archive is not None:
            self._archive.close()
            self._archive = None


def _write_archive(path: str, totals: dict[_Key, list[float]], absorbed: list[str]) -> None:
    store = Store(None)
    for (code, key), values in totals.items():
        block = store.block(KINDS[code], key)
        block.view[block.base : block.base + len(values)] = array("d", values)
    for start in range(0, len(absorbed), 500):
        store.block(ABSORBED, tuple(absorbed[start : start + 500]))
    temporary = path + ".tmp"
    with open(temporary, "wb") as out:
        out.write(store.dump())
    os.replace(temporary, path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class _Flock:
    """An exclusive lock on a small file, so two collectors never fold at once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> _Flock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
