package mqtt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

func TestUnmarshalErrors(t *testing.T) {
	const id = `"01KAXQ2J8N5W6Y7Z8A9B0C1D2E"`
	env := func(v, typ, body string) string {
		return `{"v":` + v + `,"id":` + id + `,"type":"` + typ + `","ts":"2026-11-25T04:05:06Z","body":` + body + `}`
	}
	tests := []struct {
		name, in string
		want     error
		wantID   bool // the error still names the message id
	}{
		{"empty", ``, ErrMalformed, false},
		{"not json", `hello`, ErrMalformed, false},
		{"array", `[1,2]`, ErrMalformed, false},
		{"trailing", env("1", "presence", `{"online":true}`) + `{}`, ErrMalformed, true},
		{"bad id", `{"v":1,"id":"x","type":"presence","ts":"2026-11-25T04:05:06Z","body":{}}`, ErrMalformed, false},
		{"lower-case id", `{"v":1,"id":"01kaxq2j8n5w6y7z8a9b0c1d2e","type":"presence","ts":"2026-11-25T04:05:06Z","body":{}}`, ErrMalformed, false},
		{"missing v", `{"id":` + id + `,"type":"presence","ts":"2026-11-25T04:05:06Z","body":{}}`, ErrMalformed, true},
		{"future v", env("2", "presence", `{}`), ErrUnsupportedVersion, true},
		{"string v", env(`"1"`, "presence", `{}`), ErrMalformed, false},
		{"missing ts", `{"v":1,"id":` + id + `,"type":"presence","body":{}}`, ErrMalformed, true},
		{"missing body", `{"v":1,"id":` + id + `,"type":"presence","ts":"2026-11-25T04:05:06Z"}`, ErrMalformed, true},
		{"null body", env("1", "presence", `null`), ErrMalformed, true},
		{"unknown type", env("1", "payment.teleported", `{}`), ErrUnknownType, true},
		{"body wrong shape", env("1", "payment.paid", `[]`), ErrMalformed, true},
		{"amount as string", env("1", "payment.paid", `{"amount_fen":"12.50"}`), ErrMalformed, true},
		{"amount as float", env("1", "payment.paid", `{"amount_fen":12.5}`), ErrMalformed, true},
		{"zero amount", env("1", "payment.paid", `{"order_no":"A","channel":"wechat","amount_fen":0,"paid_at":"2026-11-25T04:05:06Z","store_id":"s"}`), ErrInvalid, true},
		{"negative amount", env("1", "payment.paid", `{"order_no":"A","channel":"wechat","amount_fen":-100,"paid_at":"2026-11-25T04:05:06Z","store_id":"s"}`), ErrInvalid, true},
		{"unknown channel", env("1", "payment.paid", `{"order_no":"A","channel":"cash","amount_fen":100,"paid_at":"2026-11-25T04:05:06Z","store_id":"s"}`), ErrInvalid, true},
		{"over-refund", env("1", "payment.refunded", `{"order_no":"A","refund_no":"R","channel":"wechat","amount_fen":100,"refund_fen":200,"refunded_total_fen":200,"refunded_at":"2026-11-25T04:05:06Z","store_id":"s"}`), ErrInvalid, true},
		{"bad ack ref", env("1", "ack", `{"ref":"nope","result":"done"}`), ErrInvalid, true},
		{"bad command", env("1", "stand.command", `{"command":"self_destruct"}`), ErrInvalid, true},
		{"bad quiet hours", env("1", "store.config", `{"version":1,"announce":{"quiet_start":"25:00","quiet_end":"07:00"}}`), ErrInvalid, true},
		{"too big", env("1", "presence", `{"reason":"`+strings.Repeat("x", MaxPayload)+`"}`), ErrMalformed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal error = %v, want %v", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if got := de.ID != ""; got != tt.wantID {
				t.Errorf("DecodeError.ID = %q, want it set: %v", de.ID, tt.wantID)
			}
			if !strings.HasPrefix(err.Error(), "mqtt: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestUnmarshalIgnoresUnknownFields(t *testing.T) {
	// A newer cloud may add fields; an older stand must still take the message.
	in := `{"v":1,"id":"01KAXQ2J8N5W6Y7Z8A9B0C1D2E","type":"presence","ts":"2026-11-25T04:05:06Z","shard":3,"body":{"online":true,"colour":"green"}}`
	m, err := Unmarshal([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := m.Body.(*Presence); !ok || !p.Online {
		t.Fatalf("body = %#v", m.Body)
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"invalid body", New(&PaymentPaid{OrderNo: "A", Channel: "wechat", AmountFen: 0, PaidAt: now, StoreID: "s"}, now), ErrInvalid},
		{"type mismatch", func() Message { m := New(&Presence{}, now); m.Type = KindAck; return m }(), ErrInvalid},
		{"nil body", Message{V: 1, ID: NewID(now), Type: KindAck, TS: now}, ErrInvalid},
		{"bad version", func() Message { m := New(&Presence{}, now); m.V = 9; return m }(), ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.m.Marshal(); !errors.Is(err, tt.want) {
				t.Fatalf("Marshal error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewIDMonotonic(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	prev := NewID(now)
	for i := 0; i < 10000; i++ {
		ts := now
		if i%1000 == 999 {
			ts = now.Add(-time.Second) // a clock step back must not break ordering
		}
		id := NewID(ts)
		if !ValidID(id) {
			t.Fatalf("NewID = %q, not valid", id)
		}
		if id <= prev {
			t.Fatalf("NewID not increasing: %s after %s", id, prev)
		}
		prev = id
	}
	// The time part decodes: a later millisecond sorts later.
	if a, b := NewID(now.Add(time.Hour)), NewID(now.Add(2*time.Hour)); a >= b {
		t.Fatalf("%s >= %s", a, b)
	}
}

func TestNewIDTime(t *testing.T) {
	// The time part is t's millisecond, as any ULID reader decodes it.
	at := time.Date(2031, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	id := NewID(at)
	got, err := ulid.ParseStrict(id)
	if err != nil || !ulid.Time(got.Time()).Equal(at) {
		t.Fatalf("NewID(%v) = %s: time %v, %v", at, id, ulid.Time(got.Time()), err)
	}
	// A time before 1970 (a Pi booting without a clock says 1970 at best)
	// still gives a valid, increasing id.
	if early := NewID(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)); !ValidID(early) || early <= id {
		t.Fatalf("NewID(1960) = %s after %s", early, id)
	}
}

func TestSecret(t *testing.T) {
	s := NewSecret()
	h := HashSecret(s)
	if !CheckSecret(h, s) {
		t.Fatal("secret does not match its own hash")
	}
	for _, bad := range []string{"", s + "x", strings.ToLower(s)} {
		if CheckSecret(h, bad) {
			t.Errorf("CheckSecret accepted %q", bad)
		}
	}
	if CheckSecret("", s) || CheckSecret("md5:abc", s) {
		t.Error("malformed hash matched")
	}
	if NewSecret() == s {
		t.Error("two secrets are equal")
	}
}
