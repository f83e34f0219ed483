"""The memory guard: every dense or large path asks it before it allocates.

A request states the bytes of its largest array (a d² density matrix, a d³ temporary, a d⁴
superoperator, Aer's 16·4^N, the instructions of a circuit) and what to use instead; above the limit
it is refused with a :class:`MemoryLimitError` that names the bytes, the limit, and the alternative.

The limit is :data:`DEFAULT_FRACTION` (3/4) of the memory the machine has available when the request
is made, so that a refused-in-time request leaves a shared machine usable and the estimates some
margin, unless the user sets one: ``set_memory_limit(8 * 2**30)``, the ``with memory_limit_set(...)``
context, or the ``KMSGIBBS_MEMORY_LIMIT`` environment variable (bytes, or with a K/M/G/T suffix; a
value that is not a finite byte count of at least 1 is refused with a ``ValueError`` naming it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ._checks import check_byte_count

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

_ENV = "KMSGIBBS_MEMORY_LIMIT"
#: Bytes one gate-level instruction costs while a circuit is held in Python, transpiled and handed
#: to Aer (measured ~2 KB: the Rust instruction, its Python view, the DAG node, Aer's copy).
BYTES_PER_INSTRUCTION = 2048
#: Gates counted as one instruction (Aer and the IBM targets apply them directly; never expanded).
NATIVE_GATES = frozenset(
    {"reset", "measure", "barrier", "unitary", "cx", "cz", "rz", "sx", "x", "y", "z", "h", "s", "sdg", "t", "tdg",
     "rx", "ry", "rzz", "rxx", "ryy", "p", "u", "u1", "u2", "u3", "swap", "ecr", "id", "delay"}
)
#: The default limit: this fraction of the memory available when a request is made.
DEFAULT_FRACTION = 0.75
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_user_limit: int | None = None


class MemoryLimitError(ValueError, MemoryError):
    """A request refused before allocating: it would need more memory than the limit.

    A ``ValueError`` (the request is too large for this machine, an input problem) and a
    ``MemoryError`` (what the allocation would have raised, later and less helpfully).
    """


def _cgroup_headroom() -> int | None:
    """Bytes left under this process's cgroup memory limit (v2, else v1), ``None`` when unlimited.

    In a container ``MemAvailable`` describes the host; the cgroup limit is what the kernel enforces.
    """
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file, encoding="ascii") as fh:
                raw = fh.read().strip()
            if raw == "max" or int(raw) >= 2**62:  # "max" (v2) or the v1 "unlimited" sentinel
                return None
            with open(usage_file, encoding="ascii") as fh:
                return max(0, int(raw) - int(fh.read().strip()))
        except (OSError, ValueError):
            continue
    return None


def available_memory() -> int:
    """Bytes the system can hand out now: ``MemAvailable`` (physical pages elsewhere), capped by the
    headroom under a cgroup (container) memory limit."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available = 8 * 1024**3
    headroom = _cgroup_headroom()
    return available if headroom is None else min(available, headroom)


def _parse_bytes(text: str) -> int:
    """Bytes of a ``KMSGIBBS_MEMORY_LIMIT`` value ("8G", "1.5MiB", "8589934592")."""
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    suffix = raw[-1] if raw and raw[-1] in _SUFFIX else ""
    number = raw[: len(raw) - len(suffix)]
    try:
        value = float(number) * _SUFFIX[suffix]
    except ValueError:
        raise ValueError(f"{_ENV} must be a byte count such as 8G or 8589934592, got {text!r}") from None
    # "inf" and "1e400" parse as float infinity, "0.5" would truncate to a 0-byte limit
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"{_ENV} must be a finite byte count of at least 1 (such as 8G), got {text!r}")
    return int(value)


def environment_limit() -> int | None:
    """The limit ``KMSGIBBS_MEMORY_LIMIT`` sets, ``None`` when it is unset or empty.

    Raises:
        ValueError: naming the variable, when its value is not a finite byte count ≥ 1.
    """
    env = os.environ.get(_ENV)
    return _parse_bytes(env) if env else None


def memory_limit() -> int:
    """The limit in force: the user's, else ``KMSGIBBS_MEMORY_LIMIT``, else ``DEFAULT_FRACTION`` of the
    available memory."""
    if _user_limit is not None:
        return _user_limit
    env = environment_limit()
    if env is not None:
        return env
    return int(DEFAULT_FRACTION * available_memory())


def set_memory_limit(nbytes: float | None) -> None:
    """Set the limit in bytes for this process; ``None`` restores the default.

    Raises:
        TypeError: ``nbytes`` is not a number (a string, a bool).
        ValueError: it is not finite or below 1 byte.
    """
    global _user_limit
    _user_limit = None if nbytes is None else check_byte_count("memory limit", nbytes)


@contextmanager
def memory_limit_set(nbytes: int | None) -> Iterator[None]:
    """Use ``nbytes`` as the limit inside a ``with`` block."""
    previous = _user_limit
    set_memory_limit(nbytes)
    try:
        yield
    finally:
        set_memory_limit(previous)


def format_bytes(nbytes: float) -> str:
    """``1.5 GiB``-style text for messages."""
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{int(nbytes)} B"


def require_memory(
    what: str,
    nbytes: float,
    *,
    alternative: str,
    fits: str | None = None,
    limit: int | None = None,
) -> None:
    """Refuse ``what`` before it allocates ``nbytes`` if that exceeds the limit.

    Args:
        what: the request, as the user would name it ("the dense superoperator of 10 qubits").
        nbytes: bytes of its largest allocation (or of everything it holds at once).
        alternative: the method to use instead, named so the user can call it.
        fits: the largest size that would fit ("n ≤ 7"), if the caller can say.
        limit: a tighter per-call limit (e.g. a ``max_bytes`` option); the smaller one wins.

    Raises:
        MemoryLimitError: stating the bytes, the limit, what fits, and the alternative.
    """
    cap = memory_limit() if limit is None else min(int(limit), memory_limit())
    if nbytes > cap:
        size = f"; {fits} would fit" if fits else ""
        # sizes past double precision (a product formula of order 10⁶) are stated as "more than"
        need = (
            f"{format_bytes(nbytes)} ({int(nbytes)} bytes)" if nbytes < 1e18 else f"more than {min(float(nbytes), 1e300):.3g} bytes"
        )
        raise MemoryLimitError(
            f"{what} would need {need}, above the memory "
            f"limit of {format_bytes(cap)}{size}; {alternative} (the limit is set by "
            f"kmsgibbs.compiler.memory.set_memory_limit or {_ENV})"
        )


def circuit_instructions(circuit: QuantumCircuit, *, _cache: dict[int, int] | None = None) -> int:
    """Instructions ``circuit`` holds once every composite gate is expanded to :data:`NATIVE_GATES`.

    Definitions shared by several instructions are counted once; ``count_ops`` (computed in Rust)
    settles a flat circuit, so only composite gates are visited in Python. Multiply by
    :data:`BYTES_PER_INSTRUCTION` for the memory a gate-level circuit of that size needs, e.g.
    ``require_memory(what, steps * circuit_instructions(step) * BYTES_PER_INSTRUCTION, ...)``.
    """
    cache = {} if _cache is None else _cache
    counts = circuit.count_ops()
    total = sum(v for name, v in counts.items() if name in NATIVE_GATES)
    if total == sum(counts.values()):
        return total
    for instruction in circuit.data:
        if instruction.name in NATIVE_GATES:
            continue
        definition = instruction.operation.definition
        if definition is None:
            total += 1
            continue
        key = id(definition)
        if key not in cache:
            cache[key] = circuit_instructions(definition, _cache=cache)
        total += cache[key]
    return total
