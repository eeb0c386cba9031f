"""The error a file is skipped with."""


class UnreadableFile(Exception):
    """A file we skip, with a one-line bilingual reason for the user."""
