"""One root exception with a few leaves; `cli` maps them to exit codes in one place."""


class ClearMediaError(Exception):
    """Root of every error ClearMedia raises on purpose."""


class ConfigError(ClearMediaError):
    """A setting is missing or malformed (exit 2). The message names the setting."""


class UsageError(ClearMediaError):
    """The command line itself is wrong (exit 2)."""


class TransientError(ClearMediaError):
    """Worth trying again later: network, timeout, HTTP 5xx/429. The file is requeued."""


class ServiceWaitError(TransientError):
    """A whole service is unusable for now, not this file: files wait in PENDING (requeued
    without spending an attempt), so a whole library does not turn FAILED at once."""


class ServiceConfigError(ServiceWaitError):
    """A remote service rejects our credentials (e.g. TMDB 401): wait until the user fixes it."""


class ServicePausedError(ServiceWaitError):
    """Calls to a service are paused after repeated failures (the LLM circuit breaker)."""


class IdentifyError(ClearMediaError):
    """The file cannot be identified; the message is the reason a person reads. FAILED."""


class NamingError(ClearMediaError):
    """No safe library path can be built (e.g. it would leave TARGET_DIR). FAILED."""
