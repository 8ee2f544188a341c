// Reads WARC files with warcio (webrecorder's JavaScript implementation,
// independent of the Go one that wrote them), checks every record's
// WARC-Block-Digest and WARC-Payload-Digest against the bytes warcio read,
// and prints one JSON line per record. warcio.js has no digest check of its
// own (Python warcio's `warcio check`), so this is it: the block is what
// warcio reads with HTTP parsing off, the payload what follows the HTTP
// headers as warcio parses them.
//
// Usage: node warcio-read.mjs MODULES_DIR [--payloads] FILE...
// MODULES_DIR holds node_modules/warcio; --payloads adds each record's
// payload, base64, to its line.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [modDir, ...args] = process.argv.slice(2);
const withPayloads = args[0] === "--payloads";
const files = withPayloads ? args.slice(1) : args;

const require = createRequire(path.join(path.resolve(modDir), "package.json"));
const warcio = await import(pathToFileURL(require.resolve("warcio")).href);
const WARCParser = warcio.WARCParser ?? warcio.default.WARCParser;

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += alphabet[(value << (5 - bits)) & 31];
  }
  while (out.length % 8 !== 0) {
    out += "=";
  }
  return out;
}

// digestMatches says whether a WARC digest field ("sha1:BASE32",
// "sha256:hex", ...) is the digest of bytes: true, false, or null when
// the field is absent.
function digestMatches(field, bytes) {
  if (!field) {
    return null;
  }
  const i = field.indexOf(":");
  const algo = field.slice(0, i).toLowerCase().replace("-", "");
  const value = field.slice(i + 1);
  if (!["sha1", "sha256", "sha512", "md5"].includes(algo)) {
    throw new Error(`unknown digest algorithm in ${field}`);
  }
  const sum = crypto.createHash(algo).update(bytes).digest();
  return value.toUpperCase().replace(/=+$/, "") === base32(sum).replace(/=+$/, "") ||
    value.toLowerCase() === sum.toString("hex");
}

async function records(file, parseHttp) {
  const out = [];
  const parser = new WARCParser(fs.createReadStream(file), { parseHttp });
  for await (const record of parser) {
    out.push({ record, bytes: await record.readFully(false) });
  }
  return out;
}

for (const file of files) {
  const blocks = await records(file, false);
  const parsed = await records(file, true);
  if (blocks.length !== parsed.length) {
    throw new Error(`${file}: ${blocks.length} records without HTTP parsing, ${parsed.length} with`);
  }
  for (const [i, { record, bytes: payload }] of parsed.entries()) {
    const h = record.warcHeaders.headers;
    const line = {
      file: path.basename(file),
      type: record.warcType,
      uri: record.warcTargetURI || "",
      status: record.httpHeaders ? Number(record.httpHeaders.statusCode) || 0 : 0,
      recordID: h.get("WARC-Record-ID") || "",
      concurrentTo: h.get("WARC-Concurrent-To") || "",
      warcinfoID: h.get("WARC-Warcinfo-ID") || "",
      profile: h.get("WARC-Profile") || "",
      truncated: h.get("WARC-Truncated") || "",
      blockDigestOK: digestMatches(h.get("WARC-Block-Digest"), blocks[i].bytes),
      payloadDigest: h.get("WARC-Payload-Digest") || "",
      payloadDigestOK: digestMatches(h.get("WARC-Payload-Digest"), payload),
      payloadSHA1: "sha1:" + base32(crypto.createHash("sha1").update(payload).digest()),
      payloadLength: payload.length,
    };
    if (withPayloads) {
      line.payload = Buffer.from(payload).toString("base64");
    }
    console.log(JSON.stringify(line));
  }
}
