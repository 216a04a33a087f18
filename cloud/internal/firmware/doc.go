// Package firmware is the cloud's side of signed firmware updates: it keeps
// bundles (package mqtt/bundle, verified with the fleet's public keys when
// added, so the cloud never offers what every stand would refuse), serves
// them over HTTP with Range support (stands resume cut downloads), and rolls
// a version out in waves.
//
// A wave is a percentage of the fleet (chosen by a hash of version and
// stand id, so a later, larger wave of the same version includes the
// earlier one) or an explicit list of stands. Each Tick sends the
// stand.command "update" to the wave's stands that run another version,
// using the bundle for each stand's model and architecture as it reported
// them in update.state; it pauses the wave when MaxFailures of its stands
// report rolled_back, rejected or failed, and marks it done when every
// stand of the wave runs the version. Stands' reports are kept per stand:
// Status lists the versions in the fleet (`qrstand-cloud firmware status`).
package firmware
