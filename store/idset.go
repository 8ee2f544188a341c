package store

// idSet is the set of URL ids that belong to the current run, consulted for
// every discovered link. A Go map[int64]struct{} costs about 40 bytes an id
// (measured: 19 MB for 485k ids), which made the set the one part of the
// crawler's memory that grows with the crawl; this open-addressing table of
// bare uint64 slots costs 10 to 20 bytes an id and holds no pointers for the
// garbage collector to scan.
//
// Ids are prefixes of SHA-256 digests, so their bits are already uniform:
// the top ones choose one of idSetTables tables, the low ones index it
// directly. The tables grow one at a time, so that while one doubles the set
// holds its old and new copies only, not a second copy of the whole set (at
// a million pages the set is 32 MB, and one table doubling would hold 48).
type idSet struct {
	tables [idSetTables]idTable
}

// idSetTables is the number of tables; a power of two, 1<<idSetShift.
const (
	idSetShift  = 6
	idSetTables = 1 << idSetShift
)

func (s *idSet) table(id int64) *idTable { return &s.tables[uint64(id)>>(64-idSetShift)] }

func (s *idSet) has(id int64) bool { return s.table(id).has(id) }

func (s *idSet) add(id int64) { s.table(id).add(id) }

// free releases the tables; the set is empty afterwards.
func (s *idSet) free() {
	if s == nil {
		return
	}
	for i := range s.tables {
		s.tables[i].free()
	}
}

func (s *idSet) len() int {
	n := 0
	for i := range s.tables {
		n += s.tables[i].len()
	}
	return n
}

// slotBytes is the memory the set's slots take.
func (s *idSet) slotBytes() int {
	n := 0
	for i := range s.tables {
		n += 8 * len(s.tables[i].slots)
	}
	return n
}

// idTable is one open-addressing table of the set. Slot value 0 means
// empty; the id 0 (possible, if unlikely) is kept in a flag of its own.
type idTable struct {
	slots   []uint64
	mapped  bool // slots live outside the Go heap (see allocSlots)
	n       int  // ids in slots (not counting zero)
	hasZero bool
}

// idSetMinSlots is the smallest table; it must be a power of two.
const idSetMinSlots = 1 << 10

func (s *idTable) has(id int64) bool {
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

func (s *idTable) add(id int64) {
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
func (s *idTable) insert(v uint64) bool {
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

func (s *idTable) grow() {
	old, oldMapped := s.slots, s.mapped
	s.slots, s.mapped = allocSlots(max(idSetMinSlots, 2*len(old)))
	for _, v := range old {
		if v != 0 {
			s.insert(v)
		}
	}
	freeSlots(old, oldMapped)
}

// free releases the table; it is empty afterwards.
func (s *idTable) free() {
	freeSlots(s.slots, s.mapped)
	*s = idTable{}
}

func (s *idTable) len() int {
	if s.hasZero {
		return s.n + 1
	}
	return s.n
}
