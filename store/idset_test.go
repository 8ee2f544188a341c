package store

import (
	"math/rand/v2"
	"testing"
)

// TestIDSetMatchesAMap: the table agrees with a map on random ids (SHA-like,
// uniform), on ids that collide in their low bits, and on id 0.
func TestIDSetMatchesAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s idSet
	t.Cleanup(s.free)
	ref := map[int64]bool{}
	check := func(id int64) {
		t.Helper()
		if s.has(id) != ref[id] {
			t.Fatalf("has(%d) = %v, want %v", id, s.has(id), ref[id])
		}
	}
	for i := range 200_000 {
		var id int64
		switch i % 4 {
		case 0, 1:
			id = r.Int64() // the usual case
		case 2:
			id = r.Int64N(64) << 40 // low bits all zero: one long probe run
		case 3:
			id = r.Int64N(1000) // small ids, including 0
		}
		check(id)
		s.add(id)
		ref[id] = true
		check(id)
		check(r.Int64())
	}
	if s.len() != len(ref) {
		t.Fatalf("len = %d, want %d", s.len(), len(ref))
	}
	for id := range ref {
		if !s.has(id) {
			t.Fatalf("lost %d", id)
		}
	}
}

// BenchmarkIDSet compares the table with map[int64]struct{}: the look-up
// that every discovered link costs, and the bytes an id.
func BenchmarkIDSet(b *testing.B) {
	const n = 1 << 20
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = r.Int64()
	}
	b.Run("idSet", func(b *testing.B) {
		var s idSet
		defer s.free()
		for _, id := range ids {
			s.add(id)
		}
		b.ResetTimer()
		hits := 0
		for i := range b.N {
			if s.has(ids[i&(n-1)]) {
				hits++
			}
		}
		if hits != b.N {
			b.Fatal("lost ids")
		}
		b.ReportMetric(float64(s.slotBytes())/n, "bytes/id")
	})
	b.Run("map", func(b *testing.B) {
		m := map[int64]struct{}{}
		for _, id := range ids {
			m[id] = struct{}{}
		}
		b.ResetTimer()
		hits := 0
		for i := range b.N {
			if _, ok := m[ids[i&(n-1)]]; ok {
				hits++
			}
		}
		if hits != b.N {
			b.Fatal("lost ids")
		}
	})
}

// The set grows a table at a time: while the largest of its tables doubles,
// the set holds that table twice, a small part of the whole, not the whole
// set twice as one table did (48 MB for 32 MB of slots at a million pages).
func TestIDSetGrowsOneTableAtATime(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var s idSet
	t.Cleanup(s.free)
	for range 500_000 {
		s.add(r.Int64())
	}
	largest := 0
	for i := range s.tables {
		largest = max(largest, 8*len(s.tables[i].slots))
	}
	if total := s.slotBytes(); largest*8 > total {
		t.Errorf("largest table %d bytes of %d: growing it would add more than an eighth of the set", largest, total)
	}
	if s.len() != 500_000 {
		t.Errorf("len = %d, want 500000", s.len())
	}
}
