"""The failures a user acts on, each with its own exit status in the CLI."""


class InputContractError(ValueError):
    """The input cannot be read under its contract; the message names the file and the column."""


class ValidationFailed(RuntimeError):
    """A critical expectation failed: the run must not be published."""


class PublishError(RuntimeError):
    """A run that did not pass validation, or has nothing staged, cannot be published."""
