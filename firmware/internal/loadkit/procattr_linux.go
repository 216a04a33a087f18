package loadkit

import "syscall"

// childAttr makes the kernel end the cloud if the load tool dies first,
// so a killed run leaves no cloud behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
