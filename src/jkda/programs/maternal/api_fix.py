"""Workaround for the generated service API (jkda.services.api) until the core fixes it.

services/api.py starts with `from __future__ import annotations`, so the `payload: In` / `payload: Patch`
annotations of its generated create/patch views are the strings "In" and "Patch"; django-ninja resolves them in
the module's globals, fails, and treats the payload as a query parameter (every POST/PATCH answers 500 "QueryParams
is not fully defined"). Before the router is mounted (AppConfig.ready runs before the URLconf imports the API), this
sets the real schema classes (the same ones: ninja caches create_schema by its arguments) on the maternal kinds'
views and rebuilds their signatures. Once the core is fixed the annotations are classes and this does nothing.
"""

from __future__ import annotations

from ninja.orm import create_schema
from ninja.signature import ViewSignature


def repair_service_api(kinds: set[str]) -> int:
    from jkda.services import api as services_api
    from jkda.services.base import model_for
    from jkda.services.forms import editable_fields

    repaired = 0
    for path, view in services_api.router.path_operations.items():
        for op in view.operations:
            fn = op.view_func
            payload = getattr(fn, "__annotations__", {}).get("payload")
            if not isinstance(payload, str) or "_" not in (op.operation_id or ""):
                continue
            kind = op.operation_id.split("_", 1)[1]
            if kind not in kinds:
                continue
            model = model_for(kind)
            names = editable_fields(model)
            if payload == "In":
                schema = create_schema(model, name=f"{model.__name__}In", fields=names, optional_fields=names)
            elif payload == "Patch":
                schema = create_schema(model, name=f"{model.__name__}Patch", fields=names, optional_fields=names,
                                       custom_fields=[("version", int | None, None)])
            else:
                continue
            fn.__annotations__["payload"] = schema
            op.signature = ViewSignature(path, fn)
            op.models = op.signature.models
            repaired += 1
    return repaired
