package mqtt

import "time"

// Commands a stand.command can carry.
const (
	CommandTestPrint      = "test_print"
	CommandTestVoice      = "test_voice"
	CommandReprint        = "reprint" // EventID names the payment; empty = the last one
	CommandRefreshDisplay = "refresh_display"
	CommandReboot         = "reboot"
	CommandUpdate         = "update" // Update names a signed firmware bundle
)

// StandCommand is an operator's request to a stand.
type StandCommand struct {
	Command string `json:"command"`
	EventID string `json:"event_id,omitempty"` // for reprint
	By      string `json:"by,omitempty"`       // who asked, for the log
	// Update is set for CommandUpdate only (added with it; older stands
	// answer an unknown command as rejected).
	Update *FirmwareUpdate `json:"update,omitempty"`
}

func (*StandCommand) Kind() Kind { return KindStandCommand }

func (c *StandCommand) Validate() error {
	if c.Command == CommandUpdate {
		if c.EventID != "" || c.Update == nil {
			return invalid(KindStandCommand, "update needs an update body and no event_id")
		}
		return c.Update.Validate()
	}
	if c.Update != nil {
		return invalid(KindStandCommand, "%s takes no update", truncate(c.Command))
	}
	switch c.Command {
	case CommandTestPrint, CommandTestVoice, CommandRefreshDisplay, CommandReboot:
		if c.EventID != "" {
			return invalid(KindStandCommand, "%s takes no event_id", c.Command)
		}
		return nil
	case CommandReprint:
		if c.EventID != "" && !ValidID(c.EventID) {
			return invalid(KindStandCommand, "event_id is not a ULID")
		}
		return nil
	}
	return invalid(KindStandCommand, "unknown command %q", truncate(c.Command))
}

// Ack results.
const (
	AckDone      = "done"      // handled (journaled) now
	AckDuplicate = "duplicate" // seen before; nothing done again
	AckIgnored   = "ignored"   // a kind this stand does not handle
	AckRejected  = "rejected"  // invalid; will never be handled
)

// Ack answers one message from the cloud by its envelope id. Only an ack
// ends the cloud's retries for an event.
type Ack struct {
	Ref    string `json:"ref"` // the acknowledged envelope id
	Result string `json:"result"`
	Error  string `json:"error,omitempty"` // why it was rejected
}

func (*Ack) Kind() Kind { return KindAck }

func (a *Ack) Validate() error {
	if !ValidID(a.Ref) {
		return invalid(KindAck, "ref is not a ULID")
	}
	switch a.Result {
	case AckDone, AckDuplicate, AckIgnored, AckRejected:
		return nil
	}
	return invalid(KindAck, "unknown result %q", truncate(a.Result))
}

// Paper states a stand reports.
const (
	PaperOK      = "ok"
	PaperNearEnd = "near_end"
	PaperOut     = "out"
	PaperUnknown = "unknown" // no printer, or it does not answer
)

// Status is a stand's health, sent on change and periodically.
type Status struct {
	Firmware      string `json:"firmware"`
	UptimeSec     int64  `json:"uptime_sec"`
	OnBattery     bool   `json:"on_battery"`
	BatteryPct    int    `json:"battery_pct"` // -1: no battery monitor
	Charging      bool   `json:"charging,omitempty"`
	BatteryMV     int    `json:"battery_mv,omitempty"`
	Paper         string `json:"paper"`
	CoverOpen     bool   `json:"cover_open,omitempty"`
	PrinterOnline bool   `json:"printer_online"`
	QueuedJobs    int    `json:"queued_jobs,omitempty"` // receipts waiting for paper
	Network       string `json:"network,omitempty"`     // "wifi", "ethernet", "4g"
	SignalDBm     int    `json:"signal_dbm,omitempty"`
	Volume        int    `json:"volume"`
	LastSeq       int64  `json:"last_seq,omitempty"`
	PrinterModel  string `json:"printer_model,omitempty"` // profile, e.g. "58mm"
	Pending       int    `json:"pending,omitempty"`       // journaled events not yet finished
}

func (*Status) Kind() Kind { return KindStatus }

func (s *Status) Validate() error {
	switch {
	case s.Firmware == "":
		return invalid(KindStatus, "missing firmware")
	case s.UptimeSec < 0:
		return invalid(KindStatus, "uptime_sec must be >= 0")
	case s.BatteryPct < -1 || s.BatteryPct > 100:
		return invalid(KindStatus, "battery_pct must be -1..100")
	case s.Volume < 0 || s.Volume > 100:
		return invalid(KindStatus, "volume must be 0..100")
	case s.QueuedJobs < 0 || s.LastSeq < 0 || s.Pending < 0:
		return invalid(KindStatus, "counters must be >= 0")
	}
	switch s.Paper {
	case PaperOK, PaperNearEnd, PaperOut, PaperUnknown:
		return nil
	}
	return invalid(KindStatus, "unknown paper state %q", truncate(s.Paper))
}

// Hello is the first thing a stand says after every (re)connect. The cloud
// answers by flushing the stand's pending outbox (announced with a sync) and
// by republishing store.config if ConfigVersion is behind.
type Hello struct {
	Firmware      string `json:"firmware"`
	Model         string `json:"model,omitempty"` // hardware profile, e.g. "pi-zero2w-2in13"
	BootID        string `json:"boot_id"`         // new on every daemon start
	Paired        bool   `json:"paired"`
	ConfigVersion int64  `json:"config_version"` // of the store.config it shows
	LastSeq       int64  `json:"last_seq"`       // highest outbox seq in its journal
}

func (*Hello) Kind() Kind { return KindHello }

func (h *Hello) Validate() error {
	if h.Firmware == "" || h.BootID == "" {
		return invalid(KindHello, "firmware and boot_id are required")
	}
	if h.ConfigVersion < 0 || h.LastSeq < 0 {
		return invalid(KindHello, "config_version and last_seq must be >= 0")
	}
	return nil
}

// Sync answers a hello: Pending events (up to ThroughSeq) follow it on the
// down topic. A stand that was offline uses it to tell a catch-up batch,
// summarised once, from live payments.
type Sync struct {
	Pending    int64 `json:"pending"`
	ThroughSeq int64 `json:"through_seq"`
}

func (*Sync) Kind() Kind { return KindSync }

func (s *Sync) Validate() error {
	if s.Pending < 0 || s.ThroughSeq < 0 {
		return invalid(KindSync, "pending and through_seq must be >= 0")
	}
	return nil
}

// PairRequest asks the cloud for a pairing code; an unpaired stand sends it
// after hello and whenever its code expired.
type PairRequest struct {
	Firmware string `json:"firmware"`
	Model    string `json:"model,omitempty"`
	Panel    string `json:"panel,omitempty"`   // e.g. "waveshare2in13v2"
	Printer  string `json:"printer,omitempty"` // e.g. "58mm"
}

func (*PairRequest) Kind() Kind { return KindPairRequest }

func (p *PairRequest) Validate() error {
	if p.Firmware == "" {
		return invalid(KindPairRequest, "missing firmware")
	}
	return nil
}

// PairCode is the cloud's answer to a PairRequest: the stand shows URL as a
// QR (it embeds the stand id and Code) and Code as text until ExpiresAt; a
// store manager scans it in WeChat and picks the store.
type PairCode struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (*PairCode) Kind() Kind { return KindPairCode }

func (p *PairCode) Validate() error {
	switch {
	case len(p.Code) < 4 || len(p.Code) > 16:
		return invalid(KindPairCode, "code must be 4..16 characters")
	case !validHTTPURL(p.URL):
		return invalid(KindPairCode, "url must be an http(s) URL")
	case p.ExpiresAt.IsZero():
		return invalid(KindPairCode, "missing expires_at")
	}
	return nil
}

// Presence is a stand's retained state: online after connecting, offline as
// its last will or on a clean shutdown.
type Presence struct {
	Online bool   `json:"online"`
	Reason string `json:"reason,omitempty"` // "shutdown", "lost", "battery"
}

func (*Presence) Kind() Kind { return KindPresence }

func (*Presence) Validate() error { return nil }
