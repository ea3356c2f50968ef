"""Writing the audit log. Every state change calls `record` inside the same transaction."""

import json
from typing import Any

from sqlalchemy.orm import Session

from kudos.models import AuditEvent


def record(session: Session, actor: str, action: str, obj: Any, **details: Any) -> AuditEvent:
    object_type = getattr(obj, "__tablename__", type(obj).__name__.lower())
    object_id = str(getattr(obj, "id", None) or getattr(obj, "slug", "") or obj)
    event = AuditEvent(actor=actor, action=action, object_type=object_type, object_id=object_id,
                       details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True))
    session.add(event)
    return event
