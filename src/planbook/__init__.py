"""planbook: read, check, derive and write back the annual plan workbooks of a
shared-services contract.

The pipeline, one module a stage: ``read`` (the file) -> ``layout`` (rows into the
``model``) -> ``export`` / ``outline`` (views of the model). The CLI in ``cli`` is a thin
layer over these.
"""

from planbook.errors import PlanbookError, UnreadableWorkbookError
from planbook.model import (
    FIELDS,
    Cell,
    CoverSheet,
    Item,
    OtherSheet,
    Plan,
    PlanSheet,
    Sheet,
    Table,
    TableRow,
)
from planbook.read import read_workbook

__all__ = [
    "FIELDS",
    "Cell",
    "CoverSheet",
    "Item",
    "OtherSheet",
    "Plan",
    "PlanSheet",
    "PlanbookError",
    "Sheet",
    "Table",
    "TableRow",
    "UnreadableWorkbookError",
    "read_workbook",
]
