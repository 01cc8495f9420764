"""``planbook serve``: the check, the formatted workbook and the board pack in a web page,
for the leads who never open a terminal (docs/serve.md).

``create_app`` is the ASGI application (Starlette); ``planbook serve`` runs it with
uvicorn. Needs the ``web`` extra: ``pip install 'planbook[web]'``.
"""

from planbook.web.app import CSP, ServeConfig, create_app

__all__ = ["CSP", "ServeConfig", "create_app"]
