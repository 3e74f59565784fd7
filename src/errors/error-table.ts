import type { ErrorCode } from "./confvault-error.ts";

/** What one error code means to each caller: the CLI's exit status, the HTTP status, a default hint. */
export interface ErrorClass {
  /**
   * 2: the request itself is wrong (the command line, an input file or value, a name that names
   * nothing or is taken); running it again fails the same way until it is changed.
   * 1: the request was valid but the operation failed in this home, environment or cluster.
   */
  exit: 1 | 2;
  http: number;
  /** Used when the error carries no hint of its own. */
  hint: string;
  /** One line for the README's table. */
  meaning: string;
}

/*
 * The one error table: the CLI (src/cli/main.ts), the HTTP layer (src/server/error-response.ts)
 * and the README's exit-code table (checked by test/cli/errors-and-output.test.ts) all read it.
 * A new ErrorCode does not compile until it has a row here.
 */
export const ERROR_TABLE = {
  BAD_USAGE: {
    exit: 2,
    http: 400,
    hint: "run `confvault <command> --help` for its arguments and options",
    meaning: "wrong command line: unknown command or option, missing argument, bad option value",
  },
  BAD_INPUT: {
    exit: 2,
    http: 400,
    hint: "check the file or value named in the message",
    meaning: "an input file is missing or unreadable, or a value is not valid",
  },
  XML_MALFORMED: {
    exit: 2,
    http: 400,
    hint: "fix the XML at the line:column in the message",
    meaning: "the config is not well-formed XML",
  },
  XML_ENTITY_LIMIT: {
    exit: 2,
    http: 400,
    hint: "remove the entity definitions that expand beyond the limit",
    meaning: "the config's entities expand beyond the limit",
  },
  XML_EXTERNAL_ENTITY: {
    exit: 2,
    http: 400,
    hint: "remove the external entity (SYSTEM/PUBLIC) declaration",
    meaning: "the config declares an external entity",
  },
  UNSUPPORTED_ENCODING: {
    exit: 2,
    http: 400,
    hint: "convert the file to UTF-8 with iconv first",
    meaning: "the config's encoding is not one confvault can splice byte for byte",
  },
  BAD_REF_NAME: {
    exit: 2,
    http: 400,
    hint: "use letters, digits, '.', '_', '-' and '/' in restore point names",
    meaning: "a restore point or ref name is not valid",
  },
  REF_NOT_FOUND: {
    exit: 2,
    http: 404,
    hint: "run `confvault log` for the restore points",
    meaning: "REF names no restore point, branch or commit (`show rp/nope`)",
  },
  REF_AMBIGUOUS: {
    exit: 2,
    http: 400,
    hint: "give more characters of the commit id, or the full restore point name",
    meaning: "REF matches more than one commit or restore point",
  },
  TAG_EXISTS: {
    exit: 2,
    http: 409,
    hint: "pick another --tag name, or leave --tag out for a generated one",
    meaning: "`--tag NAME` names a restore point that already exists",
  },
  NOT_FOUND: {
    exit: 1,
    http: 404,
    hint: "check the name in the message: `confvault log` lists restore points, `confvault remote list` remotes",
    meaning:
      "something the operation needs does not exist (a route, a remote, a restore point to go back to)",
  },
  HOME_NOT_FOUND: {
    exit: 1,
    http: 500,
    hint: "run `confvault init` first, or pass --home / CONFVAULT_HOME",
    meaning: "no confvault home at --home / CONFVAULT_HOME",
  },
  HOME_EXISTS: {
    exit: 2,
    http: 409,
    hint: "pick another --home",
    meaning: "the --home folder for a new home is already in use",
  },
  SETTINGS_INVALID: {
    exit: 2,
    http: 500,
    hint: "fix settings.json in the home (the message names the field)",
    meaning: "the home's settings.json does not match the schema",
  },
  LOCKED: {
    exit: 1,
    http: 409,
    hint: "another confvault process holds the home lock; retry when it has finished",
    meaning: "another change holds the home lock",
  },
  HOOK_FAILED: {
    exit: 1,
    http: 422,
    hint: "the hook's output is in the message and the log",
    meaning: "a pre-apply hook refused the change",
  },
  HEALTH_FAILED: {
    exit: 1,
    http: 422,
    hint: "the health hook failed; confvault rolled back to the previous restore point",
    meaning: "the health hook failed after the change (rolled back)",
  },
  NOTHING_TO_DO: {
    exit: 1,
    http: 200,
    hint: "nothing was changed; there is nothing to fix unless a change was expected",
    meaning: "the operation had nothing to do (no change to propose, no remote to push to)",
  },
  UNAUTHORIZED: {
    exit: 1,
    http: 401,
    hint: "send a bearer token from `confvault init` (tokens.json in the home)",
    meaning: "no or an unknown API token",
  },
  FORBIDDEN: {
    exit: 1,
    http: 403,
    hint: "use a token with the operator role",
    meaning: "the token's role may not do this",
  },
  BODY_TOO_LARGE: {
    exit: 2,
    http: 413,
    hint: "raise server.bodyLimit in settings.json, or send a smaller body",
    meaning: "the request body is over the server's limit",
  },
  CONFLICT: {
    exit: 1,
    http: 409,
    hint: "another change got there first; look at `confvault log` and retry",
    meaning: "the repository or a remote changed under the operation",
  },
  REPLAYED: {
    exit: 1,
    http: 409,
    hint: "send a fresh delivery id and timestamp",
    meaning: "a sync webhook delivery was already seen or is outside its time window",
  },
  KEY_MISSING: {
    exit: 1,
    http: 500,
    hint: "set CONFVAULT_ACTIVATION_KEY or pass --key-file",
    meaning: "no activation key",
  },
  WRONG_KEY: {
    exit: 1,
    http: 401,
    hint: "use the activation key this home was created with",
    meaning: "the activation key does not open this home's sealed bundles",
  },
  LIVE_WRITE_FAILED: {
    exit: 1,
    http: 500,
    hint: "check that the live folders are writable and have space; no restore point was made",
    meaning: "the live files could not be written",
  },
  SEAL_TAMPERED: {
    exit: 1,
    http: 422,
    hint: "restore from another restore point or a remote copy; run `confvault verify --all`",
    meaning: "a sealed bundle fails its integrity check",
  },
  SECRET_LEAK: {
    exit: 2,
    http: 400,
    hint: "mark the element as secret in the profile, or list it in settings leakGuard.allow",
    meaning: "the config holds key material outside a secret element",
  },
  CERT_KEY_MISMATCH: {
    exit: 2,
    http: 400,
    hint: "pass the private key that belongs to --cert",
    meaning: "the certificate and the private key do not belong together",
  },
  MANIFEST_MISMATCH: {
    exit: 1,
    http: 422,
    hint: "run `confvault verify --all`; restore from a remote copy if it fails",
    meaning: "a restore point's files do not match its manifest",
  },
  RELEASE_UNTRUSTED: {
    exit: 1,
    http: 422,
    hint: "check that the master's key is the one this slave joined with",
    meaning: "a release is not signed by a master key of the cluster",
  },
  FOREIGN_CLUSTER: {
    exit: 1,
    http: 403,
    hint: "join this node to the cluster first (`confvault cluster join`)",
    meaning: "the request comes from another cluster",
  },
  REMOTE_FAILED: {
    exit: 1,
    http: 500,
    hint: "check the remote's URL, token and network; `confvault remote list` shows the last error",
    meaning: "a remote could not be reached or refused the push or fetch",
  },
  REPORT_FAILED: {
    exit: 1,
    http: 502,
    hint: "check settings.reports.smtp (host, port, STARTTLS, caFile) and the credential file",
    meaning: "the report e-mail could not be delivered to the SMTP server",
  },
  REMOTE_DIVERGED: {
    exit: 1,
    http: 409,
    hint: "the remote has history this home lacks; inspect it before forcing anything",
    meaning: "a remote's history diverged from this home's",
  },
  SYNC_FAILED: {
    exit: 1,
    http: 500,
    hint: "`confvault sync status` shows which node failed and why",
    meaning: "cluster sync failed",
  },
  NOT_MASTER: {
    exit: 1,
    http: 403,
    hint: "run this on the cluster's master",
    meaning: "the operation runs on the master only",
  },
  VERIFY_FAILED: {
    exit: 1,
    http: 422,
    hint: "the report names each failed check",
    meaning: "`verify` found a problem",
  },
  GIT_FAILED: {
    exit: 1,
    http: 500,
    hint: "the git CLI's message is in the log; check that git is installed",
    meaning: "a git CLI operation failed",
  },
  INSECURE_TRANSPORT: {
    exit: 1,
    http: 500,
    hint: "use an https:// URL",
    meaning: "a URL would send secrets or tokens over plain HTTP",
  },
  TLS_UNTRUSTED: {
    exit: 1,
    http: 500,
    hint: "check the pinned TLS fingerprint of the peer",
    meaning: "the peer's TLS certificate is not the pinned one",
  },
  TLS_INVALID: {
    exit: 2,
    http: 500,
    hint: "pass a PEM certificate and its private key",
    meaning: "the TLS certificate or key given to `serve` is not valid",
  },
  PORT_IN_USE: {
    exit: 1,
    http: 500,
    hint: "stop the process on that port, or pass another --port (0 picks a free one)",
    meaning: "`serve`: the address and port are already in use",
  },
  INTERNAL: {
    exit: 1,
    http: 500,
    hint: "this is a bug or an environment problem; run with CONFVAULT_DEBUG=1 for the stack",
    meaning: "anything else (a bug, or an environment problem)",
  },
} as const satisfies Record<ErrorCode, ErrorClass>;

const ROWS: Record<string, ErrorClass> = ERROR_TABLE;

/** The row for a code; an unknown code (from a newer peer, say) reads as INTERNAL. */
export function errorClass(code: string): ErrorClass {
  return ROWS[code] ?? ERROR_TABLE.INTERNAL;
}

/** The README's exit-code table, generated from the table above (the test compares the two). */
export function errorTableMarkdown(): string {
  const lines = ["| code | exit | HTTP | meaning |", "|---|---|---|---|"];
  for (const [code, row] of Object.entries(ERROR_TABLE)) {
    lines.push(`| \`${code}\` | ${row.exit} | ${row.http} | ${row.meaning.replace(/\|/g, "\\|")} |`);
  }
  return lines.join("\n");
}
