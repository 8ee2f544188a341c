package memo

import (
	"strconv"
	"sync"
	"testing"
)

// What is put is found again, and counted.
func TestMemoFindsWhatWasPut(t *testing.T) {
	m := New[int](1 << 10)
	for i := range 100 {
		m.Put("k"+strconv.Itoa(i), i)
	}
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		if v, ok := m.Get([]byte(k)); !ok || v != i {
			t.Errorf("Get(%q) = %d, %v; want %d, true", k, v, ok, i)
		}
	}
	if _, ok := m.Get([]byte("absent")); ok {
		t.Error("an absent key was found")
	}
	if hits, misses, held := m.Stats(); hits != 100 || misses != 1 || held != 100 {
		t.Errorf("Stats() = %d, %d, %d; want 100, 1, 100", hits, misses, held)
	}
}

// A full shard is emptied, not grown: the memo stays within its bound
// however many keys go through it, from many goroutines at once.
func TestMemoIsBounded(t *testing.T) {
	const entries = Shards * 8
	m := New[string](entries)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 {
				k := strconv.Itoa(g) + "/" + strconv.Itoa(i)
				m.Put(k, k)
				if v, ok := m.Get([]byte(k)); ok && v != k {
					t.Errorf("Get(%q) = %q", k, v)
				}
			}
		})
	}
	wg.Wait()
	if _, _, held := m.Stats(); held > entries || held == 0 {
		t.Errorf("the memo holds %d values, want 1 to %d", held, entries)
	}
}

func BenchmarkMemoHit(b *testing.B) {
	m := New[string](1 << 15)
	keys := make([][]byte, 1<<12)
	for i := range keys {
		k := "http://127.0.0.5/rust/std/collections/struct.HashMap" + strconv.Itoa(i) + ".html"
		keys[i] = []byte(k)
		m.Put(k, k)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Get(keys[i&(len(keys)-1)])
	}
}
