"""A local stand-in for MediaWiki's Extension:OAuth (OAuth 1.0a), for tests and development mode.

It speaks the protocol exactly as the mwoauth client library uses it and verifies HMAC-SHA1 signatures
with oauthlib's server endpoints. It imports nothing else from Kudos.
"""

from .app import create_provider
from .store import IdentifyFault, ProviderState, WikiUser

__all__ = ["IdentifyFault", "ProviderState", "WikiUser", "create_provider"]
