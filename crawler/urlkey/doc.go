// Package urlkey canonicalises URLs so that the frontier fetches each resource once,
// and decides which URLs are in a crawl's scope.
//
// Three pieces, each usable alone:
//
//   - [Canon] turns a raw absolute URL into its canonical form, the key the store
//     deduplicates on. It runs on every discovered link, so it is written as one pass
//     over the string into a stack buffer, with no regular expressions.
//   - [HostKey] names the unit of politeness (scheme, host and explicit port), and
//     [RegistrableDomain] the unit a "domain" scope is drawn around.
//   - [Scope] decides whether a canonical URL belongs to the crawl.
//
// Nothing here touches the network, and every exported function and method is safe
// for concurrent use.
package urlkey
