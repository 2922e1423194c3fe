"""Every limit, enum and error code the embedded sandbox applies, and every UNKNOWN it decided.

The facts come from `shared/ottimate-api/CONTRACT.md` (section numbers cited). Where the contract says
UNKNOWN the sandbox has to choose; each choice is a `Decision` in `DECISIONS` below, so the table of
assumptions in docs/sandbox.md is generated from this one list and a correction against the real sandbox is a
one-line change here.

A decision the checks rest on is *configurable*: besides our choice (``default``) it names other plausible
``choices``, which an overrides file, a named reading (``readings.py``) or the control plane switches the
embedded sandbox to, and it says exactly what a difference in an answer's shape looks like when it comes
from that decision (``touches``), so the drift report names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final, Literal, get_args

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
# Each enum written once, as the type the request models validate against; the tuple is derived.
PaymentMethod = Literal["credit_card", "ach", "check", "wire_transfer", "unknown"]
PAYMENT_METHODS: Final = get_args(PaymentMethod)
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
OTTIMATE_TYPES: Final = get_args(OttimateType)
VENDOR_BULK_MAX: Final = 100
DIMENSION_BULK_MAX: Final = 100
MAX_TEXT_LENGTH: Final = 255  # UNKNOWN; see DECISIONS

# §14, §15, §16
PO_BULK_MAX: Final = 100
PO_BULK_MAX_ITEMS: Final = 1000
RECEIPT_BULK_MAX: Final = 100
RECEIPT_BULK_MAX_ITEMS: Final = 1000
PO_STATUSES: Final = ("pending", "open", "received", "closed", "flagged", "archived", "deleted")
PO_STATUS_FILTER: Final = ("pending_review", "approved", "rejected", "closed")  # §19 #13: another vocabulary
RECEIPT_STATUSES: Final = ("open", "pending", "flagged", "closed", "archived", "deleted")

# §11
CATALOG_BULK_MAX: Final = 1000
CATALOG_ENTRIES_PAGE_SIZE: Final = 50
CATALOG_TARGETS: Final = {"company": 10, "location_group": 15, "location": 20}
ALLOWANCE_TYPES: Final = ("allowance", "discount", "rebate")

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
    INVALID_TRANSITION = "invalid_transition"  # invoice action not allowed from the current status (409)
    PRECONDITION_FAILED = "precondition_failed"  # PATCH /invoices/{id} with a stale If-Match (412)
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"  # upload/image content not PDF, JPG/JPEG, PNG (TIFF)
    PO_VALIDATION = "PO4000"  # §7: the one documented code, for object-valued PO item dimensions
    ALREADY_EXPORTED = "already_exported"
    SERVICE_UNAVAILABLE = "service_unavailable"  # only sent by the `sporadic_503_get` variation


@dataclass(frozen=True)
class Choice:
    """Another plausible answer to a decision: its name (as an overrides file gives it) and what the
    embedded sandbox then does. ``visible``: whether an answer's shape shows it (the decision's ``touches``),
    so the drift report can name it; one that changes only values or counts it cannot."""

    name: str
    does: str
    visible: bool = True


#: Aspects of an answer the drift report compares: its status, a field's presence, a field's type, a
#: header, a vocabulary word (an error ``code``, a ``status`` value), the order of a list.
ASPECTS: Final = ("status", "field", "type", "header", "word", "order")


@dataclass(frozen=True)
class Touch:
    """What a difference in an answer comes from this decision looks like: ``aspect`` (one of ``ASPECTS``)
    of one of ``names`` (a status code, a field by name or dotted path, a header, the field a word is the
    value of; ``*`` any) in an answer of one of ``operations`` (``GET /vendors``; shell patterns such as
    ``GET /*`` or ``* /invoices*``)."""

    aspect: str
    names: tuple[str, ...]
    operations: tuple[str, ...] = ("*",)
    #: For a word: only a difference in one of these words (an error code this decision chose).
    words: tuple[str, ...] = ()
    #: Only in answers whose status starts so ("4": any 4xx), where the difference knows it.
    statuses: tuple[str, ...] = ()

    def matches(self, operation: str, aspect: str, name: str, detail: str = "") -> bool:
        if aspect != self.aspect or not any(fnmatchcase(operation, pattern) for pattern in self.operations):
            return False
        if self.words and not any(word in detail for word in self.words):
            return False
        if self.statuses and not any(f"status={prefix}" in detail for prefix in self.statuses):
            return False
        path = name.replace("[]", "")
        leaf = path.rsplit(".", 1)[-1]
        return any(n == "*" or n in (name, path, leaf) or path.endswith("." + n) for n in self.names)


@dataclass(frozen=True)
class Decision:
    """One place where the contract is silent (or contradicts itself) and the sandbox chose."""

    topic: str
    contract: str  # the section of CONTRACT.md that leaves it open
    chosen: str
    #: Configurable decisions: the name of our choice, and the other plausible choices.
    default: str = ""
    choices: tuple[Choice, ...] = ()
    #: What a difference in shape coming from this decision looks like (the drift report names it).
    touches: tuple[Touch, ...] = ()

    @property
    def id(self) -> str:
        """The decision's name, as checks, overrides files and known deviations cite it."""
        return re.sub(r"[^a-z0-9]+", "-", self.topic.lower()).strip("-")

    @property
    def configurable(self) -> bool:
        return bool(self.choices)

    @property
    def choice_names(self) -> tuple[str, ...]:
        """Every choice the embedded sandbox can take, ours first."""
        return (self.default, *(c.name for c in self.choices)) if self.choices else ()

    def touches_difference(self, operation: str, aspect: str, name: str, detail: str = "") -> bool:
        """Whether a difference in ``aspect`` ``name`` of an answer of ``operation`` (``detail``: what each side
        said) is this decision's, by its ``touches``; a decision without them, by the text heuristic."""
        if self.touches:
            return any(touch.matches(operation, aspect, name, detail) for touch in self.touches)
        return self.guessed_touch(operation, aspect, name)

    def guessed_touch(self, operation: str, aspect: str, name: str) -> bool:
        """The fallback for a decision without ``touches``: its text names the thing and the operation's resource."""
        text = f"{self.topic} {self.chosen}".lower()
        resource = operation.split(" ", 1)[-1].strip("/").split("/")[0].rstrip("s").replace("-", " ")
        thing = name.rsplit(".", 1)[-1].removesuffix("[]").lower()
        named = f"`{thing}`" in text or (aspect in ("status", "header") and thing in text)
        return named and (resource in text or "every" in text or "all " in text)


def decisions_touching(operation: str, aspect: str, name: str, detail: str = "") -> list[str]:
    """The names of the decisions a difference may come from (the drift report names them): those whose
    ``touches`` describe it exactly, else those whose text suggests it (decisions without ``touches``).
    ``detail``: what each side answered (the words of a word difference)."""
    exact = [d.id for d in DECISIONS if d.touches and d.touches_difference(operation, aspect, name, detail)]
    if exact:
        return exact
    return [d.id for d in DECISIONS if not d.touches and d.guessed_touch(operation, aspect, name)]


def decision_named(name: str) -> Decision | None:
    return next((d for d in DECISIONS if d.id == name), None)


# Operations a `Touch` names (documented operations, CONTRACT §20, as shell patterns).
#: Lists whose order the contract leaves open (§6.1: only invoices and batches have a documented order).
UNORDERED_LISTS: Final = (
    "GET /accounts",
    "GET /accounts/{id}/*",
    "GET /vendors",
    "GET /dimensions",
    "GET /purchase-orders",
    "GET /receipts",
    "GET /catalog/entries",
    "GET /catalog/prices",
    "GET /catalog/allowances",
    "GET /catalog/variances",
)
#: Every page-numbered list.
PAGED_LISTS: Final = (*UNORDERED_LISTS, "GET /invoices", "GET /batch", "GET /catalog/variances/{id}/invoice-items")
#: Reads and writes of one entity by its id.
BY_ID: Final = ("GET /*/{id}", "PATCH /*/{id}")
INVOICES: Final = ("* /invoices*",)
APPROVAL_ACTIONS: Final = (
    "POST /invoices/{id}/approvers",
    "DELETE /invoices/{id}/approvers/{approval_id}",
    "POST /invoices/{id}/approve",
    "POST /invoices/{id}/force-approve",
)


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
        default="rfc-6749",
        choices=(
            Choice(
                "lenient",
                "A scope other than the supported one is ignored (the token carries the supported scope); a missing "
                "`client_id` or `client_secret` is a failed client authentication, 401 `invalid_client`.",
            ),
        ),
        touches=(
            Touch("status", ("200", "400", "401"), ("POST /oauth/token",)),
            Touch(
                "word",
                ("code",),
                ("POST /oauth/token",),
                words=("invalid_scope", "invalid_request", "invalid_client", "unsupported_grant_type"),
            ),
        ),
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
        default="scope-only",
        choices=(
            Choice(
                "whole-account",
                "Every API user of the account lists all its companies and locations; what lies outside its scope "
                "is still refused (403) when used.",
            ),
        ),
        touches=(),  # the same shape either way: not visible to the drift report
    ),
    Decision("Unknown account id", "§8", "404 when no such account exists; 403 when it exists but is not linked."),
    Decision(
        "Unknown or malformed entity id",
        "§9, §10",
        "404 `not_found` (a malformed id is an unknown id).",
        default="not-found",
        choices=(
            Choice(
                "malformed-is-400",
                "An id that cannot be one (not a number where ids are integers, not `dim_`/`cte_`-prefixed or a "
                "UUID where they are) → 400 `invalid_parameter`; a well-formed unknown id is still 404.",
            ),
        ),
        touches=(Touch("status", ("400",), BY_ID),),
    ),
    Decision(
        "Error `code` strings",
        "§7",
        "The codes in `ErrorCode` (snake_case words such as `validation_error`, `not_found`, `invalid_transition`); "
        "the one documented code, `PO4000`, where CONTRACT §14 gives it.",
        default="snake-case-words",
        choices=(
            Choice(
                "reason-phrases",
                "`code` is the HTTP reason phrase of the status (`Bad Request`, `Not Found`, `Conflict`), as §7's "
                '"human-readable error message" could mean; `PO4000` stays.',
            ),
        ),
        touches=(Touch("word", ("code",)),),
    ),
    Decision(
        "Error message names the field",
        "§7",
        "`message` is a human-readable sentence naming the offending field or parameter; validation errors add "
        "`errors[]` of `{field, message}`.",
        default="named",
        choices=(
            Choice(
                "generic",
                '`message` is the reason phrase of its status ("Bad Request.") and there is no `errors[]`: which '
                "field was wrong is not said.",
            ),
        ),
        touches=(Touch("field", ("errors", "errors.field", "errors.message"), statuses=("4",)),),
    ),
    Decision(
        "Unknown route, wrong method",
        "§7",
        "404 `not_found`, 405 `method_not_allowed` (with `Allow`), both ErrorResponse.",
        default="error-response",
        choices=(
            Choice(
                "framework-detail",
                'As Django REST framework answers them: 404 `{"detail": "Not found."}` and 405 '
                '`{"detail": "Method \\"DELETE\\" not allowed."}` (with `Allow`), not ErrorResponse.',
            ),
        ),
        touches=(),  # an unknown route or method is no documented operation: the drift report cannot see it
    ),
    Decision(
        "Wrong content type on a JSON endpoint",
        "§7",
        "400 `invalid_request` (kept within the documented statuses rather than 415).",
        default="400",
        choices=(Choice("415", "415 Unsupported Media Type, as Django REST framework's parsers answer."),),
        touches=(Touch("status", ("415",), ("POST /*", "PATCH /*")),),
    ),
    Decision("Request body size", "§7", "JSON bodies over 5 MB → 413 `payload_too_large`."),
    Decision(
        "`X-API-Version` values",
        "§3",
        "Absent → latest (1.1.0); any value other than 1.0.0/1.1.0 → 400 "
        "`unsupported_api_version`. The `version` field and an `X-API-Version` response header echo "
        "the effective version. Locations return `group` (not `location_group`) without the header, "
        "as documented.",
        default="refuse-unknown",
        choices=(
            Choice(
                "ignore-unknown",
                "An unknown `X-API-Version` is ignored: the latest version answers (200).",
            ),
        ),
        touches=(
            Touch("header", ("x-api-version",)),
            Touch("word", ("code",), words=("unsupported_api_version",)),
        ),
    ),
    Decision(
        "Page size limits",
        "§6.1",
        "`limit` defaults to 20 and must be 1–100 (1–200 on the receiver export), else 400 `invalid_parameter`.",
        default="refuse",
        choices=(
            Choice(
                "clamp",
                "As Django REST framework's paginators: a `limit` over the maximum is served as the maximum, one "
                "below 1 or not a number as the default (200 either way).",
            ),
        ),
        touches=(Touch("status", ("400",), PAGED_LISTS),),
    ),
    Decision(
        "Page numbers",
        "§6.1",
        "`page` < 1 is treated as 1 (as the Reference example shows); a page past the end is an empty list (200).",
        default="lenient",
        choices=(
            Choice(
                "not-found",
                "As Django REST framework's page-number paginator: a page below 1 or past the last one is 404 "
                '("Invalid page."); page 1 of an empty list is still 200.',
            ),
        ),
        touches=(Touch("status", ("404",), PAGED_LISTS),),
    ),
    Decision(
        "List order",
        "§6.1",
        "Accounts, companies and locations by id; vendors by id (creation order); "
        "dimensions by creation order. Stable across calls.",
        default="oldest-first",
        choices=(
            Choice(
                "newest-first",
                "Every list whose order the contract leaves open comes newest first (a framework's default "
                "`ordering = ['-created']`), stable across calls.",
            ),
        ),
        touches=(Touch("order", ("*",), UNORDERED_LISTS),),
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
        default="255",
        choices=(
            Choice(
                "100",
                "A vendor's text fields take at most 100 characters (a common `max_length`); longer → 400 "
                "`validation_error` naming the field.",
            ),
        ),
        touches=(),  # a refusal of values the suites choose: the same shape
    ),
    Decision("Vendor email/phone format", "§9", "Free strings, not format-checked."),
    Decision(
        "Duplicate `erp_vendor_id` on single create",
        "§9",
        "400 `duplicate` within the same company.",
        default="400",
        choices=(Choice("409", "409 Conflict (`duplicate`), as a unique constraint is often answered."),),
        touches=(Touch("status", ("409",), ("POST /vendors",)),),
    ),
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
        "Undocumented filter values",
        "§6, §11, §12.2, §16",
        "A list filter whose value lies outside its documented enum (invoice `status` and `payment_status`, batch "
        "`status`, price `price_type`, variance `exception_type`) → 400 `invalid_parameter` naming the filter.",
        default="refuse",
        choices=(
            Choice(
                "match-nothing",
                "Such a value is not validated and matches nothing: 200 with an empty list, as a framework's "
                "unvalidated filter answers.",
            ),
        ),
        touches=(
            Touch("status", ("400",), ("GET /invoices", "GET /batch", "GET /catalog/prices", "GET /catalog/variances")),
        ),
    ),
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
    Decision(
        "Batch ids and tasks",
        "§16",
        "Batch ids are `bat_` + 16 letters/digits; one task per submitted item, task ids are integers. Tasks "
        "finish one after another on the sandbox clock, one every `batch_task_seconds` (default 1.0 s, "
        "control-plane config; 0 = due on the next request).",
    ),
    Decision(
        "Batch URLs",
        "§16",
        "`batch_url` = `/v1/batch/{id}/progress`, `results_url` = `/v1/batch/{id}/results` (relative).",
    ),
    Decision(
        "Batch results before completion",
        "§16",
        "200 with the tasks finished so far, in completion order (no status outside the documented ones).",
    ),
    Decision(
        "Batch result `message` on success",
        "§16",
        "Omitted (the Reference types `message` as a non-null string); present with the error text on failure, "
        "where `result` is null.",
    ),
    Decision(
        "Unknown or foreign batch id",
        "§16",
        "Unknown id → 404 `not_found`; another API user's batch → 403 `forbidden`. `GET /batch` lists only the "
        "caller's batches; `date_from`/`date_to` filter on last-modified time.",
        default="403-for-foreign",
        choices=(
            Choice(
                "404-for-foreign",
                "Another API user's batch is not found (404), as a queryset filtered by owner answers.",
            ),
        ),
        touches=(Touch("status", ("403", "404"), ("GET /batch/{id}/*",)),),
    ),
    Decision("Batch list page size", "§6.1", "`limit` defaults to 20, max 100."),
    Decision(
        "PO and receipt ids, initial status",
        "§14, §15",
        "POs, PO items, receipts and receipt items get UUID v4 ids. A new PO is `open`, a new receipt `open`; "
        "statuses never change through the API (no transitions are simulated).",
    ),
    Decision(
        "PO list `status` filter",
        "§14, §19 #13",
        "The filter takes only `pending_review`|`approved`|`rejected`|`closed` (else 400 `invalid_parameter`), "
        "mapped onto the response statuses: pending_review → pending/flagged, approved → open/received, "
        "rejected → archived/deleted, closed → closed. The receipt `status` filter is a free string, exact match.",
    ),
    Decision(
        "PO/receipt `expand=items` window",
        "§6.2, §14, §15",
        "Needs both `date_from` and `date_to`, at most 30 days apart, else 400 `invalid_parameter`; dates filter on "
        "the document `date`, both ends inclusive. Any other `expand` value is 400.",
    ),
    Decision(
        "PO and receipt upsert on `external_id`",
        "§14, §15",
        "`external_id` is unique within the company; POST with a known one updates that record (201, same id). "
        "The sent `items` replace the stored ones; an item whose `external_id` matches keeps its id. Moving a PO to "
        "another location, or a receipt to another PO, this way is 400.",
    ),
    Decision(
        "PO item dimensions",
        "§14",
        "Keys match a company dimension's `ottimate_type` or `erp_type`, case-insensitively, and the value its "
        "`erp_dimension_id` (exact). Reads key them upper-case. Unknown dimension → 400 `validation_error`; "
        "`{}` → 400 `invalid_request`; a non-string value → 400 `PO4000` \"Dimension value for 'X' must be a "
        "string.\". `null`/omitted leaves an item's dimensions unchanged.",
    ),
    Decision(
        "Immutable fields on PATCH",
        "§14, §15, §19 #18",
        "Sending an immutable field with its current value is accepted; a different value is 400 "
        "`validation_error` naming the fields. PATCH `items[]` with `id` updates that item, without adds one; "
        "items cannot be removed by PATCH.",
        default="refuse-changes",
        choices=(
            Choice(
                "ignore-changes",
                "As read-only fields of a Django REST framework serializer: a different value is ignored (200, the "
                "field unchanged).",
            ),
        ),
        touches=(Touch("status", ("400",), ("PATCH /purchase-orders/{id}", "PATCH /receipts/{id}")),),
    ),
    Decision(
        "PO and receipt scope",
        "§2.2, §14, §15",
        "Both belong to a location: a user reads and writes them only at locations in scope (location-level users "
        "included); elsewhere 403. The PO's vendor is not required to exist as a vendor record.",
    ),
    Decision(
        "Receipt PO and item resolution failures",
        "§15",
        "No `ottimate_po_id` and an incomplete lookup trio, no matching PO, or an item matching no / several PO "
        "items → 400 `validation_error` naming the item. A receipt item's `name` is its PO item's.",
    ),
    Decision(
        "PO/receipt bulk",
        "§14, §15, §16",
        "Envelope problems (company, location not in the company, 0 or more than 100 documents, more than 1,000 "
        "items) → 400; each document is one batch task whose result is the document as `POST` answers it. A PO may "
        "carry its own `ottimate_location_id`, else the envelope's default applies.",
    ),
    Decision(
        "Catalog bulk request bodies",
        "§11",
        "`{ottimate_company_id, entries|prices|allowances: [...]}`, 1 to 1,000 items, each item as the single "
        "POST minus the company; one batch task per item.",
    ),
    Decision(
        "`catalog_unique_key` generation",
        "§11",
        "Omitted → `erp_vendor_id|sku|size|item_name`, each trimmed, whitespace collapsed and lower-cased (`upc` "
        "plays no part); a sent key is normalised the same way. The key is returned on every entry object.",
    ),
    Decision(
        "Catalog deprecated fields",
        "§11, §19 #10",
        "`description` is accepted for `item_name` and `pack_size` for `size`, each with a `warnings[]` entry; "
        "omitting `prices` or `allowances` adds a warning; `null` means none. Warnings describe the write only "
        "(a GET has none). Responses carry both `item_name` and `description`.",
    ),
    Decision(
        "Catalog entry writes",
        "§11, §19 #12",
        "POST answers 201 for a create and for an update. `dimensions` is the [S] list of `{TYPE: name, code?}` "
        "objects (anything else → 400), returned as `{TYPE: name}`. Nested `prices[]` are added; nested "
        "`allowances[]` upsert on `reference_id`. PATCH updates in place and keeps the entry's key.",
    ),
    Decision(
        "Catalog ids and numbers",
        "§11, §19 #17",
        "Entry ids are `cte_<integer>`; an integer `catalog_entry_id` N means `cte_N` (both accepted). Prices are "
        "`ctp_…`, allowances `cta_…`, variance batches `ctb_…`. Decimal strings have at least two places. "
        "`price_type`/`target` codes: company 10, location_group 15, location 20.",
    ),
    Decision(
        "Catalog scope",
        "§2.2, §11",
        "Company-level: location-level users read but do not write; `ottimate_company_id` is required on every "
        "list (400 without). Location groups have no ids in the API, so `ottimate_group_id` is not checked.",
    ),
    Decision(
        "Price bulk duplicates",
        "§11",
        "A price with the same `reference_id`, or the same type/location/group/start date, as an existing price of "
        "that entry is skipped: a failed task whose message starts with `skipped:`.",
    ),
    Decision(
        "Prices and allowances by location and date",
        "§11",
        "`ottimate_location_id` matches company-wide ones and that location's; `effective_date` matches when "
        "start ≤ date ≤ end (open end = no end).",
    ),
    Decision(
        "Variances",
        "§11",
        "A variance row is an entry with matched invoice lines (newest invoice first): lines of invoices of the "
        "entry's vendor in its company with the entry's `sku` (by item name when it has none). `price_variance` = "
        "invoice price − catalog price on the invoice date (that location's price in effect, else the company's, "
        "else the entry's `price`); `effective_price` = the invoiced price; overbilling > 0 > underbilling; "
        "`variance_only` drops a zero latest variance. Seeded lines make the endpoints work before invoices exist. "
        "Page size 20 (max 100) here and on variance batches.",
        default="lines-by-sku",
        choices=(
            Choice(
                "item-validation-only",
                "No invoice line of the run is matched to a catalog entry (matching is item validation, set up by "
                "Ottimate per vendor): the variance lists hold only what was there before.",
            ),
        ),
        touches=(),  # rows missing from a list: values, not the shape
    ),
    Decision(
        "Variance batches",
        "§11",
        "Each company is seeded with one exported and two pending batches, ordered by `batch_number`; `next`/"
        "`previous` are relative URLs. Exporting an exported batch → 400 `already_exported`; location-level "
        "users cannot export (403).",
    ),
    Decision(
        "Invoice status spellings",
        "§12.1, §19 #15",
        "Responses use the hyphenated filter spellings (`needs-attention`, `pending-approval`, `ready-for-export`).",
        default="hyphenated",
        choices=(
            Choice(
                "underscored",
                "Responses spell statuses as the older generation's `invoice_state` did (`needs_attention`, "
                "`pending_approval`, `ready_for_export`); filters still take the hyphenated ones.",
            ),
        ),
        touches=(Touch("word", ("status",), INVOICES),),
    ),
    Decision(
        "Invoice lifecycle",
        "§12.1",
        "One table (`sandbox/invoices/lifecycle.py`). Extraction/import/create land in `pending-approval` when "
        "complete and consistent (vendor matched, number, date, total, at least one line, lines + tax − "
        "discount = total), else `needs-attention` with `error`. A PATCH that makes a `needs-attention` or "
        "`incomplete` invoice complete sends it to `pending-approval`. Flag: from `needs-attention`, "
        "`incomplete`, `pending-approval`, `ready-for-export` → `incomplete`. `processing` is never observed "
        "on an invoice (an upload is not an invoice yet); nothing leads to `archived`.",
        default="needs-attention",
        choices=(
            Choice(
                "incomplete",
                "An invoice that is not complete and consistent is held as `incomplete` (with `error`) rather "
                "than `needs-attention`.",
            ),
        ),
        touches=(Touch("word", ("status",), INVOICES),),
    ),
    Decision(
        "Invalid invoice transitions",
        "§12.1",
        "409 `invalid_transition` naming the status and the statuses allowed; mark-exported/unexported report "
        "them per invoice in `failed[]` / `skipped[]` instead (bulk endpoints never fail as a whole for one item).",
    ),
    Decision(
        "`approved` status",
        "§12.1, §12.8",
        "Passed through: the last approval (or force-approve) sets `approved_date` and the invoice is "
        "`ready-for-export` in the same step, so `approved` is not observable.",
    ),
    Decision(
        "Export rules",
        "§12.6",
        "mark-exported only from `ready-for-export` (else `failed[]`), sets `exported_date`; mark-unexported only "
        "from `exported` (else `skipped[]`), back to `ready-for-export`, or `incomplete` with `flag_invoice` "
        "(then also in `flagged[]`; `updated[]` lists both). Unknown or out-of-scope ids → `failed[]`. "
        "`invoices` must hold 1–100 entries (else 400). Editing is refused (409) once exported.",
        default="back-to-ready",
        choices=(
            Choice(
                "back-to-approval",
                "mark-unexported without `flag_invoice` sends the invoice back to `pending-approval` (approved "
                "again before it is exported again).",
                visible=False,
            ),
        ),
        touches=(Touch("word", ("status",), INVOICES),),
    ),
    Decision(
        "Invoice ids",
        "§19 #14",
        "Every invoice has a UUID v4 `id` and an integer `invoice_id` (an extra field in list and detail); "
        "`/invoices/{id}` paths and the `invoice_ids` filter accept either.",
        default="uuid-and-integer",
        choices=(
            Choice(
                "uuid-only",
                "Invoices carry only their UUID `id` (no `invoice_id`); the export endpoints take the UUID in "
                "`invoice_id` and report it in `updated[]`/`failed[]`.",
            ),
        ),
        touches=(Touch("field", ("invoice_id",), INVOICES), Touch("type", ("updated", "failed.id"), INVOICES)),
    ),
    Decision(
        "Invoice fields without a value",
        "§12.2, §12.3",
        "Fields the Reference types as non-nullable (`invoice_date`, `approved_date`, `exported_date`, `error`, "
        "…) are omitted when empty; their `_utc` twins are null. Extra fields: `invoice_id`, "
        "`ottimate_location_id`, `ottimate_company_id`, `ottimate_vendor_id`, `upload_id`; the detail also "
        "carries `invoice_number` and `items[]`.",
        default="omitted",
        choices=(
            Choice(
                "null",
                "Fields without a value are present as null, as a Django REST framework serializer writes them.",
            ),
        ),
        touches=(
            Touch(
                "field",
                (
                    "invoice_date",
                    "approved_date",
                    "exported_date",
                    "error",
                    "posting_date",
                    "due_date",
                    "purchase_order",
                    "upload_id",
                ),
                (*INVOICES, "GET /batch/{id}/results"),  # an import's results carry its invoices
            ),
        ),
    ),
    Decision(
        "Invoice line items",
        "§12.2, §12.3",
        "`items[]` of `{id, item, name, sku, quantity, price, amount, is_taxed, dimensions, custom_fields}` — "
        "always in the detail, in the list only with `expand=items`.",
        default="in-the-detail",
        choices=(
            Choice(
                "list-only",
                "As [S] types the detail: no `items` there; an invoice's lines are read from the list with "
                "`expand=items` (and answered by a PATCH that sent `items`).",
            ),
        ),
        touches=(Touch("field", ("items",), ("GET /invoices/{id}",)),),
    ),
    Decision(
        "Concurrent invoice edits (412)",
        "§12.4",
        "ETag/If-Match: detail, PATCH and approval answers carry `ETag`; a PATCH with an `If-Match` that is "
        "not the current ETag → 412 `precondition_failed`. Without `If-Match` the PATCH is applied.",
        default="etag",
        choices=(
            Choice(
                "no-etag",
                "No `ETag` is given and `If-Match` is ignored: the 412 comes from a mechanism the suites cannot "
                "provoke.",
            ),
        ),
        touches=(Touch("header", ("etag",), INVOICES),),
    ),
    Decision(
        "Invoice list",
        "§12.2, §19 #16",
        "`limit` defaults to 20 (1–100); `ottimate_company_id` is accepted and filters; `search` matches "
        "number, vendor, location, purchase order, upload reference and ids; unknown `status` → 400; "
        "`expand=items` needs `date_from` or `last_modified_date_from` and a window ≤ 30 days (else 400).",
    ),
    Decision(
        "Invoice scope",
        "§2.2",
        "Location-scoped users read and write the invoices of their locations only (403 elsewhere); an "
        "`ottimate_location_id` outside `ottimate_company_id` (when sent) → 400 `validation_error`.",
    ),
    Decision(
        "Upload file types and size",
        "§13",
        "Judged by content (magic bytes), not name: PDF, PNG, JPEG, TIFF; anything else → 400 "
        "`unsupported_file_type`. Files over 25 MB → 413 (uploads have their own body limit, not the 5 MB "
        "JSON limit).",
    ),
    Decision(
        "Upload records",
        "§13",
        "`reference_id` is the upload's `id` in `GET /invoices/uploads` (status always `processing`) and the "
        "invoice's `upload_id`; `search=<reference_id>` finds the invoice. Extraction takes "
        "`extraction_seconds` on the sandbox clock (default 30, control-plane config).",
    ),
    Decision(
        "Extraction",
        "§13, §18",
        "PDF text layers are read (layout in `sandbox/invoices/extraction.py`); images and PDFs without text "
        "are not OCR'd and become `needs-attention`. The vendor is matched by `erp_vendor_name` within the "
        "location's company. The due date is the one printed on the document.",
        default="as-printed",
        choices=(
            Choice(
                "due-from-net-terms",
                "The due date is computed from the matched vendor's `net_terms` where they are a number of days "
                "(`Net 30`, `n 45`, `Due on receipt`), as Ottimate's support site says (§18), not read off the "
                "document.",
            ),
        ),
        touches=(),  # a value, not a shape
    ),
    Decision(
        "Invoice import",
        "§12.5",
        "The array (1–100) and scope are checked on submit (400/403); each item is one batch task, whose "
        "failure (validation, unknown location, `upload_id` reused in the company) is its `message`. The task "
        "`result` is the invoice as in the list. `image_urls` must be HTTPS.",
        default="invoice",
        choices=(
            Choice(
                "ids-only",
                "A task's `result` names the invoice only: `{invoice_id, upload_id}` (no `id`, no invoice fields).",
            ),
        ),
        touches=(
            Touch(
                "field",
                ("result.id", "result.invoice_id", "result.invoice_number", "result.ottimate_vendor_name"),
                ("GET /batch/{id}/results",),
            ),
            Touch("type", ("result.invoice_id",), ("GET /batch/{id}/results",)),
        ),
    ),
    Decision(
        "Invoice images",
        "§12.9",
        "Files that fail (type by content, over 50 MB) go to `image_errors[]`; the others replace all images; "
        "when every file fails the old images are kept (still 200).",
    ),
    Decision(
        "Invoice dimensions",
        "§12.4, §12.5",
        "Header and line `dimensions` must be objects of strings (else 400) but are not checked against the "
        "company's dimensions; header dimensions are replaced, line dimensions merged (null removes one).",
    ),
    Decision(
        "Custom fields",
        "§12.4, §12.5",
        "The sandbox account has no custom-field spec: a non-empty `custom_fields` → 400.",
    ),
    Decision(
        "Receiver export",
        "§12.10",
        "Every vendor counts as item-validated; a line qualifies when it has a `sku` (stand-in for a catalog "
        "match; `ottimate_catalog_id` = `cte_<sku>`). Missing ids → 400; location outside the company → 400.",
        default="every-vendor-validated",
        choices=(
            Choice(
                "no-vendor-validated",
                "No vendor has item validation enabled (an Ottimate-side setting): the receiver export lists no "
                "invoice.",
            ),
        ),
        touches=(Touch("field", ("results", "receiver_lines"), ("GET /invoices/receiver-export",)),),
    ),
    Decision(
        "Create invoice (extension)",
        "§12",
        "`POST /invoices` (not in the Reference; for seeding) takes an import item without `upload_id` and "
        "answers 201 with the detail.",
        default="served",
        choices=(Choice("absent", "`POST /invoices` is not a route (404), as the Reference has none."),),
        touches=(Touch("status", ("404", "405"), ("POST /invoices",)),),
    ),
    Decision(
        "Approval actions (extension)",
        "§12.8",
        "Seeded policy: two approvers per location (`Test Approver - <location> 1/2`, @example.test). "
        "`POST /invoices/{id}/approvers` `{email, display_name?}` → 201 `{approver}` (manual, `policy` null); "
        "`DELETE /invoices/{id}/approvers/{approval_id}` → 204 (not once approved: 409); "
        "`POST /invoices/{id}/approve` `{approval_id}` or `{approver_id}` → 200 detail; "
        "`POST /invoices/{id}/force-approve` → 200 detail. All only while `pending-approval` (else 409).",
        default="served",
        choices=(
            Choice(
                "absent",
                "None of the four approval actions is a route (404): approving happens in Ottimate's dashboard.",
            ),
        ),
        touches=(Touch("status", ("404", "405"), APPROVAL_ACTIONS),),
    ),
    Decision(
        "Approval policy",
        "§12.1, §12.8",
        "Approval policies are configured per organisation in the dashboard; the sandbox's assigns two approvers "
        "per location to every complete invoice, which then waits in `pending-approval`.",
        default="two-approvers",
        choices=(
            Choice(
                "one-approver", "One approver per location: the first approval makes the invoice ready.", visible=False
            ),
            Choice(
                "none",
                "No approval policy: a complete invoice needs no approver and is `ready-for-export` as it is created.",
            ),
        ),
        touches=(
            Touch("word", ("status",), ("POST /invoices", "GET /invoices/{id}")),
            Touch("field", ("approvers.id", "approvers.approver"), ("GET /invoices/{id}/approvers",)),
        ),
    ),
    Decision(
        "Invoice detail cache",
        "§4, §12.3",
        "`GET /invoices/{id}` may be served from a cache up to 5 minutes old [R]; the sandbox always answers fresh.",
        default="fresh",
        choices=(
            Choice(
                "cached-5-minutes",
                "A detail read is served from a cache filled by the first read of that invoice, for 5 minutes of "
                "the sandbox clock (`Cache-Control: max-age=300`, `Age`): a read right after a write may show the "
                "invoice as it was. Lists and write answers are always fresh.",
            ),
        ),
        touches=(Touch("header", ("cache-control", "age"), ("GET /invoices/{id}",)),),
    ),
    Decision(
        "Extraction turnaround",
        "§13",
        "Extraction (the AI pipeline) takes `extraction_seconds` of the sandbox clock, 30 s by default.",
        default="minutes",
        choices=(
            Choice(
                "hours",
                "Human-in-the-loop extraction: a document becomes an invoice four hours after its upload.",
            ),
        ),
        touches=(),  # only the time it takes differs
    ),
    Decision(
        "Organisation shape",
        "§8",
        "One linked account with two companies and four locations (two per company).",
        default="two-companies",
        choices=(
            Choice(
                "one-company",
                "One company with one location (a single-site client); the scoped API users reach that company.",
            ),
        ),
        touches=(),  # what exists differs, not the shape of an answer
    ),
    Decision(
        "Other data",
        "§1",
        "The sandbox holds only what it seeds and what runs create.",
        default="sparse",
        choices=(
            Choice(
                "busy",
                "Other people's data is there too: each company starts with 150 more vendors, 60 more dimensions "
                "and 40 more invoices (numbered `OTHER-…`), so no list is short and nothing the run created is "
                "alone.",
            ),
        ),
        touches=(),
    ),
)

# §19 conflicts as the sandbox resolves them (listed in docs/sandbox.md next to DECISIONS).
CONFLICTS_RESOLVED: Final[tuple[tuple[str, str], ...]] = (
    ("#1 Token URL", "Both `{auth}/oauth/token` and `{api}/v1/oauth/token` are served."),
    ("#2 Token example", "`expires_in` configurable, default 3600; scope `accounts.can_access_dashboard`."),
    ("#3/#4 Bulk paths", "`/bulk` (Reference); `/bulk-create/` accepted as an alias."),
    ("#5 PO/receipt bulk paths", "`/bulk` (Reference); `/bulk-upsert/` accepted as an alias."),
    ("#6 Vendor bulk partial failure", "201 with `errors[]`."),
    ("#7/#8 Dimension fields", "[S] fields: `erp_type`, `ottimate_type` (`costtype`), `reference_id`, `code`."),
    ("#9 Vendor create required", "[S]: `ottimate_company_id`, `erp_vendor_name`, `erp_vendor_id`."),
    ("#10 Catalog entry identity", "[S] `item_name`/`size`; `description`/`pack_size` accepted with a warning."),
    ("#11 Catalog bulk", "Async: 202 and a batch."),
    ("#12 Catalog entry dimensions", "[S]: a list of `{TYPE: name, code?}` objects."),
    ("#13 PO status", "Response enum and list-filter enum both implemented, the filter mapped onto the statuses."),
    ("#17 Allowance `catalog_entry_id`", "An integer N (= `cte_N`) or the `cte_` string."),
    ("#18 Receipt PATCH `receipt_number`", "The same value is accepted; a change is 400."),
    ("#14 Invoice id type", "Both: UUID `id` and integer `invoice_id` on every invoice; paths accept either."),
    ("#15 Invoice status spellings", "Hyphenated (`ready-for-export`), in filters and responses."),
    ("#16 Invoices company filter", "`ottimate_company_id` accepted on `GET /invoices` and filters."),
    ("#19 Idempotency availability", "Enabled (this is a sandbox)."),
    ("#20 Header casing", "Header names are case-insensitive (`X-API-Key` = `X-Api-Key`)."),
)
