// Package pahostore is a paho.Store (github.com/eclipse/paho.mqtt.golang)
// that survives a full or failing disk: every in-flight MQTT packet is kept
// in memory and mirrored to one file per packet in a directory, so a
// restart resumes what was in flight, and a write that fails is logged,
// kept in memory and written again once the disk takes it.
//
// paho's own FileStore panics on any file error (a full SD card takes the
// whole stand down with it), and its Store interface has no error returns.
// Here an error never escapes: the packet stays in memory, so the running
// client still sends and resends it; only a crash while the disk refuses
// writes can lose a packet the directory never got. That is safe for the
// QR Stand wire because nothing there depends on a stored packet alone:
// the cloud's outbox resends every event until the stand's ack arrives (a
// lost ack means one more delivery, acked as a duplicate), and a lost hello
// or status is sent again on the next connect. [Store.Err] reports whether
// the directory is behind memory, for logs and health.
//
// Packets are kept encoded, and Get decodes a fresh copy: paho never shares
// a packet object between the store and its network writer (paho's memory
// store does, which the race detector reports after a reconnect).
package pahostore
