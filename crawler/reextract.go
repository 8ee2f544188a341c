package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"

	"github.com/trawl-crawler/trawl/extract"
	"github.com/trawl-crawler/trawl/store/record"
)

// BodyStore is what re-extraction needs from the database.
type BodyStore interface {
	Bodies(ctx context.Context, runID int64, fn func(record.StoredBody) error) error
	ReplaceItems(ctx context.Context, sets []record.ItemSet) error
}

// ReextractResult counts what Reextract did.
type ReextractResult struct {
	Pages  int // stored bodies the rules ran on
	Items  int // items produced
	Misses int // pages that matched a rule but gave no complete item
	Failed int // bodies that could not be decompressed or parsed
}

// Reextract runs extraction rules again over the bodies kept with
// --store-body, without fetching anything, replacing the items those rules
// made from each body. only, when not empty, restricts it to one rule; runID
// 0 means the latest body of every URL in any run.
func Reextract(ctx context.Context, st BodyStore, specs []extract.RuleSpec, only string, runID int64) (ReextractResult, error) {
	var res ReextractResult
	rules, err := extract.CompileRules("rules", specs)
	if err != nil {
		return res, err
	}
	if only != "" {
		rules = slices.DeleteFunc(rules, func(r *extract.Rule) bool { return r.Name() != only })
		if len(rules) == 0 {
			return res, fmt.Errorf("no rule named %q in the config", only)
		}
	}
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Name()
	}
	const batch = 200
	var sets []record.ItemSet
	flush := func() error {
		if len(sets) == 0 {
			return nil
		}
		err := st.ReplaceItems(ctx, sets)
		sets = sets[:0]
		return err
	}
	err = st.Bodies(ctx, runID, func(b record.StoredBody) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, err := unpack(b)
		if err != nil {
			res.Failed++
			return nil
		}
		u, err := url.Parse(b.URL)
		if err != nil {
			res.Failed++
			return nil
		}
		var items []record.Item
		if extract.IsJSON(b.ContentType) {
			doc, err := extract.ParseJSON(raw, u)
			if err != nil {
				res.Failed++
				return nil
			}
			items = runJSONRules(rules, doc, b.URL)
		} else {
			doc, err := extract.Parse(raw, b.ContentType, u)
			if err != nil {
				res.Failed++
				return nil
			}
			items = runRules(rules, doc, b.URL)
		}
		for _, it := range items {
			if it.Miss != "" {
				res.Misses++
			} else {
				res.Items++
			}
		}
		res.Pages++
		sets = append(sets, record.ItemSet{FetchID: b.FetchID, URLID: b.URLID, RunID: b.RunID, Rules: names, Items: items})
		if len(sets) == batch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	return res, flush()
}

func unpack(b record.StoredBody) ([]byte, error) {
	switch b.Encoding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b.Body))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	case "", "identity":
		return b.Body, nil
	}
	return nil, fmt.Errorf("unknown body encoding %q", b.Encoding)
}
