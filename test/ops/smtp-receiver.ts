// A real SMTP server process for the report test: STARTTLS with the certificate given, AUTH
// PLAIN/LOGIN against one user, every message written to OUT_DIR/<n>.eml. Prints "ready <port>".
import { promises as fsp } from "node:fs";
import path from "node:path";
import { SMTPServer } from "smtp-server";

const [outDir, certFile, keyFile, user, pass] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
let n = 0;
const server = new SMTPServer({
  secure: false,
  key: await fsp.readFile(keyFile),
  cert: await fsp.readFile(certFile),
  authMethods: ["PLAIN", "LOGIN"],
  // Refuse AUTH before STARTTLS (the default); a client that skips TLS cannot log in.
  allowInsecureAuth: false,
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
    return callback(new Error("535 authentication failed"));
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const file = path.join(outDir, `${++n}.eml`);
      const meta = {
        secure: session.secure,
        user: session.user,
        rcpt: session.envelope.rcptTo.map((r) => r.address),
      };
      void fsp
        .writeFile(`${file}.json`, JSON.stringify(meta))
        .then(() => fsp.writeFile(file, Buffer.concat(chunks)))
        .then(() => callback(), callback);
    });
  },
  logger: false,
});
server.listen(0, "127.0.0.1", () => {
  const address = server.server.address();
  process.stdout.write(`ready ${typeof address === "object" && address ? address.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
