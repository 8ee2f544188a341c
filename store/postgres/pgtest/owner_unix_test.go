//go:build unix

package pgtest

import (
	"os"
	"syscall"
)

func ownerUID(st os.FileInfo) int { return int(st.Sys().(*syscall.Stat_t).Uid) }
