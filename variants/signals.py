"""Signals this app sends to the apps above it (rules assesses a sample when its ingest finishes)."""

from django.dispatch import Signal

# Sent after a parse run succeeded and its rows are committed; kwargs: sample, parse_run.
ingest_finished = Signal()
