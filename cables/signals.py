"""What the cables app tells the apps above it, which it does not know."""

from django.dispatch import Signal

# Sent inside the import's transaction with ``cable_ids``: new cables were stored
# (or stored earlier, their follow-up work never done).  Receivers queue their own
# work with ``transaction.on_commit``, so that workers see the committed rows.
cables_stored = Signal()
