/**
 * The one error type confvault throws on purpose. Every error carries a stable `code`, a
 * message saying what was wrong, a `hint` saying how to fix it, and structured `data`.
 * The CLI (exit codes) and the HTTP layer (status codes) map codes in one place each.
 */
export type ErrorCode =
  | "BAD_USAGE"
  | "BAD_INPUT"
  | "XML_MALFORMED"
  | "XML_ENTITY_LIMIT"
  | "XML_EXTERNAL_ENTITY"
  | "UNSUPPORTED_ENCODING"
  | "BAD_REF_NAME"
  | "REF_NOT_FOUND"
  | "REF_AMBIGUOUS"
  | "TAG_EXISTS"
  | "NOT_FOUND"
  | "HOME_NOT_FOUND"
  | "HOME_EXISTS"
  | "SETTINGS_INVALID"
  | "LOCKED"
  | "HOOK_FAILED"
  | "HEALTH_FAILED"
  | "NOTHING_TO_DO"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "BODY_TOO_LARGE"
  | "CONFLICT"
  | "REPLAYED"
  | "KEY_MISSING"
  | "WRONG_KEY"
  | "LIVE_WRITE_FAILED"
  | "REPORT_FAILED"
  | "SEAL_TAMPERED"
  | "SECRET_LEAK"
  | "CERT_KEY_MISMATCH"
  | "MANIFEST_MISMATCH"
  | "RELEASE_UNTRUSTED"
  | "FOREIGN_CLUSTER"
  | "REMOTE_FAILED"
  | "REMOTE_DIVERGED"
  | "SYNC_FAILED"
  | "NOT_MASTER"
  | "VERIFY_FAILED"
  | "GIT_FAILED"
  | "INSECURE_TRANSPORT"
  | "TLS_UNTRUSTED"
  | "TLS_INVALID"
  | "PORT_IN_USE"
  | "INTERNAL";

export class ConfvaultError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly data: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    hint = "",
    data: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ConfvaultError";
    this.code = code;
    this.hint = hint;
    this.data = data;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; data?: Record<string, unknown> } {
    const out: { code: ErrorCode; message: string; hint: string; data?: Record<string, unknown> } = {
      code: this.code,
      message: this.message,
      hint: this.hint,
    };
    if (Object.keys(this.data).length > 0) out.data = this.data;
    return out;
  }
}

export function isConfvaultError(err: unknown, code?: ErrorCode): err is ConfvaultError {
  return err instanceof ConfvaultError && (code === undefined || err.code === code);
}

/** Tags an unexpected error with the operation that was running; keeps typed errors as they are. */
export function inOperation(operation: string, err: unknown): ConfvaultError {
  if (err instanceof ConfvaultError) {
    if (!("operation" in err.data)) (err.data as Record<string, unknown>).operation = operation;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConfvaultError(
    "INTERNAL",
    `${operation}: ${message}`,
    "This is a bug or an environment problem; the log has details.",
    { operation },
    err,
  );
}
