"""User-facing errors: each carries one line that names the culprit.

The CLI prints ``str(error)`` and exits non-zero without a traceback; anything
that is not a ``TradesimError`` is a bug and keeps its traceback.
"""


class TradesimError(Exception):
    """A mistake in the user's input (config, data, command line)."""

    exit_code = 2


class ConfigError(TradesimError):
    """A portfolio config that does not validate."""


class DataError(TradesimError):
    """Price data that is missing, malformed or fails a sanity check."""


class LedgerError(TradesimError):
    """The database refuses the operation (already processed, locked, too new)."""


class StrategyError(TradesimError):
    """A user's strategy raised: reported as theirs, with its file and line."""


class SomeFailed(TradesimError):
    """Several independent jobs (portfolios, sweep variants) of which some failed: the
    command exits with the worst of their codes, each failure already reported."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
