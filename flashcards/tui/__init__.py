"""The Textual review app: ``app.make_app`` builds it, ``screens/`` and ``widgets/`` hold the parts.

Importing this package loads no Textual, so the command line stays fast until the app opens.
"""
