import type { ErrorCode } from "./confvault-error.ts";

/** CLI exit codes: 2 for bad usage or bad input, 1 for everything that failed otherwise. */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  switch (code) {
    case "BAD_USAGE":
    case "BAD_INPUT":
    case "XML_MALFORMED":
    case "XML_ENTITY_LIMIT":
    case "XML_EXTERNAL_ENTITY":
    case "UNSUPPORTED_ENCODING":
    case "BAD_REF_NAME":
    case "REF_AMBIGUOUS":
    case "SETTINGS_INVALID":
    case "CERT_KEY_MISMATCH":
    case "SECRET_LEAK":
    case "TLS_INVALID":
      return 2;
    default:
      return 1;
  }
}

/** HTTP status per error code: the single map the server uses. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "BAD_USAGE":
    case "BAD_INPUT":
    case "XML_MALFORMED":
    case "XML_ENTITY_LIMIT":
    case "XML_EXTERNAL_ENTITY":
    case "UNSUPPORTED_ENCODING":
    case "BAD_REF_NAME":
    case "REF_AMBIGUOUS":
    case "CERT_KEY_MISMATCH":
    case "SECRET_LEAK":
      return 400;
    case "UNAUTHORIZED":
    case "WRONG_KEY":
      return 401;
    case "FORBIDDEN":
    case "NOT_MASTER":
    case "FOREIGN_CLUSTER":
      return 403;
    case "NOT_FOUND":
    case "REF_NOT_FOUND":
      return 404;
    case "TAG_EXISTS":
    case "CONFLICT":
    case "REPLAYED":
    case "LOCKED":
    case "REMOTE_DIVERGED":
      return 409;
    case "BODY_TOO_LARGE":
      return 413;
    case "HOOK_FAILED":
    case "HEALTH_FAILED":
    case "MANIFEST_MISMATCH":
    case "RELEASE_UNTRUSTED":
    case "SEAL_TAMPERED":
    case "VERIFY_FAILED":
      return 422;
    case "NOTHING_TO_DO":
      return 200;
    default:
      return 500;
  }
}
