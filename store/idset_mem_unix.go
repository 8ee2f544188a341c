//go:build unix

package store

import (
	"syscall"
	"unsafe"
)

// allocSlots returns n zeroed slots, outside the Go heap where it can (then
// mapped is true). The set is the one large structure that grows with the
// crawl; in the heap it would also grow the garbage collector's headroom
// (the heap goal is twice the live heap) and, while it doubles, keep the old
// table until the next collection. Anonymous memory costs only what it holds,
// is returned at once by freeSlots and holds no pointers, so the collector
// never needs to see it.
func allocSlots(n int) (slots []uint64, mapped bool) {
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), false // no address space to map: the heap will do
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n), true
}

// freeSlots releases slots from allocSlots.
func freeSlots(slots []uint64, mapped bool) {
	if !mapped || len(slots) == 0 {
		return
	}
	_ = syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(&slots[0])), len(slots)*8))
}
