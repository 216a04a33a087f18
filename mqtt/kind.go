package mqtt

// Kind is a message type string, e.g. "payment.paid".
type Kind string

// Every message kind on the wire. The direction is in the package docs.
const (
	KindPaymentPaid     Kind = "payment.paid"
	KindPaymentRefunded Kind = "payment.refunded"
	KindStoreConfig     Kind = "store.config"
	KindShiftClosed     Kind = "shift.closed"
	KindStandCommand    Kind = "stand.command"
	KindAck             Kind = "ack"
	KindStatus          Kind = "status"
	KindHello           Kind = "hello"
	KindSync            Kind = "sync"
	KindPairRequest     Kind = "pair.request"
	KindPairCode        Kind = "pair.code"
	KindPresence        Kind = "presence"
	KindLedger          Kind = "ledger"
	KindUpdateState     Kind = "update.state"
)

// Body is a message body. Bodies are used as pointers (*PaymentPaid), and
// Unmarshal returns them that way.
type Body interface {
	Kind() Kind
	// Validate checks the kind's rules; errors wrap ErrInvalid.
	Validate() error
}

// kinds maps each type string to a constructor of its empty body.
var kinds = map[Kind]func() Body{
	KindPaymentPaid:     func() Body { return new(PaymentPaid) },
	KindPaymentRefunded: func() Body { return new(PaymentRefunded) },
	KindStoreConfig:     func() Body { return new(StoreConfig) },
	KindShiftClosed:     func() Body { return new(ShiftClosed) },
	KindStandCommand:    func() Body { return new(StandCommand) },
	KindAck:             func() Body { return new(Ack) },
	KindStatus:          func() Body { return new(Status) },
	KindHello:           func() Body { return new(Hello) },
	KindSync:            func() Body { return new(Sync) },
	KindPairRequest:     func() Body { return new(PairRequest) },
	KindPairCode:        func() Body { return new(PairCode) },
	KindPresence:        func() Body { return new(Presence) },
	KindLedger:          func() Body { return new(Ledger) },
	KindUpdateState:     func() Body { return new(UpdateState) },
}

// Kinds returns every known kind, for tests and documentation.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	return out
}
