import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeLayout } from "../home/layout.ts";
import { checkNewRemote, checkRemoteName, type Remote, readRemotes, writeRemotes } from "./remote-store.ts";
import { type S3Credentials, writeS3Credentials } from "./s3-adapter.ts";
import { parseS3Url, type S3RemoteSettings, s3RemoteSchema } from "./s3-settings.ts";

export interface AddS3RemoteInput {
  name: string;
  /** s3://bucket/prefix */
  url: string;
  settings: Partial<S3RemoteSettings>;
  /** Kept in `<home>/remotes/NAME.s3-credentials` (0600); absent: AWS_* variables at push time. */
  credentials?: S3Credentials;
  now: Date;
}

/** Registers an S3-compatible remote; credentials never go into remotes.json. */
export async function addS3RemoteTo(layout: HomeLayout, input: AddS3RemoteInput): Promise<Remote> {
  checkRemoteName(input.name, "bucket");
  parseS3Url(input.url);
  const parsed = s3RemoteSchema.safeParse(input.settings);
  if (!parsed.success) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `S3 settings: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`,
      "e.g. --endpoint https://s3.example.com --region us-east-1",
    );
  }
  if (parsed.data.endpoint && /^http:\/\//i.test(parsed.data.endpoint)) {
    const host = new URL(parsed.data.endpoint).hostname;
    if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
      throw new ConfvaultError(
        "INSECURE_TRANSPORT",
        `--endpoint ${parsed.data.endpoint} is plain http to another machine`,
        "use https:// (http is accepted for 127.0.0.1 and localhost only)",
      );
    }
  }
  const remotes = await readRemotes(layout.remotes);
  checkNewRemote(remotes, input.name);
  const remote: Remote = {
    name: input.name,
    url: input.url,
    transport: "auto",
    username: "x-access-token",
    s3: parsed.data,
    addedAt: input.now.toISOString(),
  };
  if (input.credentials) await writeS3Credentials(layout.remoteTokens, input.name, input.credentials);
  await writeRemotes(layout.remotes, [...remotes, remote]);
  return remote;
}
