"""Notifications: the one home for in-app notices (and e-mail when SMTP is set).

Each room registers the kinds of message it sends with :func:`app.notifications.services.register_kinds`
at import time; ``notify()`` refuses a kind nobody registered. No room touches another room's kinds.
"""
