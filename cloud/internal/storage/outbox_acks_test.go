package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// StandPendingN takes the oldest pending rows above a seq, at most limit;
// OutboxAckedBatch delivers in one transaction exactly the acks naming a
// pending row of their own stand.
func TestStandPendingNAndAckBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		paidStore(t, s, 6)
		now := time.Now()
		const stand = "qrs-claim-0001"
		first, err := s.StandPendingN(ctx, stand, now, 0, 4)
		if err != nil || len(first) != 4 || first[0].Seq != 1 || first[3].Seq != 4 {
			t.Fatalf("first window: %d rows %v", len(first), err)
		}
		rest, err := s.StandPendingN(ctx, stand, now, 4, 4)
		if err != nil || len(rest) != 2 || rest[0].Seq != 5 || rest[1].Seq != 6 {
			t.Fatalf("above seq 4: %d rows %v", len(rest), err)
		}
		acks := []storage.StandAck{
			{StandID: stand, ID: first[0].ID},
			{StandID: stand, ID: first[0].ID},            // a repeat
			{StandID: "qrs-claim-0002", ID: first[1].ID}, // another stand's row
			{StandID: stand, ID: "01M000000000000000000NOPE"},
			{StandID: stand, ID: first[2].ID},
		}
		ok, err := s.OutboxAckedBatch(ctx, acks, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []bool{true, false, false, false, true}
		for i := range want {
			if ok[i] != want[i] {
				t.Errorf("ack %d (%+v): %v, want %v", i, acks[i], ok[i], want[i])
			}
		}
		left, err := s.StandPendingN(ctx, stand, now, 0, 0)
		if err != nil || len(left) != 4 || left[0].Seq != 2 || left[1].Seq != 4 {
			t.Errorf("pending after the acks: %d rows %v", len(left), err)
		}
	})
}
