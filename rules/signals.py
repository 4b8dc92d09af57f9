"""Signals this app sends to the apps above it."""

from django.dispatch import Signal

# Sent when a re-assessment run is done and its call changes are committed; kwargs: run. The reports app flags
# the changes that touch a signed report (rules cannot import reports).
reassessment_finished = Signal()
