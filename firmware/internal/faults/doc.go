// Package faults is the fault matrix as a suite (make faults; a small
// version runs in make test): virtual stands (package loadkit: the real
// stand code) against a real cloud, payments through the real pay flow,
// and one fault at a time while they flow. Each row is judged per order
// from what every stand journaled, said and printed.
//
// The stand SIGKILL rows host the stands of one store in a child process
// (this package's test binary, started again with QRSTAND_FAULTS_HOST) that
// kills itself with SIGKILL at a crash point of the stand pipeline. That
// hook lives only in the test binary: no production build can reach it.
package faults
