package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/server"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// runStands is `qrstand-cloud stands add`: register new stands and write
// one provisioning file per stand, to be copied onto its SD card as
// /etc/qrstand/provision.json.
func runStands(args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`usage: qrstand-cloud stands add -n N -broker URL -out DIR [config flags]`)
	}
	var cfg server.Config
	fs := flag.NewFlagSet("qrstand-cloud stands add", flag.ContinueOnError)
	load := bindConfig(fs, &cfg)
	n := fs.Int("n", 1, "how many stands to register")
	broker := fs.String("broker", "", "the broker URL the stands dial, e.g. mqtts://mqtt.example.com:8883 (required)")
	brokerCA := fs.String("broker-ca", "", "PEM file of a private CA the stands pin for the broker's certificate (default: the system roots)")
	out := fs.String("out", "", "folder for the provisioning files, one <device id>.json each (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *broker == "" || *out == "" {
		return errors.New("stands add: -broker and -out are required")
	}
	if err := load(); err != nil {
		return err
	}
	useTLS, err := standclient.BrokerUsesTLS(*broker)
	if err != nil {
		return fmt.Errorf("stands add: %w", err)
	}
	var caPEM []byte
	if *brokerCA != "" {
		if !useTLS {
			return errors.New("stands add: -broker-ca needs a mqtts:// broker URL")
		}
		if caPEM, err = os.ReadFile(*brokerCA); err != nil {
			return fmt.Errorf("stands add: %w", err)
		}
		if _, err := standclient.TLSConfig(caPEM); err != nil {
			return fmt.Errorf("stands add: %s: %w", *brokerCA, err)
		}
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ps, err := server.ProvisionStands(ctx, cfg, *n, *broker)
	// Write what was registered even if a later one failed: those secrets
	// exist nowhere else.
	for _, p := range ps {
		p.BrokerCA = string(caPEM)
		b, _ := json.MarshalIndent(p, "", "  ")
		path := filepath.Join(*out, p.DeviceID+".json")
		if werr := os.WriteFile(path, append(b, '\n'), 0o600); werr != nil {
			return errors.Join(err, fmt.Errorf("stands add: write %s: %w", path, werr))
		}
		fmt.Printf("%s\t%s\n", p.DeviceID, path)
	}
	return err
}
