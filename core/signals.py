"""Signals that let a lower floor tell the floors above it that something happened, without
importing them."""

from django.dispatch import Signal

# Sent once the directory's bulk data has been refreshed and committed (a SIRENE import, the
# nightly refresh of places and panoramas): the site rebuilds what it derives from the
# whole directory, such as the national download files (essdir.downloads).
directory_refreshed = Signal()

# Sent inside the transaction that changed the geography's inclusions (which territory
# contains which): what an app stores per containing territory is rebuilt with them.
inclusions_changed = Signal()
