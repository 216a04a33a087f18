// Package packaging builds the Debian packages of QR Stand with nfpm
// (github.com/goreleaser/nfpm/v2, used as a library):
//
//	qrstand_<v>_{arm64,armhf}.deb        the stand daemon (Apache-2.0)
//	qrstand-voice-espeak_<v>_all.deb     the default voice pack (GPL-3.0-or-later)
//	qrstand-cloud_<v>_{amd64,arm64}.deb  the cloud
//
// The voice pack is its own package so the licences stay apart: the daemon
// depends on "qrstand-voice-espeak | qrstand-voice", and a recorded human
// pack can be packaged as another qrstand-voice provider. It is a module of
// its own so nfpm's dependencies stay out of the product's go.mod.
package packaging

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// Opts says where the inputs are and where the packages go.
type Opts struct {
	// Root is the repository root (firmware/dist, the voice pack, scripts).
	Root string
	// Bin holds the executables: Bin/linux_<arch>/qrstand and
	// Bin/linux_<arch>/qrstand-cloud, for the arches built.
	Bin string
	// Out is the folder the .deb files are written to.
	Out string
	// Version is the release, e.g. "v1.4.0" or git describe's output.
	Version string
	// MTime stamps every file (reproducible packages); default 2026-01-01.
	MTime time.Time
}

// Package is one built .deb.
type Package struct {
	Name, Arch, Path string
}

// StandArches and CloudArches are the Debian architectures built (and the
// Go build folders they come from).
var (
	StandArches = map[string]string{"arm64": "linux_arm64", "armhf": "linux_armhf"}
	CloudArches = map[string]string{"amd64": "linux_amd64", "arm64": "linux_arm64"}
)

const (
	maintainer = "QR Stand <dev@qrstand.example>"
	homepage   = "https://github.com/qrstand/qrstand"
	voicePack  = "firmware/internal/speech/packs/default"
)

// DebVersion turns a git version into a Debian one that sorts the same
// way: "v1.4.0" → "1.4.0"; a describe past a tag ("v1.4.0-3-gabc") →
// "1.4.0+3.gabc", after 1.4.0; one without a tag ("bcb823c-dirty") →
// "0.0.0~git.bcb823c.dirty", before any release.
func DebVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' {
		return "0.0.0~git." + strings.ReplaceAll(v, "-", ".")
	}
	core, rest, ok := strings.Cut(v, "-")
	if !ok {
		return core
	}
	return core + "+" + strings.ReplaceAll(rest, "-", ".")
}

// Build writes every package whose executables are present in o.Bin (the
// voice pack always) and returns them.
func Build(o Opts) ([]Package, error) {
	if o.Root == "" || o.Bin == "" || o.Out == "" || o.Version == "" {
		return nil, errors.New("packaging: Root, Bin, Out and Version are required")
	}
	if o.MTime.IsZero() {
		o.MTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	var out []Package
	add := func(info *nfpm.Info) error {
		p, err := write(o, info)
		if err != nil {
			return fmt.Errorf("packaging: %s %s: %w", info.Name, info.Arch, err)
		}
		out = append(out, p)
		return nil
	}
	voice, err := voiceInfo(o)
	if err != nil {
		return nil, err
	}
	if err := add(voice); err != nil {
		return nil, err
	}
	for _, arch := range []string{"arm64", "armhf"} {
		bin := filepath.Join(o.Bin, StandArches[arch], "qrstand")
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		if err := add(standInfo(o, arch, bin)); err != nil {
			return nil, err
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		bin := filepath.Join(o.Bin, CloudArches[arch], "qrstand-cloud")
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		if err := add(cloudInfo(o, arch, bin)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func write(o Opts, info *nfpm.Info) (Package, error) {
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return Package{}, err
	}
	pkgr, err := nfpm.Get("deb")
	if err != nil {
		return Package{}, err
	}
	path := filepath.Join(o.Out, pkgr.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return Package{}, err
	}
	if err := pkgr.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return Package{}, err
	}
	if err := f.Close(); err != nil {
		return Package{}, err
	}
	return Package{Name: info.Name, Arch: info.Arch, Path: path}, nil
}

func (o Opts) src(rel string) string { return filepath.Join(o.Root, filepath.FromSlash(rel)) }

func file(src, dst string, mode os.FileMode, mtime time.Time) *files.Content {
	return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode, MTime: mtime}}
}

func config(src, dst string, mode os.FileMode, mtime time.Time) *files.Content {
	c := file(src, dst, mode, mtime)
	c.Type = files.TypeConfigNoReplace // kept on upgrade, asked about if both changed
	return c
}

func base(o Opts, name, arch, licence, desc string) *nfpm.Info {
	return &nfpm.Info{
		Name: name, Arch: arch, Platform: "linux", Version: DebVersion(o.Version), VersionSchema: "none",
		Section: "misc", Priority: "optional", Maintainer: maintainer, Homepage: homepage,
		License: licence, Description: desc, MTime: o.MTime,
	}
}

func standInfo(o Opts, arch, bin string) *nfpm.Info {
	t := o.MTime
	info := base(o, "qrstand", arch, "Apache-2.0",
		"QR Stand daemon for a Raspberry Pi\n"+
			" Shows the store's payment QR on e-ink, announces every payment in\n"+
			" Mandarin and prints the receipt, exactly once, synced with the QR Stand\n"+
			" cloud over MQTT. Signed firmware updates with automatic rollback.")
	info.Depends = []string{"adduser", "alsa-utils", "qrstand-voice-espeak | qrstand-voice"}
	info.Recommends = []string{"systemd-timesyncd | time-daemon", "polkitd | policykit-1"}
	info.Contents = files.Contents{
		file(bin, "/usr/bin/qrstand", 0o755, t),
		file(o.src("firmware/dist/qrstand.service"), "/usr/lib/systemd/system/qrstand.service", 0o644, t),
		file(o.src("firmware/dist/60-qrstand.rules"), "/usr/lib/udev/rules.d/60-qrstand.rules", 0o644, t),
		file(o.src("firmware/dist/60-qrstand.polkit.rules"), "/usr/share/polkit-1/rules.d/60-qrstand.rules", 0o644, t),
		config(o.src("firmware/dist/qrstand.toml"), "/etc/qrstand/qrstand.toml", 0o640, t),
		config(o.src("firmware/dist/update-keys"), "/etc/qrstand/update-keys", 0o644, t),
		file(o.src("firmware/README.md"), "/usr/share/doc/qrstand/README.md", 0o644, t),
		file(o.src("firmware/docs/raspberry-pi.md"), "/usr/share/doc/qrstand/raspberry-pi.md", 0o644, t),
		file(o.src("firmware/packaging/copyright/qrstand"), "/usr/share/doc/qrstand/copyright", 0o644, t),
		{Destination: "/etc/qrstand", Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755, MTime: t}},
	}
	info.Scripts = nfpm.Scripts{
		PostInstall: o.src("firmware/packaging/scripts/stand-postinst.sh"),
		PreRemove:   o.src("firmware/packaging/scripts/stand-prerm.sh"),
		PostRemove:  o.src("firmware/packaging/scripts/stand-postrm.sh"),
	}
	return info
}

func cloudInfo(o Opts, arch, bin string) *nfpm.Info {
	t := o.MTime
	info := base(o, "qrstand-cloud", arch, "Apache-2.0",
		"QR Stand cloud\n"+
			" One-code pay for small shops: WeChat Pay partner mode, merchants,\n"+
			" stores and staff, the web console, and the MQTT link to the stands.")
	info.Depends = []string{"adduser"}
	info.Suggests = []string{"postgresql", "mosquitto"}
	info.Contents = files.Contents{
		file(bin, "/usr/bin/qrstand-cloud", 0o755, t),
		file(o.src("firmware/dist/qrstand-cloud.service"), "/usr/lib/systemd/system/qrstand-cloud.service", 0o644, t),
		config(o.src("firmware/dist/qrstand-cloud.env"), "/etc/qrstand-cloud/qrstand-cloud.env", 0o640, t),
		file(o.src("cloud/README.md"), "/usr/share/doc/qrstand-cloud/README.md", 0o644, t),
		file(o.src("firmware/packaging/copyright/qrstand"), "/usr/share/doc/qrstand-cloud/copyright", 0o644, t),
	}
	info.Scripts = nfpm.Scripts{
		PostInstall: o.src("firmware/packaging/scripts/cloud-postinst.sh"),
		PreRemove:   o.src("firmware/packaging/scripts/cloud-prerm.sh"),
		PostRemove:  o.src("firmware/packaging/scripts/cloud-postrm.sh"),
	}
	return info
}

func voiceInfo(o Opts) (*nfpm.Info, error) {
	t := o.MTime
	info := base(o, "qrstand-voice-espeak", "all", "GPL-3.0-or-later",
		"default Mandarin voice pack for the QR Stand daemon\n"+
			" 24 clips (digits, units, 微信收款, 支付宝收款, …) synthesised with eSpeak NG's\n"+
			" cmn-latn-pinyin voice. GPL-3.0-or-later, as eSpeak NG's data; packaged\n"+
			" apart from the Apache-2.0 daemon. A recorded pack may replace it.")
	info.Provides = []string{"qrstand-voice"}
	entries, err := os.ReadDir(o.src(voicePack))
	if err != nil {
		return nil, fmt.Errorf("packaging: voice pack: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".wav") || name == "manifest.json" || name == "README.md") {
			continue
		}
		info.Contents = append(info.Contents, file(o.src(voicePack+"/"+name), "/usr/share/qrstand/voices/default/"+name, 0o644, t))
	}
	info.Contents = append(info.Contents,
		file(o.src("firmware/packaging/copyright/qrstand-voice-espeak"), "/usr/share/doc/qrstand-voice-espeak/copyright", 0o644, t))
	return info, nil
}
