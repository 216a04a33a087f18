// Command mkdeb builds QR Stand's Debian packages (`make deb`); see package
// packaging.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/qrstand/qrstand/firmware/packaging"
)

func main() {
	var o packaging.Opts
	flag.StringVar(&o.Root, "root", "../..", "repository root")
	flag.StringVar(&o.Bin, "bin", "", "folder with linux_<arch>/qrstand and linux_<arch>/qrstand-cloud")
	flag.StringVar(&o.Out, "out", "", "folder for the .deb files")
	flag.StringVar(&o.Version, "version", "", "release version, e.g. v1.4.0")
	flag.Parse()
	pkgs, err := packaging.Build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	for _, p := range pkgs {
		fmt.Println(p.Path)
	}
}
