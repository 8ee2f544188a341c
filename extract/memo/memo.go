// Package memo owns a bounded, concurrent memo of string-keyed results: the
// crawl-wide caches that spare extractors work repeated from page to page
// (an href resolved from a directory: extract.HrefCache).
//
// What a memo holds lives as long as the crawl, and the garbage collector
// marks it on every cycle: a memo pays only where a hit saves more than
// that. A memo of canonicalised links, measured, did not.
//
// It is sharded so that the goroutines extracting pages rarely wait on each
// other, and bounded without bookkeeping: a shard that reaches its share of
// the entries is emptied, which costs a burst of misses, never memory. An
// LRU would keep more of the hot entries through a flush, at the price of a
// list update on every hit; on link-heavy crawls hits are most look-ups.
package memo

import (
	"hash/maphash"
	"sync"
)

// Memo maps string keys to values of type V. It is safe for concurrent use.
// The values it returns are shared: callers must not modify what they point
// to.
type Memo[V any] struct {
	seed   maphash.Seed
	max    int // entries a shard holds before it is emptied
	shards [Shards]shard[V]
}

// Shards is the number of shards of a memo: one of fewer entries holds one
// value a shard.
const Shards = 16

type shard[V any] struct {
	mu sync.Mutex
	m  map[string]V
	// hits and misses are counted under mu, which is held anyway: shared
	// atomic counters would be one contended cache line for every look-up.
	hits, misses int64
}

// New returns a memo of about entries values (at least one per shard).
func New[V any](entries int) *Memo[V] {
	c := &Memo[V]{seed: maphash.MakeSeed(), max: max(1, entries/Shards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]V)
	}
	return c
}

// Stats returns how many look-ups found a value, how many did not, and how
// many values the memo holds.
func (c *Memo[V]) Stats() (hits, misses int64, held int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		hits, misses, held = hits+s.hits, misses+s.misses, held+len(s.m)
		s.mu.Unlock()
	}
	return hits, misses, held
}

// Get returns the value stored under key, if any. Looking a []byte up does
// not copy it.
func (c *Memo[V]) Get(key []byte) (V, bool) {
	s := &c.shards[maphash.Bytes(c.seed, key)%Shards]
	s.mu.Lock()
	v, ok := s.m[string(key)] // no allocation: the conversion is only looked up
	if ok {
		s.hits++
	} else {
		s.misses++
	}
	s.mu.Unlock()
	return v, ok
}

// Put stores v under key, emptying key's shard first when it is full.
func (c *Memo[V]) Put(key string, v V) {
	s := &c.shards[maphash.String(c.seed, key)%Shards]
	s.mu.Lock()
	if len(s.m) >= c.max {
		clear(s.m)
	}
	s.m[key] = v
	s.mu.Unlock()
}
