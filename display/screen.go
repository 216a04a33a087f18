package display

import "time"

// Screen is one of the frames the stand can show: Store, Pairing, Flash,
// Offline, Error or LowBattery.
type Screen interface{ screen() }

// Store is the everyday screen: the store's payment QR, its name and a
// "微信扫码付款" hint.
type Store struct {
	Name string // shown in full when it fits, else wrapped and ellipsized
	URL  string // encoded in the QR code
}

// Pairing is shown by a stand no store has claimed yet: a store manager
// scans URL in WeChat and picks the store.
type Pairing struct {
	URL  string // pairing link (stand id + one-time code)
	Code string // short code to read out or type in, e.g. "4827"
}

// Channel is how a payment was made.
type Channel int

// Payment channels.
const (
	WeChat Channel = iota
	Alipay
	OtherChannel
)

// Flash announces a payment for a few seconds. It keeps the store QR, so
// the next customer can scan meanwhile and only the text column changes
// (a partial refresh on panels that have one).
type Flash struct {
	Store   Store
	Fen     int64 // amount in fen (分)
	Channel Channel
	At      time.Time // shown in Asia/Shanghai
}

// Offline says the stand has lost the network. With a Store the QR stays:
// customers can still pay, only the announcement is missing.
type Offline struct {
	Store *Store // nil if the stand was never configured
}

// Error shows a fault. With a Store the QR stays.
type Error struct {
	Message string
	Code    string // short reference for support, optional
	Store   *Store
}

// LowBattery keeps the store QR and adds a charge-me banner.
type LowBattery struct {
	Store Store
}

func (Store) screen()      {}
func (Pairing) screen()    {}
func (Flash) screen()      {}
func (Offline) screen()    {}
func (Error) screen()      {}
func (LowBattery) screen() {}

// Status is the status bar shown on every screen.
type Status struct {
	Battery Battery
	Network Network
	Paper   Paper
}

// Battery is the battery state; the zero value means mains power only and
// draws no battery icon.
type Battery struct {
	Present  bool
	Percent  int // 0–100, clamped
	Charging bool
}

// Network is the link to the cloud.
type Network int

// Network states; the zero value draws nothing.
const (
	NetUnknown Network = iota
	NetOnline
	NetConnecting
	NetOffline
)

// Paper is the receipt printer's paper state; the zero value (no printer)
// draws nothing.
type Paper int

// Paper states.
const (
	PaperNone Paper = iota
	PaperOK
	PaperLow
	PaperOut
)
