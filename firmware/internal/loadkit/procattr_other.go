//go:build !linux

package loadkit

import "syscall"

func childAttr() *syscall.SysProcAttr { return nil }
