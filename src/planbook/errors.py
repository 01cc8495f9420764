"""The one kind of failure that is not the user's data being wrong.

Findings say the plan is wrong (exit 1). A ``PlanbookError`` says planbook cannot do
what was asked at all, the file or the options are unusable, and makes the CLI exit 2
with its message as the one line on stderr.
"""


class PlanbookError(Exception):
    """Base of errors that make planbook exit 2 with one line."""


class UnreadableWorkbookError(PlanbookError):
    """The file is missing, not a workbook, or cannot be read safely."""
