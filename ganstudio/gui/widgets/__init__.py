"""Reusable widgets (plots, image views, thumbnails). No threads, no state of their own."""
