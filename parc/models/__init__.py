"""The pool's models (split by subject in the next commit)."""

from .device import *  # noqa: F403
