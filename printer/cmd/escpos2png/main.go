// Command escpos2png draws an ESC/POS byte stream as the receipt a thermal
// printer would print:
//
//	go run ./printer/cmd/escpos2png [-paper 58|80] IN.bin OUT.png
//
// Byte sequences the decoder does not know are listed on stderr (and
// skipped, as a printer would); -strict makes them an error. -dump lists
// every decoded command.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/qrstand/qrstand/printer/escpos"
	"github.com/qrstand/qrstand/printer/render"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "escpos2png:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("escpos2png", flag.ContinueOnError)
	paper := fl.Int("paper", 58, "paper width in mm: 58 (384 dots) or 80 (576 dots)")
	strict := fl.Bool("strict", false, "fail when the stream has byte sequences the decoder does not know")
	dump := fl.Bool("dump", false, "print every decoded command to stdout")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: escpos2png [-paper 58|80] [-strict] [-dump] IN.bin OUT.png")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		fl.Usage()
		return fmt.Errorf("want IN.bin and OUT.png, got %d arguments", fl.NArg())
	}
	dots := map[int]int{58: 384, 80: 576}[*paper]
	if dots == 0 {
		return fmt.Errorf("-paper %d: want 58 or 80", *paper)
	}
	in, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		return err
	}
	if *dump {
		for _, c := range escpos.Decode(in) {
			fmt.Println(c)
		}
	}
	var out bytes.Buffer
	unknown, err := render.WritePNG(&out, in, render.Options{Dots: dots})
	if err != nil {
		return err
	}
	for _, u := range unknown {
		fmt.Fprintln(os.Stderr, "escpos2png: skipped", u)
	}
	if *strict && len(unknown) > 0 {
		return fmt.Errorf("%d unknown byte sequences", len(unknown))
	}
	return os.WriteFile(fl.Arg(1), out.Bytes(), 0o644)
}
