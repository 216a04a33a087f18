package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/firmware"
	"github.com/qrstand/qrstand/cloud/internal/server"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

const firmwareUsage = `usage: qrstand-cloud firmware COMMAND
  keygen -key FILE                       make a signing key pair (FILE, mode 0600) and print the public line for update-keys
  sign -key FILE -version V -arch A [-model M] -bin EXE -out BUNDLE
                                         sign an executable into a bundle (on a release machine, not the cloud)
  add BUNDLE... [config flags]           check bundles against -update-keys and keep them to serve
  rollout -version V (-percent N | -stands ID,ID) [-max-failures N] [config flags]
  pause ID [-reason TEXT] | resume ID    [config flags]
  status [config flags]                  bundles, rollouts and every stand's version as JSON`

// runFirmware is `qrstand-cloud firmware …`.
func runFirmware(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(firmwareUsage)
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "keygen":
		return firmwareKeygen(args, stdout)
	case "sign":
		return firmwareSign(args, stdout)
	case "add", "rollout", "pause", "resume", "status":
	default:
		return errors.New(firmwareUsage)
	}
	var cfg server.Config
	fs := flag.NewFlagSet("qrstand-cloud firmware "+sub, flag.ContinueOnError)
	load := bindConfig(fs, &cfg)
	version := fs.String("version", "", "rollout: the version to roll out")
	percent := fs.Int("percent", 0, "rollout: a wave of this percentage of the fleet")
	stands := fs.String("stands", "", "rollout: a wave of these stands (comma-separated ids)")
	maxFail := fs.Int("max-failures", 1, "rollout: pause the wave when this many stands fail")
	reason := fs.String("reason", "paused by an operator", "pause: why")
	// Positional arguments may come before or after the flags.
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := load(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fw, closeDB, err := server.OpenFirmware(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	out := json.NewEncoder(stdout)
	out.SetIndent("", "  ")
	switch sub {
	case "add":
		if len(pos) == 0 {
			return errors.New("firmware add: name one or more bundle files")
		}
		for _, p := range pos {
			b, err := fw.AddBundle(ctx, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s/%s\t%d bytes\n", b.SHA256, b.Version, b.Model, b.Arch, b.Size)
		}
		return nil
	case "rollout":
		var ids []string
		if *stands != "" {
			ids = strings.Split(*stands, ",")
		}
		r, err := fw.StartRollout(ctx, firmware.Spec{Version: *version, Percent: *percent, Stands: ids, MaxFailures: *maxFail})
		if err != nil {
			return err
		}
		return out.Encode(r)
	case "pause", "resume":
		if len(pos) != 1 {
			return fmt.Errorf("firmware %s: name one rollout id", sub)
		}
		if sub == "pause" {
			return fw.SetState(ctx, pos[0], firmware.RolloutPaused, *reason)
		}
		return fw.SetState(ctx, pos[0], firmware.RolloutActive, "")
	}
	st, err := fw.Status(ctx)
	if err != nil {
		return err
	}
	return out.Encode(st)
}

// firmwareKeygen writes a new private key (its base64 seed) to -key and
// prints the public key's update-keys line.
func firmwareKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("qrstand-cloud firmware keygen", flag.ContinueOnError)
	keyFile := fs.String("key", "", "file for the private key (created, mode 0600; never overwritten)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" {
		return errors.New("firmware keygen: -key FILE is required")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("firmware keygen: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(priv.Seed())); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, bundle.EncodePublicKey(pub))
	return nil
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a key written by firmware keygen", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func firmwareSign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("qrstand-cloud firmware sign", flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key from firmware keygen")
	version := fs.String("version", "", "the executable's version, e.g. v1.4.0 (as its -X main.version)")
	model := fs.String("model", "qrstand-pi", "device model")
	arch := fs.String("arch", "", "arm64, armv7 or armv6")
	bin := fs.String("bin", "", "the stand executable")
	outFile := fs.String("out", "", "the bundle to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" || *version == "" || *arch == "" || *bin == "" || *outFile == "" {
		return errors.New("firmware sign: -key, -version, -arch, -bin and -out are required")
	}
	key, err := readPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	payload, err := os.ReadFile(*bin)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := bundle.Write(&b, bundle.Manifest{Version: *version, Model: *model, Arch: *arch}, payload, key); err != nil {
		return err
	}
	if err := os.WriteFile(*outFile, b.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\t%d bytes\n", *outFile, b.Len())
	return nil
}
