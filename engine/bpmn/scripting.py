"""The sandbox that runs diagram scripts and expressions: RestrictedPython with whitelisted helpers, bounded."""
from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn import bounds
from engine.bpmn.bounds import ScriptLimitExceeded, ScriptLimits

_INPLACE = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b,
    "/=": lambda a, b: a / b, "//=": lambda a, b: a // b, "%=": lambda a, b: a % b,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise SyntaxError(f"operator {op} is not allowed in diagram scripts")
    if op in ("+=", "*="):
        return bounds.guarded_binop(op[0], x, y)
    return _INPLACE[op](x, y)


def _builtins() -> dict[str, Any]:
    allowed = dict(safe_builtins)
    allowed.update(limited_builtins)
    allowed.update({"min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
                    "dict": dict, "list": list, "enumerate": enumerate})
    # The same names, with the guards that stop one call from building a huge value.
    allowed.update({"math": bounds.BOUNDED_MATH, "range": bounds.bounded_range, "pow": bounds.bounded_pow})
    return allowed


GUARDS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "_getattr_": bounds.guarded_getattr(safer_getattr),
    "_binop_": bounds.guarded_binop,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
}


_GUARDED_OPS = {ast.Mult: "*", ast.Add: "+", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


class BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus: the operators that can build a huge value in one step go
    through `_binop_`, which refuses the value before it is built."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _refuse_unbounded(tree: ast.AST) -> None:
    """`try` could swallow the stop of a script gone over its limits; a format width taken from a value
    or in the millions would build a huge string in one step."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SyntaxError(f"line {line}: import is not allowed in diagram scripts")
        if isinstance(node, ast.Try | ast.TryStar):
            raise SyntaxError(f"line {line}: try is not allowed in diagram scripts")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = node.format_spec
            if any(isinstance(v, ast.FormattedValue) for v in ast.walk(spec)) or \
                    any(isinstance(c, ast.Constant) and re.search(r"\d{7,}", str(c.value)) for c in ast.walk(spec)):
                raise SyntaxError(f"line {line}: this format width is not allowed in diagram scripts")


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> CodeType:
    """Compile a condition or timer expression; raises SyntaxError naming what is not allowed."""
    _refuse_unbounded(ast.parse(source.strip(), mode="eval"))
    return compile_restricted(source.strip(), "<expression>", "eval", policy=BoundedTransformer)


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script task; imports and `try` are refused here so a deploy names them, not a run."""
    _refuse_unbounded(ast.parse(source))
    return compile_restricted(source, "<script>", "exec", policy=BoundedTransformer)


def default_helpers() -> dict[str, Callable[..., Any]]:
    return {"datetime": dt.datetime, "date": dt.date, "timedelta": dt.timedelta}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates against the task data with only the guards and the helpers in scope, within the limits."""

    def __init__(self, helpers: dict[str, Any], limits: ScriptLimits) -> None:
        super().__init__(helpers)
        self.limits = limits

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        scope = {**GUARDS, **self.globals, **(external_context or {}), **context}
        code = compile_expression(expression)
        with bounds.bounded(self.limits):
            return eval(code, scope)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        clash = (set(self.globals) | set(external_context or {})) & set(context)
        if clash:
            raise ValueError(f"task data overwrites helper functions: {sorted(clash)}")
        scope = {**GUARDS, **self.globals, **(external_context or {}), **context}
        code = compile_script(script)
        with bounds.bounded(self.limits):
            exec(code, scope)
        context.clear()
        context.update({
            k: v for k, v in scope.items()
            if k not in GUARDS and k not in self.globals and not callable(v)
            and not (external_context and k in external_context)
        })
        return True


class BoundedScriptEngine(PythonScriptEngine):
    """Names the element whose script went over its limits (the environment does not know the task)."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except ScriptLimitExceeded as err:
            err.element_id = task.task_spec.bpmn_id
            raise

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return super().execute(task, script, external_context)
        except ScriptLimitExceeded as err:
            err.element_id = task.task_spec.bpmn_id
            raise


def make_script_engine(helpers: dict[str, Callable[..., Any]] | None = None,
                       limits: ScriptLimits | None = None) -> PythonScriptEngine:
    environment = RestrictedEnvironment({**default_helpers(), **(helpers or {})}, limits or ScriptLimits())
    return BoundedScriptEngine(environment=environment)
