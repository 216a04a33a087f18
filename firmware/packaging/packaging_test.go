package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// deb is a .deb read back with nothing but Go's standard library: the ar
// archive, control.tar.gz and data.tar.gz.
type deb struct {
	control map[string]string // control fields
	ctrl    map[string]*entry // control.tar: maintainer scripts, conffiles
	data    map[string]*entry // data.tar, by absolute path
}

type entry struct {
	mode int64
	body []byte
	typ  byte
	link string
}

func readDeb(t *testing.T, path string) *deb {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("!<arch>\n")) {
		t.Fatalf("%s: not an ar archive", path)
	}
	members := map[string][]byte{}
	var order []string
	for r := raw[8:]; len(r) >= 60; {
		name := strings.TrimRight(strings.TrimSpace(string(r[:16])), "/")
		var size int
		fmt.Sscanf(strings.TrimSpace(string(r[48:58])), "%d", &size)
		r = r[60:]
		members[name] = r[:size]
		order = append(order, name)
		r = r[size+size%2:]
	}
	if got := strings.Join(order, " "); got != "debian-binary control.tar.gz data.tar.gz" {
		t.Fatalf("%s: ar members %q", path, got)
	}
	if string(members["debian-binary"]) != "2.0\n" {
		t.Fatalf("debian-binary %q", members["debian-binary"])
	}
	d := &deb{control: map[string]string{}, ctrl: map[string]*entry{}, data: untar(t, members["data.tar.gz"])}
	for k, v := range untar(t, members["control.tar.gz"]) {
		d.ctrl[strings.TrimPrefix(k, "/")] = v
	}
	c := d.ctrl["control"]
	if c == nil {
		t.Fatal("no control file")
	}
	sc := bufio.NewScanner(bytes.NewReader(c.body))
	last := ""
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			d.control[last] += "\n" + line
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		last = k
		d.control[k] = strings.TrimSpace(v)
	}
	return d
}

func untar(t *testing.T, gz []byte) map[string]*entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]*entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		name := "/" + strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		out[strings.TrimSuffix(name, "/")] = &entry{mode: h.Mode & 0o7777, body: b, typ: h.Typeflag, link: h.Linkname}
	}
}

func fakeBin(t *testing.T, dir, arch, name string) {
	t.Helper()
	p := filepath.Join(dir, arch, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+name+" "+arch+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestBuildDebs builds every package and reads each back: names and
// architectures, control fields, files with their modes, conffiles, the
// systemd units and the maintainer scripts.
func TestBuildDebs(t *testing.T) {
	bin, out := t.TempDir(), t.TempDir()
	for _, a := range []string{"linux_arm64", "linux_armhf"} {
		fakeBin(t, bin, a, "qrstand")
	}
	for _, a := range []string{"linux_amd64", "linux_arm64"} {
		fakeBin(t, bin, a, "qrstand-cloud")
	}
	pkgs, err := Build(Opts{Root: "../..", Bin: bin, Out: out, Version: "v1.4.0"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]*deb{}
	for _, p := range pkgs {
		names = append(names, filepath.Base(p.Path))
		byName[p.Name+"_"+p.Arch] = readDeb(t, p.Path)
	}
	sort.Strings(names)
	want := []string{
		"qrstand-cloud_1.4.0_amd64.deb", "qrstand-cloud_1.4.0_arm64.deb",
		"qrstand-voice-espeak_1.4.0_all.deb",
		"qrstand_1.4.0_arm64.deb", "qrstand_1.4.0_armhf.deb",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("packages %q, want %q", names, want)
	}

	t.Run("stand", func(t *testing.T) {
		for _, arch := range []string{"arm64", "armhf"} {
			d := byName["qrstand_"+arch]
			if d.control["Architecture"] != arch || d.control["Version"] != "1.4.0" || d.control["Package"] != "qrstand" {
				t.Errorf("control %v", d.control)
			}
			if !strings.Contains(d.control["Depends"], "qrstand-voice-espeak | qrstand-voice") || !strings.Contains(d.control["Depends"], "alsa-utils") {
				t.Errorf("Depends %q", d.control["Depends"])
			}
			exe := d.data["/usr/bin/qrstand"]
			if exe == nil || exe.mode != 0o755 || !bytes.Contains(exe.body, []byte("linux_"+arch)) {
				t.Fatalf("/usr/bin/qrstand: %+v", exe)
			}
			for path, mode := range map[string]int64{
				"/usr/lib/systemd/system/qrstand.service":      0o644,
				"/usr/lib/udev/rules.d/60-qrstand.rules":       0o644,
				"/usr/share/polkit-1/rules.d/60-qrstand.rules": 0o644,
				"/etc/qrstand/qrstand.toml":                    0o640,
				"/etc/qrstand/update-keys":                     0o644,
				"/usr/share/doc/qrstand/copyright":             0o644,
				"/usr/share/doc/qrstand/raspberry-pi.md":       0o644,
			} {
				if e := d.data[path]; e == nil || e.mode != mode {
					t.Errorf("%s: %+v, want mode %o", path, e, mode)
				}
			}
			// The voice is not in this package: its licence differs.
			for p := range d.data {
				if strings.Contains(p, "voices") || strings.HasSuffix(p, ".wav") {
					t.Errorf("stand package holds %s", p)
				}
			}
			conf := string(d.ctrl["conffiles"].body)
			if conf != "/etc/qrstand/qrstand.toml\n/etc/qrstand/update-keys\n" {
				t.Errorf("conffiles %q", conf)
			}
			unit := string(d.data["/usr/lib/systemd/system/qrstand.service"].body)
			for _, line := range []string{
				"Type=notify", "WatchdogSec=60", "Restart=always", "User=qrstand",
				"ExecStart=/usr/bin/qrstand -config /etc/qrstand/qrstand.toml",
				"SupplementaryGroups=gpio spi i2c lp audio dialout", "StateDirectory=qrstand",
				"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
				"CapabilityBoundingSet=", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
				"MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service",
			} {
				if !hasLine(unit, line) {
					t.Errorf("qrstand.service lacks %q", line)
				}
			}
			post := string(d.ctrl["postinst"].body)
			for _, s := range []string{"adduser --system --group", "for g in spi gpio i2c lp audio dialout", `adduser qrstand "$g"`, "systemctl enable qrstand.service", "udevadm control --reload-rules"} {
				if !strings.Contains(post, s) {
					t.Errorf("postinst lacks %q", s)
				}
			}
			if d.ctrl["postinst"].mode&0o111 == 0 || d.ctrl["prerm"] == nil || d.ctrl["postrm"] == nil {
				t.Errorf("maintainer scripts: postinst %+v prerm %v postrm %v", d.ctrl["postinst"].mode, d.ctrl["prerm"] != nil, d.ctrl["postrm"] != nil)
			}
			if !strings.Contains(string(d.ctrl["prerm"].body), `"$1" = remove`) {
				t.Error("prerm stops the daemon on upgrade too")
			}
			if !strings.Contains(string(d.ctrl["postrm"].body), "rm -rf /var/lib/qrstand") {
				t.Error("postrm purge keeps the data")
			}
		}
	})

	t.Run("voice", func(t *testing.T) {
		d := byName["qrstand-voice-espeak_all"]
		if d.control["License"] != "" && d.control["License"] != "GPL-3.0-or-later" {
			t.Errorf("License %q", d.control["License"])
		}
		if d.control["Provides"] != "qrstand-voice" || d.control["Architecture"] != "all" {
			t.Errorf("control %v", d.control)
		}
		src := "../../firmware/internal/speech/packs/default"
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			want, _ := os.ReadFile(filepath.Join(src, e.Name()))
			got := d.data["/usr/share/qrstand/voices/default/"+e.Name()]
			if got == nil || !bytes.Equal(got.body, want) {
				t.Errorf("voice pack file %s missing or different", e.Name())
			}
			n++
		}
		if n < 25 {
			t.Errorf("only %d pack files in the source tree", n)
		}
		cp := d.data["/usr/share/doc/qrstand-voice-espeak/copyright"]
		if cp == nil || !strings.Contains(string(cp.body), "License: GPL-3.0-or-later") {
			t.Error("voice copyright file missing or not GPL-3.0-or-later")
		}
	})

	t.Run("cloud", func(t *testing.T) {
		for _, arch := range []string{"amd64", "arm64"} {
			d := byName["qrstand-cloud_"+arch]
			if e := d.data["/usr/bin/qrstand-cloud"]; e == nil || e.mode != 0o755 {
				t.Fatalf("/usr/bin/qrstand-cloud: %+v", e)
			}
			if conf := string(d.ctrl["conffiles"].body); conf != "/etc/qrstand-cloud/qrstand-cloud.env\n" {
				t.Errorf("conffiles %q", conf)
			}
			unit := string(d.data["/usr/lib/systemd/system/qrstand-cloud.service"].body)
			for _, line := range []string{"User=qrstand-cloud", "Restart=on-failure", "EnvironmentFile=/etc/qrstand-cloud/qrstand-cloud.env", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateDevices=yes"} {
				if !hasLine(unit, line) {
					t.Errorf("qrstand-cloud.service lacks %q", line)
				}
			}
			if !strings.Contains(string(d.ctrl["postinst"].body), "adduser --system --group") {
				t.Error("cloud postinst makes no user")
			}
		}
	})

	// dpkg-deb, where present (Debian, CI), must accept every package too.
	if dpkg, err := exec.LookPath("dpkg-deb"); err == nil {
		for _, p := range pkgs {
			if out, err := exec.Command(dpkg, "--info", p.Path).CombinedOutput(); err != nil {
				t.Errorf("dpkg-deb --info %s: %v\n%s", p.Path, err, out)
			}
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("dpkg-deb missing under CI")
	}
}

func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

func TestDebVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.4.0": "1.4.0", "1.4.0-3-gabc": "1.4.0+3.gabc", "v1.4.0-dirty": "1.4.0+dirty", "bcb823c-dirty": "0.0.0~git.bcb823c.dirty", "dev": "0.0.0~git.dev",
	} {
		if got := DebVersion(in); got != want {
			t.Errorf("DebVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
