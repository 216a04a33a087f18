package mqtt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func exampleUpdateCommand() *StandCommand {
	return &StandCommand{Command: CommandUpdate, By: "rollout ro_01KAXT", Update: &FirmwareUpdate{
		Version: "v1.4.0",
		URL:     "https://cloud.example.com/firmware/3f0c5b1e9a7d2c4f6b8e0a1d3c5f7b9e1a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e",
		SHA256:  "3f0c5b1e9a7d2c4f6b8e0a1d3c5f7b9e1a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e",
		Size:    9437184,
		Rollout: "ro_01KAXT",
	}}
}

// The update command is a second shape of stand.command: its own golden
// file, so the kind's golden (a reprint) stays as it was.
func TestGoldenUpdateCommand(t *testing.T) {
	checkGolden(t, exampleMessage(exampleUpdateCommand()), "stand.command.update")
	// A reprint golden from before the update field decodes unchanged.
	old, err := Unmarshal(must(os.ReadFile(filepath.Join("testdata", "stand.command.json"))))
	if err != nil || old.Body.(*StandCommand).Update != nil {
		t.Errorf("old stand.command: %v, update %+v", err, old.Body)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestUpdateCommandValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(c *StandCommand)
		want string
	}{
		"ok":              {func(*StandCommand) {}, ""},
		"no body":         {func(c *StandCommand) { c.Update = nil }, "needs an update body"},
		"event id":        {func(c *StandCommand) { c.EventID = "01KAXQ1Z0000000000000000AB" }, "no event_id"},
		"version slash":   {func(c *StandCommand) { c.Update.Version = "../v1" }, "version"},
		"empty version":   {func(c *StandCommand) { c.Update.Version = "" }, "version"},
		"ftp url":         {func(c *StandCommand) { c.Update.URL = "ftp://x/y" }, "url"},
		"short sha":       {func(c *StandCommand) { c.Update.SHA256 = "abc" }, "sha256"},
		"upper sha":       {func(c *StandCommand) { c.Update.SHA256 = strings.ToUpper(c.Update.SHA256) }, "sha256"},
		"zero size":       {func(c *StandCommand) { c.Update.Size = 0 }, "size"},
		"huge size":       {func(c *StandCommand) { c.Update.Size = MaxBundleSize + 1 }, "size"},
		"update on print": {func(c *StandCommand) { c.Command = CommandTestPrint }, "takes no update"},
	} {
		t.Run(name, func(t *testing.T) {
			c := exampleUpdateCommand()
			tc.mod(c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestUpdateStateValidate(t *testing.T) {
	ok := UpdateState{Running: "v1", Model: "qrstand-pi", Arch: "arm64", State: UpdateIdle}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []UpdateState{
		{Model: "m", Arch: "a", State: UpdateIdle},
		{Running: "v1", Model: "m", Arch: "a", State: "exploded"},
		{Running: "v1", Model: "m", Arch: "a", State: UpdateTrial},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", bad, err)
		}
	}
}
