"""The Ottimate v1 API client: configuration, OAuth2 flow, retries, errors."""

from .auth import SCOPE, OAuth2ClientCredentials, Token, build_token_request, parse_token_response
from .client import OnExchange, OttimateClient
from .config import ClientConfig, Credentials, RetryPolicy
from .errors import (
    AuthenticationFailed,
    ConfigurationError,
    OttimateError,
    ProductionTargetRefused,
    TargetUnreachable,
)
from .retry import RETRY_SAFE, RetryTransport, is_retry_safe, retry_after
from .transport import EnvironmentTransport

__all__ = [
    "RETRY_SAFE",
    "SCOPE",
    "AuthenticationFailed",
    "ClientConfig",
    "ConfigurationError",
    "Credentials",
    "EnvironmentTransport",
    "OAuth2ClientCredentials",
    "OnExchange",
    "OttimateClient",
    "OttimateError",
    "ProductionTargetRefused",
    "RetryPolicy",
    "RetryTransport",
    "TargetUnreachable",
    "Token",
    "build_token_request",
    "is_retry_safe",
    "parse_token_response",
    "retry_after",
]
