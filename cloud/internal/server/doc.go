// Package server wires the cloud service together: configuration, storage
// and migrations, the embedded MQTT broker (package mqtt/broker) with the
// stand registry as its authentication lookup, the pages, the sandbox
// WeChat OAuth simulator, health and Prometheus metrics, and a bounded
// graceful shutdown. cmd/qrstand-cloud maps flags and environment onto
// Config and calls Run.
package server
