// Package loadkit is the machinery qrstand-load and the fault suite share:
// a qrstand-cloud child process (or an external deployment reached over
// HTTP), virtual stands that run the real stand code with recording
// outputs, the real pay flow (pay page → WeChat Pay simulator → signed
// notify), and the per-order check that reads back what every stand
// journaled, said and printed.
//
// What a stand said and printed is appended to files in its folder as it
// happens (one write per announcement or receipt), so a stand hosted in a
// child process that is killed with SIGKILL leaves its record behind, as a
// real stand leaves its paper.
package loadkit
