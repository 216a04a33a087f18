//go:build unix

package main

import "syscall"

// privateUmask makes every file the cloud creates readable by its own user
// only, including those whose modes third-party libraries choose (the
// broker's and the MQTT client's state); our own files are created 0600
// regardless.
func privateUmask() { syscall.Umask(0o077) }
