//go:build !unix

package store

// allocSlots returns n zeroed slots from the heap.
func allocSlots(n int) (slots []uint64, mapped bool) { return make([]uint64, n), false }

// freeSlots leaves heap slots to the garbage collector.
func freeSlots([]uint64, bool) {}
