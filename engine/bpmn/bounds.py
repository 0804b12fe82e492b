"""Limits on what one diagram script or expression may spend: steps, CPU and wall time, depth, memory."""
from __future__ import annotations

import math
import re
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType, SimpleNamespace
from typing import Any

SCRIPT_FILES = ("<script>", "<expression>")
# Source files of the helpers a script may call (the working-time calendar): their lines are not traced, only
# their calls are counted; every call still checks the clocks and the memory, so a helper looping on a huge
# argument is stopped like a script (its loops call per day or per period).
TRUSTED_FILES: set[str] = set()


def trust(*files: str) -> None:
    TRUSTED_FILES.update(files)
# The clocks and the memory are read once per this many traced lines: reading them costs more than counting.
CHECK_EVERY = 64


@dataclass(frozen=True)
class ScriptLimits:
    max_steps: int = 1_000_000      # the script's opcodes and the lines of the helpers it calls
    max_cpu_seconds: float = 2.0    # CPU time of the thread running the script
    max_wall_seconds: float = 5.0
    max_depth: int = 100            # nested calls of functions the script defines
    max_items: int = 1_000_000      # characters or elements a script may build in all, counted by the guards
    max_int_bits: int = 100_000
    max_memory_bytes: int = 128 * 1024 * 1024  # growth of traced memory while the script runs


class ScriptLimitExceeded(BaseException):
    """Raised inside a script that went over a limit. A BaseException so that neither a helper's
    `except Exception` nor SpiffWorkflow's wrapping swallows it; scripts may not use `try` at all."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.element_id: str | None = None


class Budget:
    """What the script running on this thread has spent so far."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.items = 0
        self.depth = 0
        self.cpu_start = time.thread_time()
        self.wall_start = time.monotonic()
        self.memory_start = tracemalloc.get_traced_memory()[0]
        self.exceeded: str | None = None

    def stop(self, why: str) -> None:
        self.exceeded = self.exceeded or why
        raise ScriptLimitExceeded(f"script stopped: {self.exceeded}")

    def step(self) -> None:
        self.steps += 1
        if self.exceeded:
            self.stop(self.exceeded)
        if self.steps % CHECK_EVERY:
            return
        lim = self.limits
        if self.steps > lim.max_steps:
            self.stop(f"more than {lim.max_steps} steps")
        if time.thread_time() - self.cpu_start > lim.max_cpu_seconds:
            self.stop(f"more than {lim.max_cpu_seconds} s of CPU time")
        if time.monotonic() - self.wall_start > lim.max_wall_seconds:
            self.stop(f"more than {lim.max_wall_seconds} s")
        if tracemalloc.get_traced_memory()[0] - self.memory_start > lim.max_memory_bytes:
            self.stop(f"more than {lim.max_memory_bytes // (1024 * 1024)} MB of memory")

    def spend(self, items: int) -> None:
        """Account for a value about to be built; refuse it before it exists when it would go over."""
        self.items += max(items, 0)
        if self.items > self.limits.max_items:
            self.stop(f"values larger than {self.limits.max_items} items")

    def int_bits(self, bits: int) -> None:
        if bits > self.limits.max_int_bits:
            self.stop(f"a number larger than {self.limits.max_int_bits} bits")


_local = threading.local()
_memory_lock = threading.Lock()
_memory_users = 0


def current() -> Budget | None:
    return getattr(_local, "budget", None)


def _spend(items: int) -> None:
    budget = current()
    if budget is not None:
        budget.spend(items)


def _bits(bits: int) -> None:
    budget = current()
    if budget is not None:
        budget.int_bits(bits)


@contextmanager
def _memory_traced() -> Iterator[None]:
    """Trace allocations while any script runs on any thread; leave tracing alone if someone else began it."""
    global _memory_users
    with _memory_lock:
        if _memory_users == 0 and not tracemalloc.is_tracing():
            tracemalloc.start(1)
            _memory_users = 1
        elif _memory_users:
            _memory_users += 1
    try:
        yield
    finally:
        with _memory_lock:
            if _memory_users:
                _memory_users -= 1
                if _memory_users == 0:
                    tracemalloc.stop()


def _tracer(budget: Budget) -> Callable[[FrameType, str, Any], Any]:
    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event in ("line", "opcode"):
            budget.step()
        elif event == "return" and frame.f_code.co_filename in SCRIPT_FILES:
            budget.depth -= 1
        return local

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename in SCRIPT_FILES:
            # A loop on one line (`while True: pass`) emits no line events: count the script's opcodes.
            frame.f_trace_opcodes = True
            budget.depth += 1
            if budget.depth > budget.limits.max_depth:
                budget.stop(f"calls nested deeper than {budget.limits.max_depth}")
        budget.step()
        if frame.f_code.co_filename in TRUSTED_FILES:
            return None
        return local

    return on_call


@contextmanager
def bounded(limits: ScriptLimits) -> Iterator[Budget]:
    """Run the body under a fresh budget on this thread; a nested call shares the outer budget."""
    outer = current()
    if outer is not None:
        yield outer
        return
    with _memory_traced():
        budget = Budget(limits)
        previous = sys.gettrace()
        _local.budget = budget
        sys.settrace(_tracer(budget))
        try:
            yield budget
        finally:
            sys.settrace(previous)
            _local.budget = None
    if budget.exceeded:
        # The script may have ended on the very line that went over; it still does not count.
        raise ScriptLimitExceeded(f"script stopped: {budget.exceeded}")


# --- guards on the few operations that build a large value in one step, before they run ----------
def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _check_binop(op: str, a: Any, b: Any) -> None:
    if op in ("*", "*="):
        if isinstance(a, int) and isinstance(b, int):
            _bits(a.bit_length() + b.bit_length())
        else:
            count = b if isinstance(b, int) else a if isinstance(a, int) else 0
            _spend(max(_size(a), _size(b)) * max(count, 0))
    elif op in ("+", "+="):
        _spend(_size(a) + _size(b))
    elif op in ("**", "**=") and isinstance(a, int) and isinstance(b, int) and b > 0:
        _bits(max(a.bit_length(), 1) * b)
    elif op in ("<<", "<<=") and isinstance(a, int) and isinstance(b, int):
        _bits(a.bit_length() + max(b, 0))
    elif op in ("%", "%=") and isinstance(a, str):
        _check_template(a)


def guarded_binop(op: str, a: Any, b: Any) -> Any:
    _check_binop(op, a, b)
    return _BINOPS[op](a, b)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": lambda a, b: a * b, "+": lambda a, b: a + b, "**": lambda a, b: a ** b,
    "<<": lambda a, b: a << b, "%": lambda a, b: a % b,
}

_WIDE = re.compile(r"\*|\d{7,}")


def _check_template(template: str) -> None:
    """A format template may not ask for a width in the millions nor take its width from the arguments."""
    for spec in re.findall(r"%[^a-zA-Z%]*|\{[^{}]*:[^{}]*\}", template):
        if _WIDE.search(spec):
            _spend(sys.maxsize)


def _widths(method: str, value: Any) -> Callable[..., Any]:
    bound = getattr(value, method)

    def call(*args: Any, **kwargs: Any) -> Any:
        if method in ("ljust", "rjust", "center", "zfill"):
            _spend(args[0] if args and isinstance(args[0], int) else 0)
        elif method == "expandtabs":
            _spend(value.count("\t") * (args[0] if args and isinstance(args[0], int) else 8))
        elif method == "join":
            args = (list(args[0]),) if args else args
            _spend(sum(_size(x) for x in args[0]) if args else 0)
        elif method == "replace" and len(args) >= 2:
            _spend((len(value) + 1) * _size(args[1]))
        elif method in ("format", "format_map"):
            _check_template(value)
        return bound(*args, **kwargs)

    return call


_GROWING = {"ljust", "rjust", "center", "zfill", "expandtabs", "join", "replace", "format", "format_map"}


def guarded_getattr(safer: Callable[..., Any]) -> Callable[..., Any]:
    def getattr_(obj: Any, name: str, *default: Any) -> Any:
        if isinstance(obj, str | bytes) and name in _GROWING:
            safer(obj, name)  # the usual refusals first
            return _widths(name, obj)
        if isinstance(obj, list | set | dict) and name in ("extend", "update"):
            method = safer(obj, name)
            return lambda *others, **kw: (_spend(sum(map(_size, others)) + len(kw)), method(*others, **kw))[1]
        return safer(obj, name, *default)

    return getattr_


def bounded_range(*args: int) -> range:
    values = range(*args)
    _spend(len(values))
    return values


def bounded_pow(a: Any, b: Any, *mod: Any) -> Any:
    if not mod:
        _check_binop("**", a, b)
    return pow(a, b, *mod)


def _at_most(name: str, limit: int) -> Callable[..., Any]:
    function = getattr(math, name)

    def call(*args: Any) -> Any:
        if any(isinstance(a, int) and a > limit for a in args):
            _spend(sys.maxsize)
        return function(*args)

    return call


# math without the functions whose single call can run for minutes on a large argument.
BOUNDED_MATH = SimpleNamespace(**{
    **{name: getattr(math, name) for name in dir(math) if not name.startswith("_")},
    "factorial": _at_most("factorial", 5_000), "comb": _at_most("comb", 5_000), "perm": _at_most("perm", 5_000),
})
