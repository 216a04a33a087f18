package mqtt

import "time"

// StoreConfig is everything a stand shows and how it behaves for its store.
// The cloud publishes it retained on the stand's config topic whenever any of
// it changes; Version grows with every change so a stand can ignore an older
// copy. Bound=false unbinds the stand (it goes back to the pairing screen).
type StoreConfig struct {
	Version      int64          `json:"version"`
	Bound        bool           `json:"bound"`
	StoreID      string         `json:"store_id,omitempty"`
	StoreName    string         `json:"store_name,omitempty"`
	MerchantName string         `json:"merchant_name,omitempty"`
	QRURL        string         `json:"qr_url,omitempty"` // the store code the display shows
	Announce     AnnounceConfig `json:"announce"`
	Print        PrintConfig    `json:"print"`
}

// AnnounceConfig controls speech.
type AnnounceConfig struct {
	Enabled bool `json:"enabled"`
	Volume  int  `json:"volume"` // 0..100
	// WindowSeconds: payments older than this when they reach the stand are
	// summarised instead of spoken one by one. 0 means the default (120).
	WindowSeconds int `json:"window_seconds,omitempty"`
	// QuietStart/QuietEnd ("HH:MM", Asia/Shanghai) silence announcements;
	// both empty means no quiet hours. The window may wrap midnight.
	QuietStart string `json:"quiet_start,omitempty"`
	QuietEnd   string `json:"quiet_end,omitempty"`
	// Liang reads a leading 2 before 百/千/万/亿 as 两 instead of 二.
	Liang bool `json:"liang,omitempty"`
}

// PrintConfig controls receipts.
type PrintConfig struct {
	Enabled bool `json:"enabled"`
	Copies  int  `json:"copies"`             // 0..5 (0 with Enabled means 1)
	OrderQR bool `json:"order_qr,omitempty"` // print a QR to the order page
}

// DefaultAnnounceWindow applies when WindowSeconds is 0.
const DefaultAnnounceWindow = 2 * time.Minute

// Window returns the announce window with the default applied.
func (a AnnounceConfig) Window() time.Duration {
	if a.WindowSeconds == 0 {
		return DefaultAnnounceWindow
	}
	return time.Duration(a.WindowSeconds) * time.Second
}

func (*StoreConfig) Kind() Kind { return KindStoreConfig }

func (c *StoreConfig) Validate() error {
	switch {
	case c.Version < 1:
		return invalid(KindStoreConfig, "version must be >= 1")
	case c.Bound && (c.StoreID == "" || c.StoreName == ""):
		return invalid(KindStoreConfig, "a bound stand needs store_id and store_name")
	case c.Bound && !validHTTPURL(c.QRURL):
		return invalid(KindStoreConfig, "qr_url must be an http(s) URL")
	case c.Announce.Volume < 0 || c.Announce.Volume > 100:
		return invalid(KindStoreConfig, "announce.volume must be 0..100")
	case c.Announce.WindowSeconds < 0 || c.Announce.WindowSeconds > 86400:
		return invalid(KindStoreConfig, "announce.window_seconds must be 0..86400")
	case (c.Announce.QuietStart == "") != (c.Announce.QuietEnd == ""):
		return invalid(KindStoreConfig, "quiet_start and quiet_end go together")
	case c.Announce.QuietStart != "" && (!validClock(c.Announce.QuietStart) || !validClock(c.Announce.QuietEnd)):
		return invalid(KindStoreConfig, "quiet hours must be HH:MM")
	case c.Print.Copies < 0 || c.Print.Copies > 5:
		return invalid(KindStoreConfig, "print.copies must be 0..5")
	}
	return nil
}

// validClock accepts "HH:MM" on a 24-hour clock.
func validClock(s string) bool {
	_, err := time.Parse("15:04", s)
	return err == nil && len(s) == 5
}
