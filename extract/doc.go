// Package extract turns one fetched HTML page into facts: it decodes the body to
// UTF-8, parses it once with goquery, and runs every extractor (built-in page facts,
// links, user rules) on that one document. It also runs the user rules written for
// JSON responses (JSONPath) on a decoded JSON body, and reads sitemaps. It never
// touches the network or the store.
package extract
