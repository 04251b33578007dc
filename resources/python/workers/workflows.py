"""`workers.workflows`: NonRetryableError (raise it in a step to fail the instance at once)."""


class NonRetryableError(Exception):
    """Raise inside a step to fail the workflow without further retries."""
