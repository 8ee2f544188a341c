// Reads WARC files with warcio (an implementation independent of the one
// that wrote them) and prints one JSON line per record.
// Usage: node warcio-read.mjs FILE...
import fs from "node:fs";
import { WARCParser } from "warcio";

for (const file of process.argv.slice(2)) {
  const parser = new WARCParser(fs.createReadStream(file));
  for await (const record of parser) {
    const body = await record.contentText();
    console.log(JSON.stringify({
      type: record.warcType,
      uri: record.warcTargetURI || "",
      status: record.httpHeaders ? Number(record.httpHeaders.statusCode) : 0,
      payloadDigest: record.warcPayloadDigest || "",
      bodyLength: body.length,
    }));
  }
}
