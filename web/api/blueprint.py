"""The API's blueprint: flask-smorest's, with each argument schema built once when its route is declared."""
from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import Schema


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        """webargs builds a schema given as a class anew for every request (copying all its fields, and its
        nested schemas' on first use); an instance is reused, so one is built here, once. Loading keeps no
        state in the instance, and the OpenAPI document names the schema by its class either way."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
