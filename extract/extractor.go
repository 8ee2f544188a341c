package extract

// Extractor turns a parsed page into one kind of result. User rules are
// Extractors (Rule.Extractor) alongside the built-in Facts and Links.
//
// All extractors of a crawl run on the same *Doc: the page is decoded and
// parsed once by Parse, and each extractor only reads it, the way colly's
// OnHTML callbacks share one document. An Extractor must therefore not modify
// the Doc (its tree or its URLs), must not touch the network or the store,
// and must be safe for concurrent use, since fetch workers share one
// Extractor across pages.
type Extractor interface {
	// Name identifies the extractor's results in the store; it is stable
	// across runs of a crawl.
	Name() string
	// Extract returns what the extractor found on the page, or nil when
	// there is nothing. An error concerns this page only and does not stop
	// the other extractors.
	Extract(d *Doc) (any, error)
}
