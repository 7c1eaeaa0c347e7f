"""What goes wrong with data, said plainly: the lessons catch these and print the message instead
of a traceback."""


class DatasetError(ValueError):
    """A data file that is corrupt, of the wrong format, or holds values it should not."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A data file that is not where it was looked for; the message says how to get it."""
