"""The exceptions of the package.

Two families, never mixed up:

- :class:`Error` and its subclasses: toolgate could not do what was asked (bad
  input, a bad configuration, a provider that failed where no verdict can be
  given, a webhook that does not verify). ``code`` is the library's error name
  (``"EINVAL"``, ``"ECONFIG"``, …).
- :class:`Blocked` and its subclasses, raised only by :meth:`Gate.guard
  <toolgate.Gate.guard>`: the check worked and its verdict forbids the call.
  They carry the :class:`~toolgate.Decision`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Type

if TYPE_CHECKING:
    from .decision import Decision


class Error(Exception):
    """toolgate could not do what was asked.

    ``code`` names the failure as the C library does: ``"EINVAL"``,
    ``"ENOMEM"``, ``"ECONFIG"``, ``"EPROVIDER"``, ``"ETIMEOUT"``, ``"EIO"``,
    ``"ENOTSUP"``, ``"EPLUGIN"``, ``"ESIGNATURE"``, ``"ETIMESTAMP"``,
    ``"ECANCELED"``; ``"ELIBRARY"`` when libtoolgate cannot be loaded.
    The message is one line and never holds a secret.
    """

    code: str

    def __init__(self, message: str, code: str = "EUNKNOWN") -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (str(self), self.code))


class ConfigError(Error):
    """The configuration is invalid or unreadable, or its provider cannot be loaded
    (``ECONFIG``, ``EIO``, ``EPLUGIN``)."""


class InputError(Error, ValueError):
    """An argument broke a rule: an empty or too long identifier, a control
    character, an unknown format, a closed gate (``EINVAL``). Also a
    :class:`ValueError`."""


class ProviderError(Error):
    """The provider failed where no verdict can stand in for its answer
    (``EPROVIDER``, ``ETIMEOUT``): from :meth:`Gate.link <toolgate.Gate.link>`
    and :meth:`Gate.wait <toolgate.Gate.wait>`. A check never raises it: there the
    ``on_provider_error`` policy gives a verdict.

    ``decision`` is the UNAVAILABLE decision of a wait that never got an answer,
    else ``None``.
    """

    decision: Optional["Decision"]

    def __init__(self, message: str, code: str = "EPROVIDER",
                 decision: Optional["Decision"] = None) -> None:
        super().__init__(message, code)
        self.decision = decision


class SignatureError(Error):
    """A webhook delivery does not verify: the signature does not match the body
    (``ESIGNATURE``) or its timestamp is more than 300 s from now
    (``ETIMESTAMP``). Nothing was applied."""


class LibraryNotFoundError(Error, OSError):
    """libtoolgate cannot be loaded (``ELIBRARY``); the message says how to point
    at it (``$TOOLGATE_LIBRARY``). Also an :class:`OSError`."""

    def __init__(self, message: str, code: str = "ELIBRARY") -> None:
        super().__init__(message, code)


_CLASSES: Dict[str, Type[Error]] = {
    "EINVAL": InputError,
    "ECONFIG": ConfigError,
    "EIO": ConfigError,
    "EPLUGIN": ConfigError,
    "EPROVIDER": ProviderError,
    "ETIMEOUT": ProviderError,
    "ESIGNATURE": SignatureError,
    "ETIMESTAMP": SignatureError,
}


def error_for(code: str, message: str) -> Error:
    """The exception for a library error named ``code``."""
    return _CLASSES.get(code, Error)(message, code)


class Blocked(Exception):
    """A guarded call was not made: the check's verdict forbids it.

    ``decision`` is the full :class:`~toolgate.Decision`; ``reason`` its sentence,
    safe to show to the user or to a model.
    """

    decision: "Decision"

    def __init__(self, decision: "Decision") -> None:
        super().__init__(self._message(decision))
        self.decision = decision

    @staticmethod
    def _message(decision: "Decision") -> str:
        return decision.reason

    @property
    def reason(self) -> str:
        """The decision's reason: one plain sentence."""
        return self.decision.reason

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.decision,))


class AuthorizationRequired(Blocked):
    """NEEDS_AUTHORIZATION: the user's account for the tool's connection is not
    ACTIVE. ``link`` is where the user authorizes (hand it to them)."""

    @staticmethod
    def _message(decision: "Decision") -> str:
        return f"{decision.reason} — authorize at {decision.link}"

    @property
    def link(self) -> str:
        """The authorization link the user must open."""
        link = self.decision.link
        assert link is not None  # a NEEDS_AUTHORIZATION decision always has one
        return link

    @property
    def link_expires_at(self) -> Optional[str]:
        """When the link expires (RFC 3339, UTC), or ``None`` when it has no expiry."""
        return self.decision.link_expires_at


class Unavailable(Blocked):
    """UNAVAILABLE: the authorization service could not answer and the policy is
    closed. An outage, not a reason to re-authorize."""


class Denied(Blocked):
    """DENY: the configuration forbids the tool (e.g. an unmapped tool with
    ``tools.unmapped: "deny"``)."""
