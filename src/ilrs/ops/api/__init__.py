"""The HTTP face of the command center: the FastAPI app (``app.create_app``), its routers
(admin, plans, lighting), the WebSocket, the dashboard pages, the guards in front of them,
and ``serve`` (``ilrs serve``: the live twin, the command center and the web server wired
together).

Nothing is imported here: ``serve`` opens its port before the web stack loads.
"""
