import { execFile, execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bindOperations } from "../../src/api/operations.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { exitCodeFor } from "../../src/errors/status-map.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { checkForLeaks } from "../../src/seal/leak-guard.ts";
import { liftSecrets, restoreSecrets } from "../../src/seal/lift-secrets.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { configText, supportedEncodings } from "../../src/xml/decode-xml-bytes.ts";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { ROOT, TEST_KEY, tempDir, tempHome } from "../helpers/temp-home.ts";

/*
 * Every encoding the README lists, generated with iconv from UTF-8 text in the target script
 * (element names, attribute values, text, CDATA, comments, references), applied over the CLI
 * into a temp home and given back byte for byte by `show` and `restore`.
 */

interface Case {
  /** As written in the declaration. */
  label: string;
  /** iconv's name for it. */
  iconv: string;
  /** WHATWG name TextDecoder reports. */
  whatwg: string;
  /** Element names and text in the target script. */
  root: string;
  item: string;
  words: string;
  /** UTF-16 with a BOM (iconv's UTF-16LE/BE write none: the test prepends it). */
  bom?: Uint8Array;
}

const JA = { root: "設定", item: "項目", words: "東京のソ能表 ﾊﾝｶｸ カタカナ" }; // ソ 能 表: trail byte 0x5C in Shift_JIS
const CASES: Case[] = [
  { label: "Shift_JIS", iconv: "SHIFT_JIS", whatwg: "shift_jis", ...JA },
  { label: "EUC-JP", iconv: "EUC-JP", whatwg: "euc-jp", ...JA },
  {
    label: "EUC-KR",
    iconv: "EUC-KR",
    whatwg: "euc-kr",
    root: "설정",
    item: "항목",
    words: "서울 방화벽 규칙",
  },
  { label: "Big5", iconv: "BIG5", whatwg: "big5", root: "設定", item: "項目", words: "台北 許功蓋 防火牆" }, // 許 功 蓋: trail 0x5C
  { label: "GB2312", iconv: "GB2312", whatwg: "gbk", root: "设置", item: "条目", words: "北京 防火墙 规则" },
  { label: "GBK", iconv: "GBK", whatwg: "gbk", root: "设置", item: "條目", words: "北京 防火墙 規則 丂" },
  {
    label: "KOI8-R",
    iconv: "KOI8-R",
    whatwg: "koi8-r",
    root: "настройки",
    item: "правило",
    words: "Москва ёлка Щит",
  },
  {
    label: "windows-1250",
    iconv: "WINDOWS-1250",
    whatwg: "windows-1250",
    root: "nastavení",
    item: "pravidlo",
    words: "Žluťoučký kůň úpěl ďábelské ódy; Zażółć gęślą",
  },
  {
    label: "windows-1251",
    iconv: "WINDOWS-1251",
    whatwg: "windows-1251",
    root: "настройки",
    item: "правило",
    words: "Київ Ґанок ёж №5",
  },
  {
    label: "windows-1255",
    iconv: "WINDOWS-1255",
    whatwg: "windows-1255",
    root: "הגדרות",
    item: "כלל",
    words: "ירושלים חומת אש ₪",
  },
  {
    label: "ISO-8859-2",
    iconv: "ISO-8859-2",
    whatwg: "iso-8859-2",
    root: "ustawienia",
    item: "reguła",
    words: "Zażółć gęślą jaźń Ťřšť",
  },
  {
    label: "ISO-8859-5",
    iconv: "ISO-8859-5",
    whatwg: "iso-8859-5",
    root: "настройки",
    item: "правило",
    words: "Београд Ђурђевак Љубљана",
  },
  {
    label: "ISO-8859-7",
    iconv: "ISO-8859-7",
    whatwg: "iso-8859-7",
    root: "ρυθμίσεις",
    item: "κανόνας",
    words: "Αθήνα τείχος προστασίας",
  },
  {
    label: "ISO-8859-9",
    iconv: "ISO-8859-9",
    whatwg: "windows-1254",
    root: "ayarlar",
    item: "kural",
    words: "İstanbul ğüşıöç ĞÜŞİÖÇ",
  },
  {
    label: "IBM866",
    iconv: "IBM866",
    whatwg: "ibm866",
    root: "настройки",
    item: "правило",
    words: "Москва ёлка ░▒▓",
  },
  {
    label: "x-mac-cyrillic",
    iconv: "MAC-CYRILLIC",
    whatwg: "x-mac-cyrillic",
    root: "настройки",
    item: "правило",
    words: "Москва Щит юла",
  },
  {
    label: "TIS-620",
    iconv: "TIS-620",
    whatwg: "windows-874",
    root: "การตั้งค่า",
    item: "กฎ",
    words: "กรุงเทพ ไฟร์วอลล์",
  },
  {
    label: "windows-874",
    iconv: "CP874",
    whatwg: "windows-874",
    root: "การตั้งค่า",
    item: "กฎ",
    words: "กรุงเทพ ไฟร์วอลล์",
  },
  {
    label: "UTF-16",
    iconv: "UTF-16LE",
    whatwg: "utf-16le",
    root: "設定",
    item: "правило",
    words: "Grüße 東京 𝄞 emoji 😀",
    bom: Uint8Array.of(0xff, 0xfe),
  },
  {
    label: "UTF-16",
    iconv: "UTF-16BE",
    whatwg: "utf-16be",
    root: "설정",
    item: "κανόνας",
    words: "Grüße 서울 𝄞 emoji 😀",
    bom: Uint8Array.of(0xfe, 0xff),
  },
];

/** The document in UTF-8; `secret`: a <password> the generic profile lifts and seals. */
function document(c: Case, secret: boolean): string {
  const { root, item, words } = c;
  return (
    `<?xml version="1.0" encoding="${c.label}"?>\n` +
    `<!-- ${words}: ${c.label} -->\n` +
    `<${root} ${item}="${words}" plain='x'>\r\n` +
    `  <${item} id="1" note="${words} &amp; &#x41;&#65;">${words}</${item}>\n` +
    `  <${item} id="2"><![CDATA[${words} <raw> & ]]></${item}>\n` +
    (secret ? `  <password>${words} long secret value</password>\n` : "") +
    `  <text>${words} &lt;&gt; &quot;</text><?pi ${words}?>\n` +
    `  <empty/>\n` +
    `</${root}>\n<!-- ${words} -->`
  );
}

function iconv(to: string, text: string): Uint8Array {
  return new Uint8Array(
    execFileSync("iconv", ["-f", "UTF-8", "-t", to], { input: Buffer.from(text, "utf8") }),
  );
}

function encode(c: Case, secret: boolean): Uint8Array {
  const body = iconv(c.iconv, document(c, secret));
  return c.bom ? new Uint8Array([...c.bom, ...body]) : body;
}

const haveIconv = (() => {
  try {
    execFileSync("iconv", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!haveIconv) console.log("  iconv is not installed: the encoding round trips are skipped");

/** The CLI as a separate process, stdout as bytes. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "bin/confvault.js"), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NO_COLOR: "1", ...env },
        encoding: "buffer",
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr: stderr.toString() });
      },
    );
  });
}

test("every listed encoding decodes in this runtime, and each test case uses one of them", () => {
  const list = supportedEncodings();
  for (const c of CASES) assert.ok(list.includes(c.whatwg), c.whatwg);
  for (const name of [
    "utf-8",
    "shift_jis",
    "euc-jp",
    "euc-kr",
    "big5",
    "gbk",
    "gb18030",
    "koi8-r",
    "ibm866",
  ]) {
    assert.ok(list.includes(name), name);
  }
});

(haveIconv ? test : test.skip)(
  "each encoding's sections and elements are located at exact byte offsets",
  () => {
    for (const c of CASES) {
      for (const secret of [false, true]) {
        const bytes = encode(c, secret);
        const scan = scanXml(bytes, { patterns: ["//password", `//${c.item}`] });
        const dec = new TextDecoder(c.whatwg, { ignoreBOM: true });
        const at = (s: number, e: number) => dec.decode(bytes.subarray(s, e));
        assert.is(scan.rootName, c.root, c.iconv);
        assert.is(scan.bom, c.bom !== undefined, c.iconv);
        assert.is(scan.encoding, c.label.toLowerCase(), c.iconv);
        const items = scan.matches.filter((m) => m.name === c.item);
        assert.is(items.length, 2, c.iconv);
        assert.is(
          at(items[0].start, items[0].end),
          `<${c.item} id="1" note="${c.words} &amp; &#x41;&#65;">${c.words}</${c.item}>`,
          c.iconv,
        );
        assert.is(items[0].attributes.note, `${c.words} & AA`, c.iconv);
        assert.is(at(items[1].contentStart, items[1].contentEnd), `<![CDATA[${c.words} <raw> & ]]>`, c.iconv);
        if (secret) {
          const pw = scan.matches.find((m) => m.name === "password")!;
          assert.is(at(pw.contentStart, pw.contentEnd), `${c.words} long secret value`, c.iconv);
        }
        assert.is(
          scan.sections.map((s) => at(s.start, s.end).split(/[\s>]/)[0]).join(" "),
          secret ? `<${c.item} <${c.item} <password <text <empty/` : `<${c.item} <${c.item} <text <empty/`,
          c.iconv,
        );
      }
    }
  },
);

(haveIconv ? test : test.skip)(
  "every encoding is applied over the CLI and given back byte for byte by show and restore",
  async () => {
    const base = await tempDir("confvault-encodings-");
    const home = path.join(base, "home");
    const env = { CONFVAULT_ACTIVATION_KEY: TEST_KEY, HOME: base };
    const h = ["--home", home];
    try {
      const init = await cli(
        [...h, "init", "--profile", "generic", "--live-root", path.join(base, "live"), "--node", "n1"],
        env,
      );
      assert.is(init.code, 0, init.stderr);
      const applied: [string, Uint8Array][] = [];
      for (const [i, c] of CASES.entries()) {
        const bytes = encode(c, true);
        const file = path.join(base, `c${i}.xml`);
        await fsp.writeFile(file, bytes);
        const tag = `enc-${i}`;
        const r = await cli([...h, "apply", file, "-m", `${c.label} (${c.iconv})`, "--tag", tag], env);
        assert.is(r.code, 0, `${c.iconv}: ${r.stderr}`);
        const shown = await cli([...h, "show", `rp/${tag}`], env);
        assert.is(shown.code, 0, `${c.iconv}: ${shown.stderr}`);
        assert.equal(new Uint8Array(shown.stdout), bytes, `${c.iconv}: show`);
        applied.push([tag, bytes]);
        // The repository copy is a valid document in its own encoding, the secret replaced by a marker.
        const committed = new Uint8Array(
          execFileSync("git", [`--git-dir=${path.join(home, "repo.git")}`, "show", `rp/${tag}:config.xml`]),
        );
        const scan = scanXml(committed, { patterns: ["//password"] });
        const pw = scan.matches[0];
        const marker = new TextDecoder(c.whatwg).decode(committed.subarray(pw.contentStart, pw.contentEnd));
        assert.match(marker, /^confvault-secret:v1:[0-9a-f]{24}$/, c.iconv);
        assert.not.ok(new TextDecoder(c.whatwg).decode(committed).includes("long secret value"), c.iconv);
      }
      const live = path.join(base, "live/etc/appliance/config.xml");
      for (const [tag, bytes] of [applied[0], applied[9], applied[16], applied[19]]) {
        const r = await cli([...h, "restore", `rp/${tag}`, "-m", `back to ${tag}`], env);
        assert.is(r.code, 0, r.stderr);
        assert.equal(new Uint8Array(await fsp.readFile(live)), bytes, `restore rp/${tag}`);
      }
    } finally {
      await fsp.rm(base, { recursive: true, force: true });
    }
  },
);

test("UTF-16 secrets: the marker is spliced in as UTF-16 and restored byte for byte; the leak guard reads it", () => {
  for (const c of CASES.filter((x) => x.bom)) {
    const bytes = encode(c, true);
    const spans = scanXml(bytes, { patterns: ["//password"] }).matches;
    const lifted = liftSecrets(bytes, spans, new Uint8Array(32).fill(7));
    const scan = scanXml(lifted.bytes, { patterns: ["//password"] });
    const text = new TextDecoder(c.whatwg).decode(
      lifted.bytes.subarray(scan.matches[0].contentStart, scan.matches[0].contentEnd),
    );
    assert.is(text, Object.keys(lifted.secrets)[0], c.iconv);
    assert.equal(restoreSecrets(lifted.bytes, lifted.secrets), bytes, c.iconv);
    checkForLeaks({ "config.xml": lifted.bytes }, { secretSpans: { "config.xml": scan.matches } });
    // A config taken back from the repository keeps its markers as they are.
    assert.equal(
      liftSecrets(lifted.bytes, scan.matches, new Uint8Array(32).fill(7)).existingMarkers,
      [text],
      c.iconv,
    );
  }
});

(haveIconv ? test : test.skip)(
  "stored configs are shown as text in their own encoding (unified diffs, review reports)",
  () => {
    for (const c of CASES) {
      const bytes = encode(c, false);
      const text = configText(bytes, c.label.toLowerCase());
      assert.ok(text.includes(`<${c.root} ${c.item}="${c.words}"`), c.iconv);
    }
    // An encoding unknown here falls back to latin1, which never fails.
    assert.is(configText(Uint8Array.of(0x41, 0xe9), "x-unknown"), "A\u00e9");
  },
);

(haveIconv ? test : test.skip)(
  "every encoding is applied over HTTP and given back byte for byte",
  async () => {
    const h = await tempHome({ profile: "generic" });
    try {
      const app = createApp({
        ops: bindOperations(h.ctx),
        tokens: createTokenVerifier(await readTokenRecords(h.ctx.layout.tokens)),
        logger: { info() {}, warn() {}, error() {} },
        metrics: createMetrics(),
        version: "test",
      });
      const auth = { authorization: `Bearer ${h.tokens.find((t) => t.role === "operator")!.token}` };
      for (const [i, c] of CASES.entries()) {
        const bytes = encode(c, true);
        const res = await app.request(`/api/v1/apply?reason=${encodeURIComponent(c.iconv)}&tag=http-${i}`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/xml" },
          body: new Uint8Array(bytes),
        });
        assert.is(res.status, 201, `${c.iconv}: ${await res.clone().text()}`);
        const got = await app.request(`/api/v1/restore-points/rp/http-${i}/config.xml`, { headers: auth });
        assert.is(got.status, 200, c.iconv);
        assert.equal(new Uint8Array(await got.arrayBuffer()), bytes, `${c.iconv}: GET config.xml`);
        assert.equal(
          new Uint8Array(await fsp.readFile(h.ctx.live("config")!)),
          bytes,
          `${c.iconv}: live file`,
        );
      }
      const refused = await app.request("/api/v1/apply?reason=ebcdic", {
        method: "POST",
        headers: { ...auth, "content-type": "application/xml" },
        body: new TextEncoder().encode('<?xml version="1.0" encoding="EBCDIC-US"?><r/>'),
      });
      assert.is(refused.status, 400);
      assert.is((await refused.json()).error.code, "UNSUPPORTED_ENCODING");
    } finally {
      await h.cleanup();
    }
  },
);

test("an unknown or unusable encoding is UNSUPPORTED_ENCODING (exit 2) with the supported list", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  for (const label of ["EBCDIC-US", "ISO-2022-JP", "x-user-defined", "hz-gb-2312", "klingon"]) {
    try {
      scanXml(utf8(`<?xml version="1.0" encoding="${label}"?><r/>`));
      assert.unreachable(label);
    } catch (err) {
      assert.ok(isConfvaultError(err, "UNSUPPORTED_ENCODING"), `${label}: ${err}`);
      assert.match(err.message, `unsupported encoding "${label}"`);
      assert.match(err.hint, "shift_jis");
      assert.match(err.hint, "windows-1251");
      assert.ok((err.data.supported as string[]).includes("utf-16le"));
      assert.is(exitCodeFor(err.code), 2);
    }
  }
});

test("UTF-16 without a byte order mark, a BOM that contradicts the declaration, and bytes the encoding lacks are refused", () => {
  const le = (s: string) => new Uint8Array(new Uint16Array([...s].map((ch) => ch.charCodeAt(0))).buffer);
  const cases: [Uint8Array, string, RegExp][] = [
    [le('<?xml version="1.0"?><r/>'), "UNSUPPORTED_ENCODING", /without a byte order mark/],
    [
      Uint8Array.of(0xff, 0xfe, ...le('<?xml version="1.0" encoding="UTF-8"?><r/>')),
      "XML_MALFORMED",
      /declares encoding "UTF-8"/,
    ],
    [Uint8Array.of(0xff, 0xfe, ...le("<r/>"), 0x20), "XML_MALFORMED", /odd byte count/],
    [
      new TextEncoder().encode('<?xml version="1.0" encoding="UTF-16"?><r/>'),
      "XML_MALFORMED",
      /byte order mark/,
    ],
    // ISO-8859-7 has no 0xAE; Shift_JIS has no 0x81 0x20: the line, column and first byte are named.
    [
      Uint8Array.of(
        ...new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-7"?>\n<r>\n a'),
        0xae,
        ...new TextEncoder().encode("</r>"),
      ),
      "XML_MALFORMED",
      /^config\.xml:3:3: byte 0xae at byte offset 50 is not valid iso-8859-7/,
    ],
    [
      Uint8Array.of(
        ...new TextEncoder().encode('<?xml version="1.0" encoding="Shift_JIS"?>\n<r>'),
        0x81,
        0x20,
        ...new TextEncoder().encode("</r>"),
      ),
      "XML_MALFORMED",
      /^config\.xml:2:4: byte 0x81 at byte offset 46 is not valid shift_jis/,
    ],
  ];
  for (const [bytes, code, message] of cases) {
    try {
      scanXml(bytes);
      assert.unreachable(String(message));
    } catch (err) {
      assert.ok(isConfvaultError(err), String(err));
      assert.is(err.code, code, err.message);
      assert.match(err.message, message);
    }
  }
});

test.run();
