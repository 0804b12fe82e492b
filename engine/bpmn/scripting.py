"""The sandbox that runs diagram scripts and expressions: RestrictedPython with whitelisted helpers."""
from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted, limited_builtins, safe_builtins, utility_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise SyntaxError(f"operator {op} is not allowed in diagram scripts")
    return _INPLACE[op](x, y)


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)
    allowed.update({k: utility_builtins[k] for k in ("math",) if k in utility_builtins})
    allowed.update({"min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
                    "dict": dict, "list": list, "enumerate": enumerate})
    return allowed


GUARDS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
}


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> CodeType:
    """Compile a condition or timer expression; raises SyntaxError naming what is not allowed."""
    return compile_restricted(source.strip(), "<expression>", "eval")


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script task; imports are refused here so a deploy names them, not a run."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SyntaxError(f"line {node.lineno}: import is not allowed in diagram scripts")
    return compile_restricted(source, "<script>", "exec")


def default_helpers() -> dict[str, Callable[..., Any]]:
    return {"datetime": dt.datetime, "date": dt.date, "timedelta": dt.timedelta}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates against the task data with only the guards and the helpers in scope."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = {**GUARDS, **self.globals, **(external_context or {}), **context}
        return eval(compile_expression(expression), scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        clash = (set(self.globals) | set(external_context or {})) & set(context)
        if clash:
            raise ValueError(f"task data overwrites helper functions: {sorted(clash)}")
        scope = {**GUARDS, **self.globals, **(external_context or {}), **context}
        exec(compile_script(script), scope)
        context.clear()
        context.update({
            k: v for k, v in scope.items()
            if k not in GUARDS and k not in self.globals and not callable(v)
            and not (external_context and k in external_context)
        })
        return True


def make_script_engine(helpers: dict[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment({**default_helpers(), **(helpers or {})}))
