"""Every limit, enum and error code the embedded sandbox applies, and every UNKNOWN it decided.

The facts come from `shared/ottimate-api/CONTRACT.md` (section numbers cited). Where the contract says
UNKNOWN the sandbox has to choose; each choice is a `Decision` in `DECISIONS` below, so the README's
table of assumptions is generated from this one list and a correction against the real sandbox is a
one-line change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

API_PREFIX: Final = "/v1"
API_VERSIONS: Final = ("1.0.0", "1.1.0")  # §3
LATEST_API_VERSION: Final = "1.1.0"

# §2.1
GRANT_TYPE: Final = "client_credentials"
SUPPORTED_SCOPE: Final = "accounts.can_access_dashboard"
TOKEN_TYPE: Final = "Bearer"
DEFAULT_TOKEN_TTL_SECONDS: Final = 3600  # §19 #2: the Reference example; configurable

# §4
RATE_PER_SECOND: Final = 1000.0
BURST: Final = 2000
DAILY_QUOTA: Final = 10_000
REQUEST_TIMEOUT_SECONDS: Final = 29

# §5
IDEMPOTENCY_KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9._\-+=/]{1,128}$")
IDEMPOTENCY_RETENTION_SECONDS: Final = 24 * 3600
IDEMPOTENT_REPLAY_HEADER: Final = "X-Idempotent-Replayed"

# §6.1
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100  # UNKNOWN for these endpoints; see DECISIONS

# §9, §10
PAYMENT_METHODS: Final = ("credit_card", "ach", "check", "wire_transfer", "unknown")
PaymentMethod = Literal["credit_card", "ach", "check", "wire_transfer", "unknown"]
OTTIMATE_TYPES: Final = (
    "account",
    "location",
    "department",
    "class",
    "project",
    "customer",
    "entity",
    "item",
    "warehouse",
    "task",
    "costtype",
    "employee",
    "taxcode",
    "property",
    "company",
    "subsidiary",
)
OttimateType = Literal[
    "account",
    "location",
    "department",
    "class",
    "project",
    "customer",
    "entity",
    "item",
    "warehouse",
    "task",
    "costtype",
    "employee",
    "taxcode",
    "property",
    "company",
    "subsidiary",
]
VENDOR_BULK_MAX: Final = 100
DIMENSION_BULK_MAX: Final = 100
MAX_TEXT_LENGTH: Final = 255  # UNKNOWN; see DECISIONS

# Largest JSON body accepted; uploads (25 MB, §13) get their own limit.
MAX_JSON_BODY_BYTES: Final = 5 * 1024 * 1024


class ErrorCode:
    """`code` strings of the ErrorResponse (§7: the catalogue is UNKNOWN; these are ours)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_JSON = "invalid_json"
    VALIDATION_ERROR = "validation_error"
    INVALID_PARAMETER = "invalid_parameter"
    UNSUPPORTED_API_VERSION = "unsupported_api_version"
    DUPLICATE = "duplicate"
    MISSING_API_KEY = "missing_api_key"
    INVALID_API_KEY = "invalid_api_key"
    MISSING_TOKEN = "missing_token"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    INVALID_CLIENT = "invalid_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_IN_USE = "idempotency_key_in_use"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    DAILY_QUOTA_EXCEEDED = "daily_quota_exceeded"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class Decision:
    """One place where the contract is silent (or contradicts itself) and the sandbox chose."""

    topic: str
    contract: str  # the section of CONTRACT.md that leaves it open
    chosen: str


DECISIONS: Final[tuple[Decision, ...]] = (
    Decision(
        "Token request encoding",
        "§2.1",
        "Form-encoded is the documented way; a JSON body is also accepted because [S] types it as JSON.",
    ),
    Decision(
        "Token lifetime",
        "§2.1, §19 #2",
        "`expires_in` 3600 s by default (the Reference example), configurable per sandbox "
        "(`--token-ttl`, control plane).",
    ),
    Decision("Token format", "§2.1", "Opaque 40-character random string."),
    Decision(
        "Token bound to API key",
        "§2.1",
        "Yes: a token used with another account's API key answers 401 `invalid_token`.",
    ),
    Decision(
        "Token endpoint errors",
        "§2.1",
        "Following RFC 6749 §5.2 with the documented statuses: unknown client or wrong secret → 401 "
        "`invalid_client`; missing/unknown `X-Api-Key` → 401; wrong `grant_type` → 400 "
        "`unsupported_grant_type`; scope other than `accounts.can_access_dashboard` → 400 "
        "`invalid_scope`; missing form field → 400 `invalid_request`. Bodies are ErrorResponse.",
    ),
    Decision(
        "Missing or invalid credentials on resource calls",
        "§2.1",
        "401 ErrorResponse with code `missing_api_key`, `invalid_api_key`, `missing_token`, "
        "`invalid_token` or `token_expired`. The API key is checked first.",
    ),
    Decision(
        "Out-of-scope access",
        "§2.2",
        "403 `forbidden` for a company, location or entity outside the API user's scope, whether or "
        "not it exists (existence is not revealed). Location-level users may read, not write, the "
        "vendors and dimensions of their locations' company.",
    ),
    Decision(
        "Companies and locations seen by a scoped user",
        "§8",
        "`GET /accounts/{id}/companies` and `/locations` list only what the user's scope covers.",
    ),
    Decision("Unknown account id", "§8", "404 when no such account exists; 403 when it exists but is not linked."),
    Decision("Unknown or malformed entity id", "§9, §10", "404 `not_found` (a malformed id is an unknown id)."),
    Decision(
        "Error `code` strings",
        "§7",
        "The codes in `ErrorCode`; `message` is a human-readable string "
        "naming the offending field; validation errors add `errors[]` of `{field, message}`.",
    ),
    Decision(
        "Unknown route, wrong method",
        "§7",
        "404 `not_found`, 405 `method_not_allowed` (with `Allow`), both ErrorResponse.",
    ),
    Decision(
        "Wrong content type on a JSON endpoint",
        "§7",
        "400 `invalid_request` (kept within the documented statuses rather than 415).",
    ),
    Decision("Request body size", "§7", "JSON bodies over 5 MB → 413 `payload_too_large`."),
    Decision(
        "`X-API-Version` values",
        "§3",
        "Absent → latest (1.1.0); any value other than 1.0.0/1.1.0 → 400 "
        "`unsupported_api_version`. The `version` field and an `X-API-Version` response header echo "
        "the effective version. Locations return `group` (not `location_group`) without the header, "
        "as documented.",
    ),
    Decision(
        "Page size limits",
        "§6.1",
        "`limit` defaults to 20 and must be 1–100 (else 400); `page` < 1 is "
        "treated as 1 (as the Reference example shows); a page past the end is an empty list.",
    ),
    Decision(
        "List order",
        "§6.1",
        "Accounts, companies and locations by id; vendors by id (creation order); "
        "dimensions by creation order. Stable across calls.",
    ),
    Decision(
        "Rate-limit answer",
        "§4",
        "429 ErrorResponse with `Retry-After` (whole seconds): `rate_limited` "
        "for the token bucket, `daily_quota_exceeded` (Retry-After = seconds to midnight UTC) for the "
        "quota. Every request presenting a known API key counts, the token endpoint included.",
    ),
    Decision(
        "Idempotency scope",
        "§5",
        "API key + method + path + key ([3P]); applied to every POST under "
        "/v1 except the token endpoint; the SHA-256 is over the raw body bytes.",
    ),
    Decision(
        "Idempotency error codes",
        "§5",
        "400 `idempotency_key_invalid`, 409 `idempotency_key_in_use`, 422 `idempotency_key_reused`.",
    ),
    Decision(
        "Idempotent replay of large responses",
        "§5",
        "Not reproduced: the [3P] `208 Already Reported` "
        "for responses over 64 KB is not implemented; every replay returns the cached body.",
    ),
    Decision(
        "Text field lengths",
        "§9, §10",
        "Every string field accepts 1–255 characters (Unicode code "
        "points); longer → 400. Optional strings may be null.",
    ),
    Decision("Vendor email/phone format", "§9", "Free strings, not format-checked."),
    Decision("Duplicate `erp_vendor_id` on single create", "§9", "400 `duplicate` within the same company."),
    Decision("Vendor bulk partial failure", "§9, §19 #6", "201 with `errors[]` ([S]), not 207 (older guide)."),
    Decision(
        "Vendor bulk per-item errors",
        "§9",
        "Items failing validation are reported in `errors[]` "
        "(`index`, `erp_vendor_id`, `error`, `type`=`validation_error`); the request itself fails "
        "(400) only when the envelope is wrong (company, list missing or empty, more than 100). A request whose "
        "every item fails is still 201.",
    ),
    Decision(
        "`detail=basic`",
        "§9, §10",
        "Vendors: `id`, `ottimate_company_id`, `erp_vendor_id`, "
        "`erp_vendor_name`. Dimensions: `id`, `name`, `erp_type`, `erp_dimension_id`, "
        "`ottimate_company_id`.",
    ),
    Decision("Vendor list without `ottimate_company_id`", "§9", "Vendors of every company in the user's scope."),
    Decision("Date-filter bounds", "§6.2", "`_from` and `_to` are both inclusive."),
    Decision(
        "Response timestamps", "§6.2", "`X` is ISO 8601 with `+00:00`; `X_utc` is ISO 8601 with `Z`, microseconds."
    ),
    Decision("Dimension bulk upsert key", "§10, §19 #7", "`reference_id` within the company."),
    Decision(
        "Duplicate dimension on single create",
        "§10",
        "400 `duplicate` when the company already has a dimension with that `reference_id`.",
    ),
    Decision(
        "Dimension bulk per-item errors",
        "§10",
        "`errors[]` items carry `name` and, beyond the schema, `index` and `error`.",
    ),
    Decision("`erp_type` filter", "§10", "Exact match, case-insensitive."),
    Decision(
        "Vendor/dimension bulk aliases",
        "§19 #3, #4",
        "`/vendors/bulk-create/` and "
        "`/dimensions/bulk-create/` are served as aliases of `/vendors/bulk` and `/dimensions/bulk`.",
    ),
)

# §19 conflicts as the sandbox resolves them (quoted in the README next to DECISIONS).
CONFLICTS_RESOLVED: Final[tuple[tuple[str, str], ...]] = (
    ("#1 Token URL", "Both `{auth}/oauth/token` and `{api}/v1/oauth/token` are served."),
    ("#2 Token example", "`expires_in` configurable, default 3600; scope `accounts.can_access_dashboard`."),
    ("#3/#4 Bulk paths", "`/bulk` (Reference); `/bulk-create/` accepted as an alias."),
    ("#6 Vendor bulk partial failure", "201 with `errors[]`."),
    ("#7/#8 Dimension fields", "[S] fields: `erp_type`, `ottimate_type` (`costtype`), `reference_id`, `code`."),
    ("#9 Vendor create required", "[S]: `ottimate_company_id`, `erp_vendor_name`, `erp_vendor_id`."),
    ("#19 Idempotency availability", "Enabled (this is a sandbox)."),
    ("#20 Header casing", "Header names are case-insensitive (`X-API-Key` = `X-Api-Key`)."),
)
