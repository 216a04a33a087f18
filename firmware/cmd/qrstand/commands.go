package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/printer"
)

// cmdSay: qrstand say 12.50 [-o out.wav] [-channel wechat].
func cmdSay(ctx context.Context, o options, stdout io.Writer) error {
	if len(o.args) != 1 {
		return fmt.Errorf("usage: qrstand say AMOUNT [-o out.wav] [-channel wechat|alipay|none]")
	}
	ch, err := speech.ParseChannel(o.channel)
	if err != nil {
		return err
	}
	c := o.cfg
	pack, err := c.Speech.OpenPack()
	if err != nil {
		return err
	}
	said, err := speech.PrepareSay(o.args[0], ch, c.Speech.Two, pack, c.Speech.Volume)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, said.Utterance.Text)
	if o.out != "" {
		return os.WriteFile(o.out, said.WAV, 0o644)
	}
	return speech.APlay{Device: c.Speech.Device}.Play(ctx, said.WAV)
}

// cmdPrintTest prints the test page on the configured printer (in sim
// mode: into DIR/receipts).
func cmdPrintTest(ctx context.Context, o options, stdout io.Writer) error {
	c := o.cfg
	pr, err := openPrinter(c)
	if err != nil {
		return err
	}
	l := localState(ctx, c.DataDir)
	doc := printer.TestPage{Device: c.DeviceID, Firmware: version, PrintedAt: time.Now()}
	if l.Store != nil {
		doc.Store, doc.QRURL = l.Store.StoreName, l.Store.QRURL
	}
	job, err := printer.Encode(doc, profile(c))
	if err != nil {
		return err
	}
	if err := pr.Print(ctx, job); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test page printed (%d bytes, %s)\n", len(job), c.Hardware.Printer)
	return nil
}

// localState reads the journal if there is one (a fresh stand has none).
func localState(ctx context.Context, dataDir string) stand.Local {
	path := filepath.Join(dataDir, "journal.db")
	if _, err := os.Stat(path); err != nil {
		return stand.Local{}
	}
	j, err := journal.Open(path, nil)
	if err != nil {
		return stand.Local{}
	}
	defer j.Close()
	if ma := j.MovedAside(); ma != nil {
		// The daemon would have said it at its start; this command is first.
		fmt.Fprintf(os.Stderr, "qrstand: %s; a fresh journal was started, and the cloud resends what it delivered\n", ma)
	}
	l, _ := stand.ReadLocal(ctx, j, time.Now())
	return l
}

// cmdShow draws the stand's resting screen once: on the panel, or into a
// PNG with -o.
func cmdShow(ctx context.Context, o options, stdout io.Writer, log *slog.Logger) error {
	c := o.cfg
	l := localState(ctx, c.DataDir)
	scr := l.Screen(time.Now())
	if o.out != "" {
		frame, err := display.Compose(scr, display.Status{}, display.Options{Size: display.Size250x122})
		if err != nil {
			return err
		}
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		if err := display.WritePNG(f, frame, 1); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(stdout, "%T written to %s\n", scr, o.out)
		return f.Close()
	}
	panel, dcfg, closePanel, err := openPanel(c)
	if err != nil {
		return err
	}
	defer closePanel()
	dcfg.Log = log
	d, err := display.New(panel, dcfg)
	if err != nil {
		return err
	}
	frame, err := display.Compose(scr, display.Status{}, display.Options{Size: d.Size()})
	if err != nil {
		return err
	}
	if err := d.Show(frame); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%T shown on %s\n", scr, c.Hardware.Panel)
	return nil
}

// cmdStatus prints the stand's local state as JSON.
func cmdStatus(ctx context.Context, o options, stdout io.Writer) error {
	c := o.cfg
	l := localState(ctx, c.DataDir)
	out := struct {
		Device  string      `json:"device"`
		Version string      `json:"version"`
		Broker  string      `json:"broker"`
		DataDir string      `json:"data_dir"`
		Paired  bool        `json:"paired"`
		Local   stand.Local `json:"local"`
	}{c.DeviceID, version, c.Broker, c.DataDir, l.Store != nil && l.Store.Bound, l}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
