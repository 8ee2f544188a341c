// Package memo owns a bounded, concurrent memo of string results by string
// key: the crawl-wide caches that spare extractors work repeated from page
// to page (an href resolved from a directory: extract.HrefCache; a link's
// canonical form and the crawler's decisions on it).
//
// What a memo holds lives as long as the crawl, and a garbage collector
// that had to mark it would do so on every cycle: on a crawl of real
// documentation, a map of 32,768 canonicalised links cost more collector
// time than its hits saved, and the href cache as a map of strings used
// about a CPU second more than it does as a memo. So a memo holds no
// pointers: each shard keeps its entries
// one after the other in a byte arena, and a map from the key's hash to the
// entry's offset; the collector scans neither. A look-up compares the key
// itself, so a collision of hashes is a miss, never a wrong answer, and
// returns a copy of the value.
//
// It is sharded so that the goroutines extracting pages rarely wait on each
// other, and bounded without bookkeeping: a shard whose arena is full is
// emptied, which costs a burst of misses, never memory.
package memo

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// Memo maps string keys to string values. It is safe for concurrent use.
type Memo struct {
	seed   maphash.Seed
	max    int // arena bytes a shard holds before it is emptied
	shards [Shards]shard
}

// Shards is the number of shards of a memo.
const Shards = 16

type shard struct {
	mu    sync.Mutex
	index map[uint64]uint32 // hash of the key -> offset of its entry in arena
	// arena holds entries: the key's length (uvarint), the key, the
	// value's length, the value. Get copies the value out, so nothing
	// refers into the arena and emptying it may reuse it.
	arena []byte
	// hits and misses are counted under mu, which is held anyway: shared
	// atomic counters would be one contended cache line for every look-up.
	hits, misses int64
}

// New returns a memo of about size bytes of keys and values (at least a
// few per shard); its index adds about 15 bytes an entry (a map of
// uint64 to uint32, seven-eighths full).
func New(size int) *Memo {
	c := &Memo{seed: maphash.MakeSeed(), max: max(256, size/Shards)}
	for i := range c.shards {
		c.shards[i].index = make(map[uint64]uint32)
	}
	return c
}

// Stats returns how many look-ups found a value, how many did not, and how
// many values the memo holds.
func (c *Memo) Stats() (hits, misses int64, held int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		hits, misses, held = hits+s.hits, misses+s.misses, held+len(s.index)
		s.mu.Unlock()
	}
	return hits, misses, held
}

func (c *Memo) shard(h uint64) *shard { return &c.shards[h%Shards] }

// Get returns the value stored under key, if any.
func (c *Memo) Get(key []byte) (string, bool) {
	return c.get(maphash.Bytes(c.seed, key), key, "")
}

// GetString is Get for a key held as a string, which it does not copy.
func (c *Memo) GetString(key string) (string, bool) {
	return c.get(maphash.String(c.seed, key), nil, key)
}

// get returns the value of the entry of hash h whose key is kb or, when kb
// is nil, ks.
func (c *Memo) get(h uint64, kb []byte, ks string) (string, bool) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if off, ok := s.index[h]; ok {
		e := s.arena[off:]
		n, w := binary.Uvarint(e)
		if k := e[w : w+int(n)]; kb != nil && bytes.Equal(k, kb) || kb == nil && string(k) == ks {
			e = e[w+int(n):]
			n, w = binary.Uvarint(e)
			s.hits++
			return string(e[w : w+int(n)]), true
		}
	}
	s.misses++
	return "", false
}

// Put stores v under key, emptying key's shard first when its arena is
// full. An entry larger than a whole shard is not stored.
func (c *Memo) Put(key, v string) {
	size := 2*binary.MaxVarintLen64 + len(key) + len(v)
	if size > c.max {
		return
	}
	h := maphash.String(c.seed, key)
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arena == nil {
		s.arena = make([]byte, 0, c.max)
	}
	if len(s.arena)+size > c.max {
		s.arena = s.arena[:0]
		clear(s.index)
	}
	s.index[h] = uint32(len(s.arena))
	s.arena = binary.AppendUvarint(s.arena, uint64(len(key)))
	s.arena = append(s.arena, key...)
	s.arena = binary.AppendUvarint(s.arena, uint64(len(v)))
	s.arena = append(s.arena, v...)
}
