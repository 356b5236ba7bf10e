"""The base of every error a user should see as one line, not a stack trace.

`ytdnn` catches `YtdnnError` and prints the message; anything else is a bug
and keeps its traceback. Each subclass also keeps the built-in base that
says what kind of failure it is (a missing file, a bad value, ...).
"""


class YtdnnError(Exception):
  """A failure the user can act on: its message names the file, line or rule."""
