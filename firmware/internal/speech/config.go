package speech

import (
	"errors"
	"fmt"
	"os"
)

// Config is the speech part of the stand's configuration.
type Config struct {
	// Device is the ALSA device aplay plays on. Default "default".
	Device string `toml:"device" json:"device"`
	// Volume is the software volume in percent, 0–100. Default 80.
	Volume int `toml:"volume" json:"volume"`
	// Two chooses 二 or 两 where both are heard; see TwoLiang. Default "er".
	Two TwoStyle `toml:"two" json:"two"`
	// QuietHours, e.g. "22:00-07:00" (Asia/Shanghai): payments are printed
	// and shown but not spoken. Default off.
	QuietHours QuietHours `toml:"quiet_hours" json:"quiet_hours"`
	// Pack is the folder of a voice pack. Default "": DefaultPackDir, the
	// espeak-ng pack installed by the qrstand-voice-espeak package.
	Pack string `toml:"pack" json:"pack"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Device: "default", Volume: 80, Two: TwoEr}
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Volume < 0 || c.Volume > 100 {
		errs = append(errs, fmt.Errorf("speech: volume %d outside 0–100", c.Volume))
	}
	if c.Two != TwoEr && c.Two != TwoLiang {
		errs = append(errs, fmt.Errorf("speech: unknown two style %d", int(c.Two)))
	}
	if err := c.QuietHours.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// OpenPack loads the configured voice pack: the folder c.Pack, or
// DefaultPackDir when it is empty.
func (c Config) OpenPack() (*Pack, error) {
	dir := c.Pack
	if dir == "" {
		dir = DefaultPackDir
	}
	if _, err := os.Stat(dir); err != nil {
		if c.Pack == "" {
			return nil, fmt.Errorf("speech: no voice pack at %s (install qrstand-voice-espeak, or set [speech] pack to a pack's folder): %w", dir, err)
		}
		return nil, fmt.Errorf("speech: voice pack: %w", err)
	}
	return LoadPack(os.DirFS(dir))
}
