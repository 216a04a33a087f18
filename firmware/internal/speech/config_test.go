package speech

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigDefaultsValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, edit := range map[string]func(*Config){
		"volume -1":  func(c *Config) { c.Volume = -1 },
		"volume 101": func(c *Config) { c.Volume = 101 },
		"two 7":      func(c *Config) { c.Two = 7 },
		"quiet 25h":  func(c *Config) { c.QuietHours = QuietHours{Start: 25 * 60, End: 60} },
	} {
		c := DefaultConfig()
		edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestConfigText(t *testing.T) {
	in := `{"device":"plughw:1,0","volume":60,"two":"liang","quiet_hours":"22:00-07:00","pack":"/var/lib/qrstand/voice"}`
	var c Config
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := Config{Device: "plughw:1,0", Volume: 60, Two: TwoLiang, QuietHours: QuietHours{Start: 22 * 60, End: 7 * 60}, Pack: "/var/lib/qrstand/voice"}
	if diff := cmp.Diff(c, want); diff != "" {
		t.Errorf("config (-got +want):\n%s", diff)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("marshal = %s, want %s", out, in)
	}
}

func TestParseChannel(t *testing.T) {
	for in, want := range map[string]Channel{"wechat": ChannelWeChat, "WeChat": ChannelWeChat, "alipay": ChannelAlipay, "": ChannelNone, "none": ChannelNone} {
		got, err := ParseChannel(in)
		if err != nil || got != want {
			t.Errorf("ParseChannel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseChannel("unionpay"); err == nil {
		t.Error("ParseChannel(unionpay): no error")
	}
}
