//go:build unix

package journal

import "syscall"

func umask(m int) int { return syscall.Umask(m) }
