package mqtt

import "time"

// How an event was announced, in a Ledger report.
const (
	AnnounceSpoken     = "spoken"      // said on its own
	AnnounceSummary    = "summary"     // in a catch-up summary (离线期间收款 N 笔…)
	AnnounceMuted      = "muted"       // announcements are off for the store
	AnnounceQuietHours = "quiet_hours" // the store's or the stand's quiet hours
	AnnounceFailed     = "failed"      // the speaker failed
	AnnounceNone       = "none"        // nothing is said for this kind (shift slips, commands)
	AnnounceUnknown    = "unknown"     // said before a restart; the stand lost when
)

// How an event was printed, in a Ledger report.
const (
	PrintPrinted  = "printed"   // on paper
	PrintReprint  = "reprinted" // on paper again after a crash, labelled 补打
	PrintOff      = "off"       // receipts are off for the store
	PrintPaperOut = "paper_out" // waiting for paper; a later report says printed
	PrintFailed   = "failed"    // the printer failed; it is retried
	PrintNone     = "none"      // nothing is printed for this kind
)

// MaxOrderNo bounds Ledger.OrderNo (WeChat's out_trade_no is at most 32).
const MaxOrderNo = 64

// Ledger is a stand's account of one journaled event: when it took the
// event (the ack), and when it announced and printed it or why not. The
// stand sends one after the event is finished and again whenever the
// outcome changes (paper out, then printed), so the latest report wins.
// It is the proof of "announced and printed exactly once" the cloud shows
// on the order page.
type Ledger struct {
	Ref         string    `json:"ref"`   // the event's envelope id
	Event       Kind      `json:"event"` // the event's kind
	OrderNo     string    `json:"order_no,omitempty"`
	CatchUp     bool      `json:"catch_up,omitempty"` // older than the announce window when it arrived
	JournaledAt time.Time `json:"journaled_at"`
	Announce    string    `json:"announce"`
	AnnouncedAt time.Time `json:"announced_at,omitzero"` // with spoken and summary
	Print       string    `json:"print"`
	PrintedAt   time.Time `json:"printed_at,omitzero"` // with printed and reprinted
}

func (*Ledger) Kind() Kind { return KindLedger }

func (l *Ledger) Validate() error {
	switch {
	case !ValidID(l.Ref):
		return invalid(KindLedger, "ref is not a ULID")
	case l.Event == "" || len(l.Event) > 32:
		return invalid(KindLedger, "event must be 1..32 characters")
	case len(l.OrderNo) > MaxOrderNo:
		return invalid(KindLedger, "order_no longer than %d", MaxOrderNo)
	case l.JournaledAt.IsZero():
		return invalid(KindLedger, "missing journaled_at")
	}
	switch l.Announce {
	case AnnounceSpoken, AnnounceSummary:
		if l.AnnouncedAt.IsZero() {
			return invalid(KindLedger, "announce %s needs announced_at", l.Announce)
		}
	case AnnounceMuted, AnnounceQuietHours, AnnounceFailed, AnnounceNone, AnnounceUnknown:
		if !l.AnnouncedAt.IsZero() {
			return invalid(KindLedger, "announce %s takes no announced_at", l.Announce)
		}
	default:
		return invalid(KindLedger, "unknown announce %q", truncate(l.Announce))
	}
	switch l.Print {
	case PrintPrinted, PrintReprint:
		if l.PrintedAt.IsZero() {
			return invalid(KindLedger, "print %s needs printed_at", l.Print)
		}
	case PrintOff, PrintPaperOut, PrintFailed, PrintNone:
		if !l.PrintedAt.IsZero() {
			return invalid(KindLedger, "print %s takes no printed_at", l.Print)
		}
	default:
		return invalid(KindLedger, "unknown print %q", truncate(l.Print))
	}
	return nil
}

// Announced reports whether the event was said, alone or in a summary.
func (l *Ledger) Announced() bool {
	return l.Announce == AnnounceSpoken || l.Announce == AnnounceSummary
}
