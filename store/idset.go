package store

// idSet is the set of URL ids that belong to the current run, consulted for
// every discovered link. A Go map[int64]struct{} costs about 40 bytes an id
// (measured: 19 MB for 485k ids), which made the set the one part of the
// crawler's memory that grows with the crawl; this open-addressing table of
// bare uint64 slots costs 10 to 20 bytes an id and holds no pointers for the
// garbage collector to scan.
//
// Ids are prefixes of SHA-256 digests, so their low bits are already uniform
// and index the table directly. Slot value 0 means empty; the id 0 (possible,
// if unlikely) is kept in a flag of its own.
type idSet struct {
	slots   []uint64
	mapped  bool // slots live outside the Go heap (see allocSlots)
	n       int  // ids in slots (not counting zero)
	hasZero bool
}

// idSetMinSlots is the smallest table; it must be a power of two.
const idSetMinSlots = 1 << 10

func (s *idSet) has(id int64) bool {
	if id == 0 {
		return s.hasZero
	}
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := uint64(id) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case uint64(id):
			return true
		case 0:
			return false
		}
	}
}

func (s *idSet) add(id int64) {
	if id == 0 {
		s.hasZero = true
		return
	}
	// Grow at a load of 13/16: linear probing stays short (about 3 probes
	// for a miss) and the table is at least 40% full after growing.
	if (s.n+1)*16 > len(s.slots)*13 {
		s.grow()
	}
	if s.insert(uint64(id)) {
		s.n++
	}
}

// insert places v, reporting whether it was new.
func (s *idSet) insert(v uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := v & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v:
			return false
		case 0:
			s.slots[i] = v
			return true
		}
	}
}

func (s *idSet) grow() {
	old, oldMapped := s.slots, s.mapped
	s.slots, s.mapped = allocSlots(max(idSetMinSlots, 2*len(old)))
	for _, v := range old {
		if v != 0 {
			s.insert(v)
		}
	}
	freeSlots(old, oldMapped)
}

// free releases the table; the set is empty afterwards.
func (s *idSet) free() {
	if s == nil {
		return
	}
	freeSlots(s.slots, s.mapped)
	*s = idSet{}
}

func (s *idSet) len() int {
	if s.hasZero {
		return s.n + 1
	}
	return s.n
}
