// Package config is the qrstand daemon's configuration: a TOML file
// (github.com/BurntSushi/toml) with documented defaults and Validate, onto
// which cmd/qrstand maps its flags. See firmware/README.md, "Config
// reference", for an annotated example.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// Config is the whole daemon configuration.
type Config struct {
	// DeviceID and Secret are the stand's credentials (from provisioning).
	// Prefer SecretFile or the QRSTAND_SECRET environment variable to a
	// secret in this file.
	DeviceID   string `toml:"device_id"`
	Secret     string `toml:"secret"`
	SecretFile string `toml:"secret_file"`
	// Provision is a JSON file {"device_id", "secret", "broker",
	// "broker_ca"} written at provisioning (or by the cloud's dev mode); its
	// fields fill the empty ones above and below.
	Provision string `toml:"provision"`
	// Broker is the MQTT broker URL: mqtts://host:8883 (TLS) for a broker
	// on another machine, tcp://host:port (plain) only for one on this
	// machine unless AllowPlainBroker. Default tcp://127.0.0.1:1883.
	Broker string `toml:"broker"`
	// BrokerCAFile is a PEM file with the CA certificate(s) the broker's
	// TLS certificate must chain to (a pinned, private CA). Empty: the
	// provisioning file's broker_ca, else the system roots.
	BrokerCAFile string `toml:"broker_ca_file"`
	// BrokerCA is the pinned CA as PEM text, from the provisioning file's
	// broker_ca or read from BrokerCAFile by ResolveSecrets.
	BrokerCA string `toml:"-"`
	// AllowPlainBroker permits a tcp:// broker on another machine (a
	// trusted LAN): the secret and every payment then cross it in clear.
	AllowPlainBroker bool `toml:"allow_plain_broker"`
	// DataDir keeps the journal and the MQTT store. Default /var/lib/qrstand.
	DataDir string `toml:"data_dir"`
	// KeepAlive on mains and on battery. Defaults 60 s and 4 min: on
	// battery a PINGREQ wakes the radio, and 4 min stays under the few
	// minutes after which many mobile networks' NATs drop an idle TCP
	// connection (firmware/README.md, "Idle wakeups").
	KeepAlive        Duration `toml:"keepalive"`
	BatteryKeepAlive Duration `toml:"battery_keepalive"`
	// StatusEvery is the periodic status interval. Default 10 min.
	StatusEvery Duration `toml:"status_every"`
	// ClockWait bounds the wait for a sane clock at boot. Default 5 min.
	ClockWait Duration `toml:"clock_wait"`
	// ShutdownTimeout bounds a graceful stop. Default 10 s.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// Lang of the screen: "zh-CN" (default) or "en".
	Lang string `toml:"lang"`

	Hardware Hardware      `toml:"hardware"`
	Speech   speech.Config `toml:"speech"`
	Sim      Sim           `toml:"sim"`
}

// Hardware is the stand's hardware profile.
type Hardware struct {
	// Profile names the build, reported in hello. Default "pi-2in13-58mm".
	Profile string `toml:"profile"`
	// Panel: "waveshare2in13v2" (default), "inky-what", "sim" or "none".
	Panel string `toml:"panel"`
	// Rotation of the frame in degrees clockwise: 0, 90 (default for the
	// Waveshare, which is portrait natively), 180, 270.
	Rotation int `toml:"rotation"`
	// SPIPort is the periph SPI port name. Default "" (the first one).
	SPIPort string `toml:"spi_port"`
	// Printer: "usb" (usblp device, default), "serial", "tcp", "sim" or
	// "none".
	Printer string `toml:"printer"`
	// PrinterDevice for usb (default /dev/usb/lp0) or serial (e.g.
	// /dev/serial0).
	PrinterDevice string `toml:"printer_device"`
	// PrinterBaud for serial. Default 9600.
	PrinterBaud int `toml:"printer_baud"`
	// PrinterSkipStatus prints without asking the printer for its status
	// (DLE EOT) first: for printers with no back channel. Default false.
	PrinterSkipStatus bool `toml:"printer_skip_status"`
	// PrinterAddr for tcp, host:9100.
	PrinterAddr string `toml:"printer_addr"`
	// PrinterProfile: "58mm" (default) or "80mm".
	PrinterProfile string  `toml:"printer_profile"`
	Buttons        Buttons `toml:"buttons"`
	Battery        Battery `toml:"battery"`
}

// Buttons are GPIO pin names (periph gpioreg names, e.g. "GPIO5"); an
// empty name means no such button. Buttons pull up and close to ground.
type Buttons struct {
	Repeat   string   `toml:"repeat"`   // default GPIO5
	Reprint  string   `toml:"reprint"`  // default GPIO6
	Today    string   `toml:"today"`    // default GPIO13
	Volume   string   `toml:"volume"`   // default GPIO19
	Debounce Duration `toml:"debounce"` // default 30 ms
}

// Battery configures the battery monitor.
type Battery struct {
	// Monitor: "ina219" or "none" (default: a mains stand).
	Monitor string `toml:"monitor"`
	// I2CBus is the periph I²C bus name. Default "" (the first one).
	I2CBus string `toml:"i2c_bus"`
	// Address of the INA219. Default 0x40.
	Address int `toml:"address"`
	// ShuntMilliOhm is the sense resistor. Default 100 (0.1 Ω).
	ShuntMilliOhm int `toml:"shunt_milliohm"`
	// LowPercent shows the banner; CriticalPercent shuts down safely.
	// Defaults 20 and 5.
	LowPercent      int `toml:"low_percent"`
	CriticalPercent int `toml:"critical_percent"`
	// Every is the reading interval. Default 60 s.
	Every Duration `toml:"every"`
}

// Sim configures -sim mode.
type Sim struct {
	// Dir receives frames, receipts and announcements.
	Dir string `toml:"dir"`
	// HTTP is the address of the local page. Default 127.0.0.1:8090;
	// "off" disables it.
	HTTP string `toml:"http"`
	// Play also plays announcements through aplay. Default false.
	Play bool `toml:"play"`
}

// Duration is a time.Duration written as "90s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Broker:           "tcp://127.0.0.1:1883",
		DataDir:          "/var/lib/qrstand",
		KeepAlive:        Duration{60 * time.Second},
		BatteryKeepAlive: Duration{4 * time.Minute},
		StatusEvery:      Duration{10 * time.Minute},
		ClockWait:        Duration{5 * time.Minute},
		ShutdownTimeout:  Duration{10 * time.Second},
		Lang:             "zh-CN",
		Hardware: Hardware{
			Profile: "pi-2in13-58mm", Panel: "waveshare2in13v2", Rotation: 90,
			Printer: "usb", PrinterDevice: "/dev/usb/lp0", PrinterBaud: 9600, PrinterProfile: "58mm",
			Buttons: Buttons{Repeat: "GPIO5", Reprint: "GPIO6", Today: "GPIO13", Volume: "GPIO19", Debounce: Duration{30 * time.Millisecond}},
			Battery: Battery{Monitor: "none", Address: 0x40, ShuntMilliOhm: 100, LowPercent: 20, CriticalPercent: 5, Every: Duration{60 * time.Second}},
		},
		Speech: speech.DefaultConfig(),
		Sim:    Sim{HTTP: "127.0.0.1:8090"},
	}
}

// Load reads a TOML file over the defaults. Unknown keys are an error, so
// a typo does not silently leave a default in place.
func Load(path string) (Config, error) {
	c := Default()
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return c, fmt.Errorf("config: %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return c, fmt.Errorf("config: %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	return c, nil
}

// Parse reads TOML text over the defaults (for tests and fuzzing).
func Parse(text string) (Config, error) {
	c := Default()
	md, err := toml.Decode(text, &c)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return c, fmt.Errorf("config: unknown key %s", un[0])
	}
	return c, nil
}

// provisionFile is what a provisioning step (or the cloud's dev mode)
// writes for one stand.
type provisionFile struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
	Broker   string `json:"broker"`
	// BrokerCA is the PEM CA certificate the broker's TLS certificate
	// must chain to; empty means the system roots.
	BrokerCA string `json:"broker_ca"`
}

// ResolveSecrets fills DeviceID, Secret, Broker and BrokerCA from
// Provision, SecretFile, BrokerCAFile and the QRSTAND_SECRET environment
// variable, leaving values already set alone (BrokerCAFile wins over the
// provisioning file's broker_ca).
func (c *Config) ResolveSecrets(getenv func(string) string) error {
	if c.Provision != "" {
		b, err := os.ReadFile(c.Provision)
		if err != nil {
			return fmt.Errorf("config: provision file: %w", err)
		}
		var p provisionFile
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("config: provision file %s: %w", c.Provision, err)
		}
		if c.DeviceID == "" {
			c.DeviceID = p.DeviceID
		}
		if c.Secret == "" {
			c.Secret = p.Secret
		}
		if p.Broker != "" && (c.Broker == "" || c.Broker == Default().Broker) {
			c.Broker = p.Broker
		}
		if c.BrokerCAFile == "" && c.BrokerCA == "" {
			c.BrokerCA = p.BrokerCA
		}
	}
	if c.BrokerCA == "" && c.BrokerCAFile != "" {
		b, err := os.ReadFile(c.BrokerCAFile)
		if err != nil {
			return fmt.Errorf("config: broker CA file: %w", err)
		}
		c.BrokerCA = string(b)
	}
	if c.Secret == "" && c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return fmt.Errorf("config: secret file: %w", err)
		}
		c.Secret = strings.TrimSpace(string(b))
	}
	if c.Secret == "" && getenv != nil {
		c.Secret = getenv("QRSTAND_SECRET")
	}
	return nil
}

// loopbackURL reports whether a broker URL names this machine.
func loopbackURL(broker string) bool {
	u, err := url.Parse(broker)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("config: "+f, a...)) }
	if !mqtt.ValidDeviceID(c.DeviceID) {
		bad("device_id %q is not a valid stand id (4–64 of a-z 0-9 -)", c.DeviceID)
	}
	if c.Secret == "" {
		bad("no secret (secret, secret_file, provision or QRSTAND_SECRET)")
	}
	if useTLS, err := standclient.BrokerUsesTLS(c.Broker); err != nil {
		bad("broker %q must be mqtts://host:port (TLS) or tcp://host:port", c.Broker)
	} else if !useTLS {
		if c.BrokerCA != "" || c.BrokerCAFile != "" {
			bad("a broker CA needs a TLS broker URL (mqtts://), not %q", c.Broker)
		}
		if !c.AllowPlainBroker && !loopbackURL(c.Broker) {
			bad("broker %q is plain TCP to another machine: the secret and every payment would cross the network in clear; use mqtts:// (or allow_plain_broker = true on a trusted network)", c.Broker)
		}
	} else if _, err := standclient.TLSConfig([]byte(c.BrokerCA)); err != nil {
		bad("broker CA: %v", err)
	}
	if c.DataDir == "" {
		bad("data_dir is required")
	}
	for name, d := range map[string]Duration{"keepalive": c.KeepAlive, "battery_keepalive": c.BatteryKeepAlive, "status_every": c.StatusEvery, "shutdown_timeout": c.ShutdownTimeout} {
		if d.Duration <= 0 {
			bad("%s must be > 0", name)
		}
	}
	if c.Lang != "zh-CN" && c.Lang != "en" {
		bad("lang %q: want zh-CN or en", c.Lang)
	}
	h := c.Hardware
	switch h.Panel {
	case "waveshare2in13v2", "inky-what", "sim", "none":
	default:
		bad("hardware.panel %q: want waveshare2in13v2, inky-what, sim or none", h.Panel)
	}
	switch h.Rotation {
	case 0, 90, 180, 270:
	default:
		bad("hardware.rotation %d: want 0, 90, 180 or 270", h.Rotation)
	}
	switch h.Printer {
	case "usb", "sim", "none":
	case "serial":
		if h.PrinterBaud <= 0 {
			bad("hardware.printer_baud must be > 0")
		}
	case "tcp":
		if h.PrinterAddr == "" {
			bad("hardware.printer_addr is required for a tcp printer")
		}
	default:
		bad("hardware.printer %q: want usb, serial, tcp, sim or none", h.Printer)
	}
	if h.PrinterProfile != "58mm" && h.PrinterProfile != "80mm" {
		bad("hardware.printer_profile %q: want 58mm or 80mm", h.PrinterProfile)
	}
	b := h.Battery
	switch b.Monitor {
	case "none", "sim":
	case "ina219":
		if b.Address < 0x40 || b.Address > 0x4f {
			bad("hardware.battery.address %#x: the INA219 answers at 0x40–0x4f", b.Address)
		}
		if b.ShuntMilliOhm <= 0 {
			bad("hardware.battery.shunt_milliohm must be > 0")
		}
	default:
		bad("hardware.battery.monitor %q: want ina219 or none", b.Monitor)
	}
	if b.CriticalPercent < 0 || b.LowPercent > 100 || b.CriticalPercent >= b.LowPercent {
		bad("hardware.battery: want 0 <= critical_percent < low_percent <= 100")
	}
	if err := c.Speech.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
