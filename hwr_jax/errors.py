"""Errors that the launchers report as one clear line and a non-zero exit.

Library code raises these (never bare asserts) whenever the cause is the user's input: a file,
a label, a config value. The message must name the culprit (the path, the row, the key).
"""


class HwrError(Exception):
  """Base class: a problem with the user's input, reported without a traceback."""


class DataError(HwrError):
  """A data file or folder is missing, corrupt, or inconsistent."""


class ConfigError(HwrError):
  """A config value is invalid or inconsistent with the workdir."""


class UnknownLabelError(DataError):
  """A label is not in the vocabulary the model was trained with."""
