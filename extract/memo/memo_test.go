package memo

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// What is put is found again, by a key given as bytes or as a string, and
// counted; an empty value is a value.
func TestMemoFindsWhatWasPut(t *testing.T) {
	m := New(1 << 16)
	for i := range 100 {
		m.Put("k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	m.Put("empty", "")
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		if v, ok := m.Get([]byte(k)); !ok || v != "v"+strconv.Itoa(i) {
			t.Errorf("Get(%q) = %q, %v; want %q, true", k, v, ok, "v"+strconv.Itoa(i))
		}
	}
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		if v, ok := m.GetString(k); !ok || v != "v"+strconv.Itoa(i) {
			t.Errorf("GetString(%q) = %q, %v; want %q, true", k, v, ok, "v"+strconv.Itoa(i))
		}
	}
	if _, ok := m.GetString("k1x"); ok {
		t.Error("GetString found an absent key")
	}
	if v, ok := m.Get([]byte("empty")); !ok || v != "" {
		t.Errorf(`Get("empty") = %q, %v; want "", true`, v, ok)
	}
	if _, ok := m.Get([]byte("absent")); ok {
		t.Error("an absent key was found")
	}
	if hits, misses, held := m.Stats(); hits != 201 || misses != 2 || held != 101 {
		t.Errorf("Stats() = %d, %d, %d; want 201, 2, 101", hits, misses, held)
	}
}

// A value put again under its key replaces the first; a value handed out
// stays as it was when its shard is emptied and its arena reused.
func TestMemoValuesAreCopies(t *testing.T) {
	m := New(Shards * 256)
	m.Put("k", "first")
	got, _ := m.Get([]byte("k"))
	m.Put("k", "second")
	if v, _ := m.Get([]byte("k")); v != "second" {
		t.Errorf("Get after a second Put = %q, want second", v)
	}
	for i := range 1000 { // fills and empties every shard many times over
		m.Put("x"+strconv.Itoa(i), strings.Repeat("y", 50))
	}
	if got != "first" {
		t.Errorf("a value handed out became %q", got)
	}
}

// A full shard is emptied, not grown: the memo stays within its bound
// however many keys go through it, from many goroutines at once; an entry
// larger than a shard is not kept.
func TestMemoIsBounded(t *testing.T) {
	const size = Shards * 1024
	m := New(size)
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
	for i := range m.shards {
		if s := &m.shards[i]; len(s.arena) > m.max || cap(s.arena) > m.max {
			t.Errorf("shard %d: arena of %d bytes (capacity %d), want at most %d", i, len(s.arena), cap(s.arena), m.max)
		}
	}
	if _, _, held := m.Stats(); held == 0 || held >= 20000 {
		t.Errorf("the memo holds %d of 20,000 values, want some and not all", held)
	}
	m.Put("huge", strings.Repeat("z", size))
	if _, ok := m.Get([]byte("huge")); ok {
		t.Error("an entry larger than a shard was kept")
	}
}

func BenchmarkMemoHit(b *testing.B) {
	m := New(8 << 20)
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
