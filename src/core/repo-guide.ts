/**
 * Two files every restore point carries beside the config, so the repository explains itself and
 * survives any clone: `.gitattributes` turns off line-ending conversion (a `core.autocrlf=true`
 * checkout would otherwise change config.xml and manifest.json and break their hashes), and a
 * README tells whoever finds the repository what it is and how to restore from it, with or
 * without confvault.
 */
export const GITATTRIBUTES_FILE = ".gitattributes";
export const README_FILE = "README.md";

const GITATTRIBUTES = `# Written by confvault: files are stored byte for byte; never convert line endings.
* -text
`;

function readme(facts: { profile: string; cluster: string }): string {
  return `# confvault configuration repository

This repository holds the configuration history of the **${facts.cluster}** cluster
(profile \`${facts.profile}\`), written by [confvault](https://www.npmjs.com/package/confvault).
Every commit on \`main\` is one restore point, tagged \`rp/...\`; history is never rewritten.

Each restore point (repository format 1) holds:

| file | what |
| --- | --- |
| \`config.xml\` | the appliance's config, secrets replaced by markers (\`confvault:secret:...\`) |
| \`secrets.sealed.age\` | the secrets, root certificate and private key: JSON sealed with [age](https://age-encryption.org) to the node's recipient(s) |
| \`manifest.json\` | format, cluster, sequence, source, SHA-256 of every file and of the applied config |
| \`keyring.sealed.age\` | after a key rotation: earlier identities, sealed to the current one |

Commits and tags are signed in git's SSH signature format; \`git verify-tag\` checks them with
the allowed-signers file that \`confvault keys allowed-signers\` prints.

## Restore with confvault

    CONFVAULT_ACTIVATION_KEY=... confvault --home /var/lib/confvault recover --from <this repository's URL> [--ref rp/...]
    confvault restore rp/<name> -m "why"        # on a running node

## Restore by hand (git + age)

The age identity is derived from the activation key (scrypt, then HKDF-SHA256; confvault's
README gives the exact recipe, a few lines of Python), or printed by
\`confvault keys identity > identity.txt\` on any node of the cluster (keep it offline):

    git clone <this repository> cfg && cd cfg && git checkout rp/<name>
    age --decrypt -i identity.txt secrets.sealed.age > bundle.json   # secrets, certificate, key
    # put each marker's value from bundle.json back into config.xml, or let confvault do it:
    confvault show rp/<name> --file config.xml > config.xml

Line endings are never converted (\`.gitattributes\`): the bytes here are the bytes that were applied.
`;
}

export function repoGuideFiles(facts: { profile: string; cluster: string }): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  return { [GITATTRIBUTES_FILE]: enc.encode(GITATTRIBUTES), [README_FILE]: enc.encode(readme(facts)) };
}
