"""The ``media`` function: audio and pictures of compositions and melodies (see ``routes.py``)."""
