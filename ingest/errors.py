"""The one error family a user can fix: bad input, shown as a one-line message, never a traceback."""


class InputError(ValueError):
    """Input the user supplied is unusable; the message says which input and why."""
