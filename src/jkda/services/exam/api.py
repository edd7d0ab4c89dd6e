"""No endpoints of its own: the examination and the elderly forms use the generic service API.

`repair_generic_endpoints` works around `services.api`: under its `from __future__ import annotations` the generated
create and patch views carry their payload annotation as the strings "In" / "Patch", which ninja cannot resolve
(every POST/PATCH of a form fails). This gives the examination's and the elderly forms' views their schemas (the
same classes the core made); it is a no-op once the core sets the annotations itself.
"""

from ninja import Router

router = Router(tags=["exam"])


def repair_generic_endpoints(models) -> None:
    from ninja.orm import create_schema
    from ninja.signature import ViewSignature

    from jkda.services import api as core
    from jkda.services.forms import editable_fields

    for model in models:
        names = editable_fields(model)
        schemas = {
            "In": create_schema(model, name=f"{model.__name__}In", fields=names, optional_fields=names),
            "Patch": create_schema(model, name=f"{model.__name__}Patch", fields=names, optional_fields=names,
                                   custom_fields=[("version", int | None, None)]),
        }
        for path in (f"/records/{{number}}/services/{model.kind}", f"/services/{model.kind}/{{id}}"):
            view = core.router.path_operations.get(path)
            for op in getattr(view, "operations", []):
                annotation = op.view_func.__annotations__.get("payload")
                if isinstance(annotation, str) and annotation in schemas:
                    op.view_func.__annotations__["payload"] = schemas[annotation]
                    op.signature = ViewSignature(op.path, op.view_func)
                    op.models = op.signature.models


def _repair() -> None:
    from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution

    from .models import Exam

    repair_generic_endpoints((Exam, SelfCareAssessment, TcmConstitution))


_repair()
